"""Signing in with the identity provider (OpenID Connect), against a real provider served over HTTP from a thread
(tests/oidcprovider.py): the flow with PKCE, state and nonce, every bad answer refused, roles mapped from a claim,
the same server-side sessions, logout at the provider, and the client secret kept out of every log and page."""

from __future__ import annotations

import logging
import re
import shutil
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from werkzeug.security import generate_password_hash

from portal import create_app
from portal.cli import admin as cli_admin
from portal.exceptions import ConfigError
from portal.web.audit import current_audit
from portal.web.database import current_database
from portal.web.oidc import mapped_role, parse_role_map
from tests.conftest import CORPUS, TODAY, git_init
from tests.oidcprovider import running_provider
from tests.test_auth import FAST, csrf, login

ROLE_MAP = "kc-agent=agent,kb-editor=editor,kb-admin=admin"
BASE = "http://localhost"


@pytest.fixture(scope="module")
def provider():
    """One provider for the module, with its directory of users."""
    with running_provider() as p:
        p.redirect_uris += [f"{BASE}/agent/auth/callback", f"{BASE}/agent/login"]
        p.users.update({"anna.agent": {"roles": ["kc-agent"]}, "erik.editor": {"roles": ["kb-editor"]},
                        "ada.admin": {"roles": ["kc-agent", "unrelated", "kb-admin"]},
                        "olle.none": {"roles": ["unrelated"]}, "maja.moves": {"roles": ["kc-agent"]},
                        "gun.groups": {"roles": "kb-editor"}})
        yield p


def make_app(provider, folder, **config):
    """An app over the test corpus that signs in with *provider*."""
    return create_app({"TESTING": True, "ARTICLES_DIR": folder / "articles", "INDEX_DIR": folder / "index",
                       "DATA_DIR": folder / "data", "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret",
                       "OIDC_ISSUER": provider.url, "OIDC_CLIENT_ID": provider.client_id,
                       "OIDC_CLIENT_SECRET": provider.client_secret, "OIDC_ROLE_MAP": ROLE_MAP,
                       "USERS": {"lokal": {"role": "agent", "hash": generate_password_hash("lokal-password-1",
                                                                                           method=FAST)}},
                       **config})


@pytest.fixture(scope="module")
def folder(tmp_path_factory, indexed_corpus):
    tmp = tmp_path_factory.mktemp("oidc")
    shutil.copytree(CORPUS, tmp / "articles")
    git_init(tmp / "articles")
    shutil.copytree(indexed_corpus, tmp / "index", symlinks=True)
    return tmp


@pytest.fixture(scope="module")
def app(provider, folder):
    return make_app(provider, folder)


@pytest.fixture
def fresh(provider):
    """The provider as each test expects it: no fault, logout offered."""
    provider.fault = None
    provider.offer_logout = True
    yield provider
    provider.fault = None


def start(client, next_: str = ""):
    """Press the login button: the redirect to the provider."""
    r = client.get("/agent/auth/login" + (f"?next={quote(next_)}" if next_ else ""))
    assert r.status_code == 302, r.get_data(as_text=True)
    return r.headers["Location"]


def sso_login(client, provider, user: str, next_: str = "", browser=None):
    """The whole flow: the button, the provider's login form, back to the callback; the callback's answer."""
    back = provider.sign_in(start(client, next_), user, browser)
    assert back.startswith(f"{BASE}/agent/auth/callback?"), back
    return client.get(back)


def events(app, action: str | None = None):
    with app.app_context():
        return current_audit().events(days=1, action=action, limit=10000)


def test_the_login_page_shows_the_providers_button_first(app):
    page = app.test_client().get("/agent/login?next=/agent/article/bygglov").get_data(as_text=True)
    button = page.index('id="sso-login"')
    assert button < page.index('id="username"') and "Logga in med kommunens konto" in page
    assert 'href="/agent/auth/login?next=/agent/article/bygglov"' in page
    assert "autofocus" not in page.split('id="password"')[0]  # the button is the first thing, not the field


def test_the_agent_pages_may_send_the_logout_form_on_to_the_provider(app, fresh):
    """Chromium applies form-action to the redirect after a form: the provider's origin must be in it, and
    nothing else changes in the policy (the public pages and attachments keep theirs)."""
    agent = app.test_client().get("/agent/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {fresh.url};" in agent and "script-src 'self';" in agent
    assert "127.0.0.1" not in app.test_client().get("/sv/").headers["Content-Security-Policy"]


def test_the_whole_flow_with_pkce_state_and_nonce(app, fresh):
    client = app.test_client()
    asked = start(client, "/agent/article/bygglov")
    query = parse_qs(urlsplit(asked).query)
    assert asked.startswith(fresh.url + "/authorize?")
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == [f"{BASE}/agent/auth/callback"] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid profile"] and query["client_id"] == [fresh.client_id]
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    requests_before = len(fresh.token_requests)
    r = client.get(fresh.sign_in(asked, "erik.editor"))
    assert r.status_code == 302 and r.headers["Location"] == "/agent/article/bygglov"
    sent = fresh.token_requests[requests_before]
    assert sent["basic"] and "client_secret" not in sent["form"]  # the secret only in the Authorization header
    assert len(sent["form"]["code_verifier"]) >= 43  # the provider checked it against the challenge
    page = client.get("/agent/").get_data(as_text=True)
    assert "erik.editor" in page and "(redaktör)" in page
    assert client.get("/agent/reports/feedback").status_code == 200
    assert client.get("/agent/users").status_code == 403
    with app.app_context():
        rows = current_database().run("SELECT g.role FROM sessions s JOIN sso_sessions g ON g.id = s.id "
                                      "WHERE s.username = ?", ("erik.editor",))
    assert [r[0] for r in rows] == ["editor"]
    login_rows = [e for e in events(app, "login") if e.actor == "erik.editor"]
    assert login_rows and login_rows[0].via == "oidc" and login_rows[0].detail == "editor"


def test_the_highest_mapped_role_wins_and_other_values_are_ignored(app, fresh):
    client = app.test_client()
    assert sso_login(client, fresh, "ada.admin").status_code == 302
    assert "(administratör)" in client.get("/agent/").get_data(as_text=True)
    assert client.get("/agent/users").status_code == client.get("/agent/audit").status_code == 200
    single = app.test_client()  # a claim that is one string, not a list
    assert sso_login(single, fresh, "gun.groups").status_code == 302
    assert "(redaktör)" in single.get("/agent/").get_data(as_text=True)


def test_role_mapping_rules():
    table = parse_role_map(" kc-agent = agent , kb-editor=editor,kb-admin=admin,")
    assert table == {"kc-agent": "agent", "kb-editor": "editor", "kb-admin": "admin"}
    assert mapped_role({"groups": ["kb-editor", "kc-agent"]}, "groups", table) == "editor"
    assert mapped_role({"roles": ["kc-agent", "kb-admin"]}, "roles", table) == "admin"
    assert mapped_role({"roles": ["KB-ADMIN", "kb-admin-x"]}, "roles", table) is None  # exact values only
    assert mapped_role({"roles": []}, "roles", table) is None
    assert mapped_role({"groups": ["kb-admin"]}, "roles", table) is None  # only the configured claim counts
    assert mapped_role({"roles": {"kb-admin": 1}}, "roles", table) is None
    for bad in ("", "kc-agent", "kc-agent=superuser", "=agent", "a=agent,b"):
        with pytest.raises(ConfigError, match="PORTAL_OIDC_ROLE_MAP"):
            parse_role_map(bad)


def test_the_role_claim_can_be_groups(provider, folder, fresh):
    app = make_app(provider, folder, OIDC_ROLE_CLAIM="groups", OIDC_ROLE_MAP="3f1c0000-aaaa=editor,kb-admin=admin",
                   DATA_DIR=folder / "groups-data")
    fresh.users["gustav.group"] = {"groups": ["3f1c0000-aaaa", "other-group"], "roles": ["kb-admin"]}
    client = app.test_client()
    assert sso_login(client, fresh, "gustav.group").status_code == 302
    assert "(redaktör)" in client.get("/agent/").get_data(as_text=True)  # groups counted, roles not


def test_a_user_without_a_mapped_role_gets_no_access_and_no_session(app, fresh):
    client = app.test_client()
    r = sso_login(client, fresh, "olle.none")
    page = r.get_data(as_text=True)
    assert r.status_code == 403 and "Ingen behörighet" in page and "olle.none" in page
    assert "ingen roll i kunskapsbanken" in page and f"{fresh.url}/logout?" in page
    assert client.get("/agent/").status_code == 302  # never a default role
    with app.app_context():
        assert not current_database().run("SELECT 1 FROM sessions WHERE username = ?", ("olle.none",))
    assert any(e.actor == "olle.none" for e in events(app, "login_denied"))


def test_a_wrong_state_is_refused_before_the_code_is_used(app, fresh):
    client = app.test_client()
    back = fresh.sign_in(start(client), "anna.agent")
    before = len(fresh.token_requests)
    forged = re.sub(r"state=[^&]+", "state=forged-state", back)
    r = client.get(forged)
    assert r.status_code == 400 and "Inloggningen gick inte att slutföra" in r.get_data(as_text=True)
    assert len(fresh.token_requests) == before  # the code was never sent to the provider
    assert client.get("/agent/").status_code == 302
    # The real answer in another browser (a stolen callback URL): no state of its own, refused too.
    thief = app.test_client()
    assert thief.get(back).status_code == 400 and thief.get("/agent/").status_code == 302
    assert len(fresh.token_requests) == before
    assert any(e.detail == "wrong state" for e in events(app, "login_failed"))


def test_a_replayed_code_is_refused(app, fresh):
    client = app.test_client()
    back = fresh.sign_in(start(client), "anna.agent")
    assert client.get(back).status_code == 302 and client.get("/agent/").status_code == 200
    assert client.get(back).status_code == 400  # its state was used up with the first answer
    # The same code again under a new login's state: the provider refuses it, the app signs nobody in.
    other = app.test_client()
    fresh_state = parse_qs(urlsplit(start(other)).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    r = other.get(f"{BASE}/agent/auth/callback?code={code}&state={fresh_state}")
    assert r.status_code == 401 and other.get("/agent/").status_code == 302
    assert any(e.detail == "provider said invalid_grant" for e in events(app, "login_failed"))


@pytest.mark.parametrize(("fault", "reason"), [
    ("expired", "expired_token"), ("wrong_key", "bad_signature"), ("unsigned", ""), ("wrong_nonce", "nonce"),
    ("wrong_aud", "aud"), ("wrong_iss", "iss"), ("no_id_token", "no id token")])
def test_a_bad_id_token_signs_nobody_in(app, fresh, fault, reason):
    client = app.test_client()
    asked = start(client)
    fresh.fault = fault
    r = client.get(fresh.sign_in(asked, "ada.admin"))
    assert r.status_code == 401, fault
    assert "Inloggningen gick inte att slutföra" in r.get_data(as_text=True)
    assert client.get("/agent/").status_code == 302 and client.get("/agent/audit").status_code == 302
    failures = [e.detail for e in events(app, "login_failed")]
    assert reason in failures[0], failures[0]


def test_an_error_from_the_provider_is_a_clear_page(app, fresh):
    client = app.test_client()
    r = client.get(fresh.sign_in(start(client), "nobody-at-the-provider"))  # the provider answers access_denied
    assert r.status_code == 401 and "godkände inte" in r.get_data(as_text=True)
    assert client.get("/agent/").status_code == 302


def test_a_role_changed_at_the_provider_counts_from_the_next_login(app, fresh):
    client, browser = app.test_client(), requests.Session()
    assert sso_login(client, fresh, "maja.moves", browser=browser).status_code == 302
    assert client.get("/agent/reports/feedback").status_code == 403
    fresh.users["maja.moves"] = {"roles": ["kb-editor"]}
    assert client.get("/agent/reports/feedback").status_code == 403  # this session keeps the role it got
    client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
    assert sso_login(client, fresh, "maja.moves", browser=browser).status_code == 302
    assert client.get("/agent/reports/feedback").status_code == 200
    fresh.users["maja.moves"] = {"roles": []}  # and taken away: no access at the next login
    client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
    assert sso_login(client, fresh, "maja.moves", browser=browser).status_code == 403
    fresh.users["maja.moves"] = {"roles": ["kc-agent"]}


def test_logout_ends_the_session_here_and_at_the_provider(app, fresh):
    client, browser = app.test_client(), requests.Session()
    assert sso_login(client, fresh, "anna.agent", browser=browser).status_code == 302
    copied = client.get_cookie("portal_session").value
    assert fresh.sign_in(start(app.test_client()), "x", browser).startswith(f"{BASE}/agent/auth/callback")  # SSO
    r = client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
    location = r.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert r.status_code == 302 and location.startswith(fresh.url + "/logout?")
    assert query["post_logout_redirect_uri"] == [f"{BASE}/agent/login"] and query["client_id"] == [fresh.client_id]
    back = browser.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(f"{BASE}/agent/login")
    assert fresh.logouts[-1]["user"] == "anna.agent"  # the provider checked the id_token_hint's signature
    assert "Du är utloggad." in client.get(back.headers["Location"]).get_data(as_text=True)
    other = app.test_client()
    other.set_cookie("portal_session", copied)
    assert other.get("/agent/").status_code == 302  # the server-side session is gone
    # The provider's own session is gone too: the next login asks for the user again.
    assert browser.get(start(app.test_client()), allow_redirects=False, timeout=10).status_code == 200
    assert any(e.actor == "anna.agent" and e.via == "oidc" for e in events(app, "logout"))


def test_without_an_end_session_endpoint_logout_stays_local(app, fresh):
    client = app.test_client()
    assert sso_login(client, fresh, "anna.agent").status_code == 302
    idp = app.extensions["portal_oidc"]
    fresh.offer_logout = False
    idp.client.server_metadata.clear()  # discovery read again
    try:
        r = client.post("/agent/logout", data={"csrf_token": csrf(client, "/agent/")})
        assert r.status_code == 302 and r.headers["Location"] == "/agent/login"
        assert client.get("/agent/").status_code == 302
    finally:
        fresh.offer_logout = True
        idp.client.server_metadata.clear()


def test_sessions_from_the_provider_end_like_any_other(app, fresh, runner, folder):
    agent, admin = app.test_client(), app.test_client()
    assert sso_login(agent, fresh, "anna.agent").status_code == 302
    assert sso_login(admin, fresh, "ada.admin").status_code == 302
    page = admin.get("/agent/users").get_data(as_text=True)
    assert "anna.agent" in page and "via kommunens inloggning" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert admin.post("/agent/users/anna.agent/end-sessions", data={"csrf_token": token}).status_code == 302
    assert agent.get("/agent/").status_code == 302
    assert sso_login(agent, fresh, "anna.agent").status_code == 302
    result = runner.invoke(cli_admin.users, ["end-sessions", "anna.agent", "--data-dir", str(folder / "data")])
    assert result.exit_code == 0, result.output
    assert agent.get("/agent/").status_code == 302 and admin.get("/agent/").status_code == 200
    with app.app_context():
        assert not current_database().run("SELECT 1 FROM sso_sessions s WHERE NOT EXISTS "
                                          "(SELECT 1 FROM sessions t WHERE t.id = s.id)")


def test_the_session_id_changes_at_login(app, fresh):
    client = app.test_client()
    assert login(client, "lokal", "lokal-password-1").status_code == 302  # a local session first
    serializer = app.session_interface.get_signing_serializer(app)
    before = serializer.loads(client.get_cookie("portal_session").value)
    assert sso_login(client, fresh, "anna.agent").status_code == 302
    after = serializer.loads(client.get_cookie("portal_session").value)
    assert after["sid"] != before["sid"] and after["csrf"] != before["csrf"] and after["user"] == "anna.agent"
    stale = app.test_client()
    stale.set_cookie("portal_session", serializer.dumps(before))
    assert stale.get("/agent/").status_code == 302  # the session before the login was ended
    assert not any(k.startswith("_state_") for k in after)  # nothing of the flow stays in the cookie


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x"])
def test_no_open_redirect_after_the_callback(app, fresh, target):
    client = app.test_client()
    r = sso_login(client, fresh, "anna.agent", next_=target)
    location = r.headers["Location"]
    assert r.status_code == 302 and location.startswith("/") and not location.startswith("//")
    assert "evil" not in location or location.startswith("/%")


def test_the_client_secret_is_never_logged_or_shown(app, fresh, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, Authlib's and urllib3's included, at their most talkative
    admin = app.test_client()
    assert sso_login(admin, fresh, "ada.admin").status_code == 302
    asked = start(app.test_client())
    fresh.fault = "wrong_key"
    app.test_client().get(fresh.sign_in(asked, "ada.admin"))
    pages = [admin.get(p).get_data(as_text=True) for p in ("/agent/audit", "/agent/users", "/agent/")]
    metrics = app.test_client().get("/metrics").get_data(as_text=True)  # the test client is a local scraper
    assert "portal_http_requests_total" in metrics
    with app.app_context():
        rows = current_database().run("SELECT * FROM audit")
    stored = repr(rows) + repr(app.extensions["portal_oidc"]) + "\n".join(app.extensions.get("startup_messages", []))
    for text in (caplog.text, metrics, stored, *pages):
        assert fresh.client_secret not in text
    assert "MARKER-NAME" not in stored and "MARKER-EMAIL" not in stored  # no claim but the user name is kept


def test_an_absent_provider_is_a_503_page(provider, folder):
    app = make_app(provider, folder, OIDC_ISSUER="http://127.0.0.1:9", DATA_DIR=folder / "absent-data")
    r = app.test_client().get("/agent/auth/login")
    assert r.status_code == 503 and "Kommunens inloggning svarar inte" in r.get_data(as_text=True)
    assert app.test_client().get("/agent/login").status_code == 200  # local accounts still work


def test_a_discovery_document_of_another_issuer_is_refused(provider, folder):
    other_name = provider.url.replace("127.0.0.1", "localhost")  # the same server under another issuer name
    app = make_app(provider, folder, OIDC_ISSUER=other_name, DATA_DIR=folder / "issuer-data")
    assert app.test_client().get("/agent/auth/login").status_code == 503


@pytest.mark.parametrize(("config", "message"), [
    ({"OIDC_CLIENT_ID": ""}, "PORTAL_OIDC_CLIENT_ID"), ({"OIDC_ROLE_MAP": ""}, "PORTAL_OIDC_ROLE_MAP"),
    ({"OIDC_ROLE_MAP": "kb=owner"}, "PORTAL_OIDC_ROLE_MAP"), ({"OIDC_SCOPES": "profile"}, "openid")])
def test_an_incomplete_configuration_refuses_to_start(provider, folder, config, message):
    with pytest.raises(ConfigError, match=message):
        make_app(provider, folder, DATA_DIR=folder / "bad-data", **config)


def test_without_an_issuer_there_is_no_button_and_no_route(corpus_dir, tmp_path):
    app = create_app({"TESTING": True, "ARTICLES_DIR": corpus_dir, "INDEX_DIR": tmp_path / "index",
                      "DATA_DIR": tmp_path / "data", "SECRET_KEY": "x"})
    assert "sso-login" not in app.test_client().get("/agent/login").get_data(as_text=True)
    assert app.test_client().get("/agent/auth/login").status_code == 404
