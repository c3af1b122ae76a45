"""The history, the comparison of two versions and "Nytt och ändrat" in a real browser (issue 29): axe-clean, and
used with the keyboard alone: tab to a version, open what changed, compare two versions, mark an article read."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE, LiveServer, no_violations
from tests.test_history import make_app, make_repo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history-browser")
    articles, _shas = make_repo(tmp)
    live = LiveServer(app=make_app(articles, tmp))
    yield live
    live.stop()


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))  # the app's CSP blocks an inline script tag
    page = context.new_page()
    page.goto(server.url + "/agent/login")
    page.fill("#username", "anna")
    page.fill("#password", "anna-password-1")
    page.press("#password", "Enter")
    page.wait_for_url(server.url + "/agent/")
    yield page
    context.close()


def tab_to(page, test: str, most: int = 60) -> None:
    """Press Tab until the focused element passes the JavaScript *test* (given `el`)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({test}); }}"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_history_and_comparison_with_the_keyboard(tab, server):
    page = tab
    page.goto(server.url + "/agent/article/bygglov")
    tab_to(page, "el.getAttribute('href') === '/agent/article/bygglov/history'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/article/bygglov/history")
    no_violations(page, "agent-history")

    # a version's own change, opened from the keyboard
    tab_to(page, "el.textContent.includes('Visa vad som ändrades') && el.textContent.includes('Höjd avgift')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/diff?**")
    assert page.locator("del").filter(has_text="200").count() == 1
    assert page.locator("ins").filter(has_text="500").count() == 1
    assert "Borttaget:" in page.locator("del").first.text_content()  # said, not only shown
    no_violations(page, "agent-diff")

    # two versions chosen in the form, with the keyboard
    page.go_back()
    page.wait_for_url("**/history")
    page.focus("h1")
    tab_to(page, "el.id === 'cmp-from'")
    for _ in range(5):  # down to the last: before the article existed
        page.keyboard.press("ArrowDown")
    tab_to(page, "el.id === 'cmp-to'")
    tab_to(page, "el.type === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/diff?from=&to=**")
    assert "4 incheckningar emellan" in page.inner_text("#between-h")
    no_violations(page, "agent-diff-whole")


def test_whats_new_marked_read_with_the_keyboard(tab, server):
    page = tab
    page.goto(server.url + "/agent/changes?days=7")
    assert page.locator("h2[id^=item-]").count() == 3
    no_violations(page, "agent-whats-new")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Markera som läst')"
                 " && el.textContent.includes('simskola')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/changes?days=7#item-simskola")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'item-simskola'")
    item = page.locator("li.change").filter(has=page.locator("#item-simskola"))
    assert "Läst" in item.inner_text() and "Markera som oläst" in item.inner_text()
    assert "1 oläst" not in page.inner_text(".status") and "2 olästa" in page.inner_text(".status")
    no_violations(page, "agent-whats-new-read")

    page.locator("#days").select_option("30")
    page.focus("#days")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Visa'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/changes?days=30**")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.includes('Markera alla som lästa')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/changes?days=30**")
    assert "0 olästa" in page.inner_text(".status")
    page.keyboard.press("Tab")  # the page still works from the keyboard after the post
    no_violations(page, "agent-whats-new-all-read")
