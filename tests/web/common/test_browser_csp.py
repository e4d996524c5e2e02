"""The Content-Security-Policy in a real browser, and the API docs on a closed network.

Every browser test fails on a "Refused to ..." console message (the ``browser`` fixture in
tests/web/conftest.py); the first test here shows that the watch sees one. The API docs page
(Swagger UI from django-ninja's own static files, through whitenoise) must list the operations
with every request that leaves 127.0.0.1 aborted, and must not even try one."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.web.conftest import browser_marks

PASSWORD = "csp-test-password-2026"

pytestmark = browser_marks


def test_the_browser_fixture_sees_what_the_policy_refuses(live_server, phone_page, csp_violations):
    page = phone_page()
    page.goto(live_server.url + "/")
    assert "script-src 'self'" in page.evaluate(
        "async () => (await fetch(location.href)).headers.get('content-security-policy')")
    page.evaluate("""() => {
        const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s);
        const d = document.createElement('div'); d.setAttribute('style', 'color: red'); document.body.append(d);
    }""")
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    assert page.evaluate("() => window.ran") is None  # the inline script did not run
    refused = "\n".join(csp_violations)
    assert "inline script" in refused and "inline style" in refused
    csp_violations.clear()  # seen: the fixture would fail the test otherwise


def test_api_docs_load_with_nothing_but_the_server(live_server, phone_page):
    page = phone_page()
    attempted: list[str] = []

    def only_local(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            attempted.append(url)
            route.abort()

    page.route("**/*", only_local)
    base = live_server.url.replace("//localhost:", "//127.0.0.1:")  # the live server listens on 127.0.0.1
    response = page.goto(base + "/api/v1/docs")
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for(timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/auth/token" in [p.replace("\u200b", "") for p in paths]
    assert len(paths) > 40
    # an operation opens and shows its parameters and responses, drawn by the local script
    page.locator(".opblock-summary", has_text="/api/v1/auth/token").first.click()
    page.locator(".opblock-body .responses-wrapper").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert attempted == []


def test_the_operator_admin_passes_the_policy(reference_data, live_server, phone_page, make_user):
    """Django's admin (its jQuery, the date and related-object widgets) under the same CSP: every
    list and every add form linked from the index, with no refusal (the fixture checks)."""
    operator = make_user("operator", username="csp-operator", is_staff=True, is_superuser=True)
    operator.set_password(PASSWORD)
    operator.save()
    page = phone_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "csp-operator")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    links = page.eval_on_selector_all("#content-main a[href^='/admin/']", "els => els.map(e => e.getAttribute('href'))")
    pages = sorted(set(links))
    assert any(p.endswith("/add/") for p in pages) and len(pages) > 20
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
