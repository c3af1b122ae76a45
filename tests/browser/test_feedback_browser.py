"""What comes back, in a real browser: the citizen's "Did this page answer your question?" on the static site
(with JavaScript, without it, and with the API down), the e-service start count, and the agent's error report,
copied e-service link and the editors' figures, all by keyboard and axe-clean."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.site import pipeline
from portal.web import searchlog
from portal.web.feedbackstore import current_store
from tests.browser.conftest import AXE, LiveServer, no_violations
from tests.browser.test_agent_browser import server  # noqa: F401 - the app on a loopback port, erik an editor

pytestmark = pytest.mark.browser
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def static_site(server, corpus_dir, tmp_path):  # noqa: F811
    """The static site built with site.api naming the live API, served from its own origin."""
    site_yml = corpus_dir / "site.yml"
    site_yml.write_text(site_yml.read_text("utf-8").replace(
        "  base_url: https://www.testby.se\n", f"  base_url: https://www.testby.se\n  api: {server.url}\n"), "utf-8")
    pipeline.build(corpus_dir, tmp_path / "site", tmp_path / "site-index", today=TODAY)
    live = LiveServer(folder=tmp_path / "site")
    yield live
    live.stop()


def _tab(browser, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    return context, page


def figures(app):
    with app.app_context():
        return current_store().figures(), current_store().comments()


def test_a_citizen_answers_without_a_reload_and_is_told_when_the_api_is_down(browser, app, server, static_site):  # noqa: F811
    context, page = _tab(browser)
    try:
        for lang in ("en", "ar"):  # the form in every language, right-to-left too
            page.goto(static_site.url + f"/{lang}/bygglov/")
            assert page.is_visible("form[data-feedback]")
            no_violations(page, f"feedback-form-{lang}")
        page.goto(static_site.url + "/sv/bygglov/")
        page.evaluate("() => { window.__noReload = true; }")
        no_violations(page, "feedback-form-sv")
        page.focus("#feedback-comment")
        page.keyboard.type("Svårt att hitta avgiften. Ring mig på 070-123 45 67")
        page.keyboard.press("Tab")  # the yes button
        page.keyboard.press("Tab")  # the no button
        page.keyboard.press("Enter")
        page.wait_for_selector(".feedback.is-sent")
        assert page.evaluate("() => window.__noReload") is True
        assert page.evaluate("() => document.activeElement.id") == "feedback-thanks"
        assert page.is_visible("text=Tack för ditt svar!")
        no_violations(page, "feedback-sent-sv")
        stored, comments = figures(app)
        assert stored["bygglov"].no == 1 and stored["bygglov"].yes == 0
        assert comments[0].lang == "sv" and "070" not in comments[0].comment and "[telefon]" in comments[0].comment

        server.stop()  # the server goes away: the static page still works and says the answer was not sent
        page.goto(static_site.url + "/en/bygglov/")
        page.click("button[name=helpful][value=yes]")
        page.wait_for_selector(".feedback-error", state="visible")
        assert not page.is_visible(".feedback-thanks")
        assert page.is_enabled("button[name=helpful][value=yes]")  # the citizen may try again
        assert not page.csp_errors, page.csp_errors
    finally:
        context.close()


def test_without_javascript_the_plain_form_posts_and_the_thanks_is_shown(browser, app, server, static_site):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(static_site.url + "/sv/bygglov/")
        page.fill("#feedback-comment", "Bra sida")
        page.click("button[name=helpful][value=yes]")
        page.wait_for_url("**/sv/bygglov/#feedback-thanks")
        assert page.is_visible("#feedback-thanks") and "Tack för ditt svar!" in page.inner_text("#feedback-thanks")
        stored, comments = figures(app)
        assert stored["bygglov"].yes == 1 and comments[0].comment == "Bra sida"
    finally:
        context.close()


def test_without_javascript_a_store_that_cannot_write_gets_a_readable_page(browser, app, server, static_site,  # noqa: F811
                                                                          monkeypatch):
    """The plain form while the answers cannot be stored: a 503 page in the citizen's language, axe-clean, that
    leads back to the article and to the contact centre. (Here the store is made to refuse; the faults
    themselves, a read-only folder or database and a server away, are provoked in tests/test_store_recovery.py.)
    feedback.js is kept from loading, so that the form posts as it does without JavaScript while axe can run."""
    from portal.web.database import Database, StoreUnavailable

    def refuse(self, work):
        raise StoreUnavailable()

    monkeypatch.setattr(Database, "with_cursor", refuse)
    context, page = _tab(browser)
    context.route("**/feedback.js", lambda route: route.abort())
    try:
        for lang, heading, back in (("sv", "Ditt svar kunde inte skickas just nu", "Ansöka om bygglov"),
                                    ("ar", "تعذّر إرسال إجابتك الآن", None)):
            page.goto(static_site.url + f"/{lang}/bygglov/")
            with page.expect_response("**/api/v1/feedback") as answer:
                page.click("button[name=helpful][value=no]")
            page.wait_for_load_state("load")
            assert answer.value.status == 503 and int(answer.value.headers["retry-after"]) > 0
            assert heading in page.inner_text("h1")
            assert page.get_attribute("html", "lang") == lang
            if back:
                assert page.is_visible(f"main a:has-text('{back}')")
            no_violations(page, f"feedback-unavailable-{lang}")
    finally:
        context.close()


def test_the_e_service_start_button_is_counted_on_the_way_out(browser, app, server, static_site):  # noqa: F811
    context, page = _tab(browser)
    try:
        # the e-service is elsewhere on the internet; here it answers with an empty page
        page.route("https://e.testby.se/**", lambda route: route.fulfill(status=200, body="e-tjänst",
                                                                         content_type="text/plain"))
        page.goto(static_site.url + "/sv/bygglov/")
        page.click("a[data-start-url]")
        page.wait_for_url("https://e.testby.se/**")
        for _ in range(50):
            if figures(app)[0].get("bygglov") and figures(app)[0]["bygglov"].starts.get("web"):
                break
            page.wait_for_timeout(100)
        assert figures(app)[0]["bygglov"].starts == {"web": 1}
    finally:
        context.close()


def test_an_agent_reports_an_error_and_an_editor_follows_it_up_by_keyboard(browser, app, server):  # noqa: F811
    with app.app_context():
        for _ in range(3):
            current_store().add_feedback("forskoleplats", "sv", True)
        current_store().add_feedback("bygglov", "sv", False, "<img src=x onerror=alert(1)> oklart")
        searchlog.current_log().record("parkeringstillstånd", "sv", 0)
    context, page = _tab(browser, permissions=["clipboard-read", "clipboard-write"])
    try:
        page.goto(server.url + "/agent/login")
        page.fill("#username", "erik")
        page.fill("#password", "erik-password-1")
        page.press("#password", "Enter")
        page.wait_for_url(server.url + "/agent/")

        page.goto(server.url + "/agent/article/bygglov")
        page.focus("#report-what")
        page.keyboard.type("Avgiften för bygglov är fel sedan januari")
        page.keyboard.press("Tab")
        page.keyboard.type("Se nya taxan")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_url("**reported=1**")
        assert "Rapporten har skickats till MARKER-OWNER-2b7d@testby.se" in page.inner_text(".notice-ok")
        assert "Avgiften för bygglov är fel" in page.inner_text(".reports")
        no_violations(page, "agent-article-reported")

        page.click("button[data-copy='copy-eservice']")
        page.wait_for_selector("#copy-eservice-status:has-text('Kopierad')")
        for _ in range(50):
            if figures(app)[0]["bygglov"].starts.get("agent"):
                break
            page.wait_for_timeout(100)
        assert figures(app)[0]["bygglov"].starts == {"agent": 1}

        page.goto(server.url + "/agent/reports/feedback")
        assert page.is_visible("svg[role=img]")
        rows = page.locator("table.report tbody th").all_inner_texts()
        # bygglov: an open report (5), a "no" (2) and a comment (1) come before the search that found nothing
        # (1) and before forskoleplats (only yes answers: 0)
        assert rows[:3] == ["Ansöka om bygglov", "Sökning utan träff: parkeringstillstånd", rows[2]], rows
        assert "förskol" in rows[2].lower(), rows
        assert "<img src=x onerror=alert(1)> oklart" in page.inner_text(".comments")  # shown as text
        no_violations(page, "agent-feedback-figures")

        page.goto(server.url + "/agent/reports/errors")
        no_violations(page, "agent-error-reports")
        page.focus("table.report button")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Inga öppna felrapporter")
        with app.app_context():
            assert current_store().reports() == []
        assert not page.csp_errors, page.csp_errors
    finally:
        context.close()
