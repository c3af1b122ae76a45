"""Signing in with the identity provider in Chromium: the button, the provider's login form, back signed in with
the mapped role; the audit trail by keyboard; logging out here and at the provider; no access without a role.
axe-core on each of the app's pages on the way."""

from __future__ import annotations

import shutil

import pytest

from portal import create_app
from tests.browser.conftest import AXE, LiveServer, no_violations
from tests.conftest import CORPUS, TODAY, git_init
from tests.oidcprovider import running_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider():
    with running_provider() as p:
        p.users.update({"erik.editor": {"roles": ["kb-editor"]}, "ada.admin": {"roles": ["kc-agent", "kb-admin"]},
                        "olle.none": {"roles": ["unrelated"]}})
        yield p


@pytest.fixture(scope="module")
def server(provider, tmp_path_factory, indexed_corpus):
    tmp = tmp_path_factory.mktemp("oidc-browser")
    shutil.copytree(CORPUS, tmp / "articles")
    git_init(tmp / "articles")
    shutil.copytree(indexed_corpus, tmp / "index", symlinks=True)
    app = create_app({"TESTING": True, "ARTICLES_DIR": tmp / "articles", "INDEX_DIR": tmp / "index",
                      "DATA_DIR": tmp / "data", "TODAY": TODAY.isoformat(), "SECRET_KEY": "test-secret",
                      "OIDC_ISSUER": provider.url, "OIDC_CLIENT_ID": provider.client_id,
                      "OIDC_CLIENT_SECRET": provider.client_secret,
                      "OIDC_ROLE_MAP": "kc-agent=agent,kb-editor=editor,kb-admin=admin"})
    live = LiveServer(app=app)
    provider.redirect_uris += [live.url + "/agent/auth/callback", live.url + "/agent/login"]
    yield live
    live.stop()


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    yield page
    context.close()


def sign_in_at_provider(page, user: str) -> None:
    page.wait_for_selector("#username")
    page.fill("#username", user)
    page.keyboard.press("Enter")


def tab_to(page, selector: str, presses: int = 8) -> None:
    """Press Tab until *selector* has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {presses} presses of Tab")


def test_the_button_leads_to_the_provider_and_back_with_the_mapped_role(server, provider, tab):
    page = tab
    page.goto(server.url + "/agent/article/bygglov")
    assert "/agent/login" in page.url
    no_violations(page, "oidc-login")
    tab_to(page, "#sso-login")  # the provider's button is the first control after the header
    page.keyboard.press("Enter")
    page.wait_for_url(provider.url + "/authorize?**")
    sign_in_at_provider(page, "erik.editor")
    page.wait_for_url(server.url + "/agent/article/bygglov")
    assert "erik.editor" in page.inner_text(".who") and "(redaktör)" in page.inner_text(".who")
    assert "Återkoppling" in page.inner_text("nav") and "Granskningslogg" not in page.inner_text("nav")
    no_violations(page, "oidc-signed-in")


def test_an_admin_reads_the_audit_trail_by_keyboard_and_logs_out_at_the_provider(server, provider, tab):
    page = tab
    page.goto(server.url + "/agent/login")
    page.click("#sso-login")
    sign_in_at_provider(page, "ada.admin")
    page.wait_for_url(server.url + "/agent/")
    page.goto(server.url + "/agent/audit")
    assert "Granskningslogg" in page.inner_text("h1") and "ada.admin" in page.inner_text("table.report")
    no_violations(page, "oidc-audit")
    page.focus("#audit-days")
    page.keyboard.press("Tab")
    page.keyboard.type("ada.admin")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # "Inloggning", the first event after "Alla händelser"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/audit?**action=login**")
    cells = page.locator("table.report tbody tr td:nth-child(3)").all_inner_texts()
    assert cells and set(cells) == {"Inloggning"}
    no_violations(page, "oidc-audit-filtered")

    logins_before = provider.logins
    page.click("form.logout button")
    page.wait_for_url(server.url + "/agent/login**")
    assert "Du är utloggad." in page.inner_text("main")
    assert provider.logouts and provider.logouts[-1]["user"] == "ada.admin"
    page.goto(server.url + "/agent/audit")
    assert "/agent/login" in page.url  # the session is gone here
    page.click("#sso-login")
    page.wait_for_selector("#username")  # and at the provider: it asks who you are again
    assert provider.logins == logins_before


def test_a_user_without_a_mapped_role_sees_no_access(server, provider, tab):
    page = tab
    page.goto(server.url + "/agent/login")
    page.click("#sso-login")
    sign_in_at_provider(page, "olle.none")
    page.wait_for_selector("h1:has-text('Ingen behörighet')")
    assert "olle.none" in page.inner_text("main")
    no_violations(page, "oidc-no-access")
    page.goto(server.url + "/agent/")
    assert "/agent/login" in page.url
