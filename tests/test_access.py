"""The one table of who may call each route (portal.web.access.ROUTES), checked against EVERY registered route of
the app (the identity provider's and the dev preview's included) as anonymous, agent, editor and admin.

A route missing from the table fails here (and is refused for everyone until its role is written there), as does
a route whose view lets in less or more than the table says.
"""

from __future__ import annotations

import re
import shutil

import pytest
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.web.access import PUBLIC, ROUTES
from portal.web.accounts import RANK
from tests.conftest import TODAY
from tests.test_auth import FAST, csrf, login

WHO = ("anonymous", "agent", "editor", "admin")
PASSWORDS = {role: f"{role}-password-1" for role in WHO[1:]}
# Each URL parameter's value: real where a real one shows more of the view, harmless where the route changes data.
PARAMETERS = {"lang": "sv", "key": "barn-utbildning", "article_id": "bygglov", "filename": "agent/agent.css",
              "letter": "b", "name": "nobody-here", "report_id": "999999", "rest": "v1/nope"}


@pytest.fixture(scope="module")
def app(tmp_path_factory, indexed_corpus):
    """The app with every part on: an identity provider configured (its routes registered; it is never reached
    here) and the dev preview."""
    from tests.conftest import CORPUS, git_init

    tmp = tmp_path_factory.mktemp("access")
    shutil.copytree(CORPUS, tmp / "articles")
    git_init(tmp / "articles")
    shutil.copytree(indexed_corpus, tmp / "index", symlinks=True)
    return create_app({
        "TESTING": True, "ARTICLES_DIR": tmp / "articles", "INDEX_DIR": tmp / "index", "DATA_DIR": tmp / "data",
        "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret", "DEV": True,
        "OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "portal", "OIDC_ROLE_MAP": "kb=agent",
        "USERS": {role: {"role": role, "hash": generate_password_hash(pw, method=FAST)}
                  for role, pw in PASSWORDS.items()}})


def url_of(rule) -> str:
    """The rule's URL with its parameters filled."""
    url = rule.rule
    for name in rule.arguments:
        value = PARAMETERS.get(name)
        assert value is not None, f"give the URL parameter <{name}> of {rule.rule} a value in PARAMETERS"
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", value, url)
    return url


def calls(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every registered route, logging out last (it ends the session)."""
    out = [(rule.endpoint, method, url_of(rule)) for rule in app.url_map.iter_rules()
           for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(out, key=lambda call: call[0] == "auth.logout")


def refused(response, anonymous: bool, path: str) -> bool:
    """True when *response* is the access check's refusal."""
    if anonymous and path.startswith("/agent"):
        return response.status_code == 302 and "/agent/login?next=" in response.headers.get("Location", "")
    return response.status_code == (401 if anonymous else 403)


def test_every_route_has_a_role_in_the_table(app):
    missing = sorted({endpoint for endpoint, _, _ in calls(app)} - set(ROUTES))
    assert not missing, f"add these endpoints to portal.web.access.ROUTES with the role they need: {missing}"
    stale = sorted(set(ROUTES) - {endpoint for endpoint, _, _ in calls(app)})
    assert not stale, f"these endpoints in portal.web.access.ROUTES no longer exist: {stale}"
    assert set(ROUTES.values()) <= {PUBLIC, *RANK}


@pytest.mark.parametrize("who", WHO)
def test_every_route_answers_as_the_table_says(app, who):
    client = app.test_client()
    if who != "anonymous":
        assert login(client, who, PASSWORDS[who]).status_code == 302
    token = csrf(client, "/agent/login" if who == "anonymous" else "/agent/")
    checked = 0
    for endpoint, method, url in calls(app):
        needed = ROUTES.get(endpoint)
        assert needed is not None, f"{endpoint} is not in portal.web.access.ROUTES"
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        response.close()
        if needed == PUBLIC:
            assert not refused(response, who == "anonymous", url) or endpoint == "metrics.metrics", \
                (endpoint, who, response.status_code)
            assert response.status_code != 403 or endpoint == "metrics.metrics", (endpoint, who)
        elif who == "anonymous" or RANK[who] < RANK[needed]:
            assert refused(response, who == "anonymous", url), (endpoint, method, who, response.status_code)
        else:
            assert response.status_code not in (401, 403) and not refused(response, False, url), \
                (endpoint, method, who, response.status_code)
            assert "/agent/login?next=" not in response.headers.get("Location", ""), (endpoint, who)
        checked += 1
    assert checked >= 50


def test_the_role_names_the_pages_need(app):
    """Spot checks of the table's meaning: agents search and report, editors see figures, admins administer."""
    assert ROUTES["agent.search"] == ROUTES["reports.new_report"] == "agent"
    assert ROUTES["reports.figures"] == ROUTES["agent.report"] == "editor"
    assert ROUTES["users.users"] == ROUTES["users.end_sessions"] == ROUTES["users.revoke_token"] == "admin"
    assert ROUTES["audit.trail"] == "admin"


def test_a_route_missing_from_the_table_is_closed_to_everyone(tmp_path, corpus_dir, caplog):
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "DATA_DIR": tmp_path / "data", "SECRET_KEY": "x",
                      "USERS": {"admin": {"role": "admin", "hash": generate_password_hash(PASSWORDS["admin"],
                                                                                           method=FAST)}}})
    app.add_url_rule("/agent/forgotten", "forgotten", lambda: "SECRET PAGE")
    app.add_url_rule("/forgotten-public", "forgotten_public", lambda: "SECRET PAGE")
    client = app.test_client()
    assert client.get("/forgotten-public").status_code == 403
    login(client, "admin", PASSWORDS["admin"])
    r = client.get("/agent/forgotten")
    assert r.status_code == 403 and "SECRET" not in r.get_data(as_text=True)
    assert "has no role in portal.web.access.ROUTES" in caplog.text
