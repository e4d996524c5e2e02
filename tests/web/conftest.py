import os
import shutil
from pathlib import Path

import pytest

PHONE = "13800138000"


@pytest.fixture
def zh(client):
    """The test client asks for Chinese, as a phone in China does."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


# --- a real browser (Debian's chromium through Playwright) at a phone's size ---------------
# A browser test module sets ``pytestmark = browser_marks`` and takes the ``browser``
# fixture; ``shoot(page, name)`` saves a screenshot when HEJIE_SCREENSHOTS names a folder.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE_VIEWPORT = {"width": 390, "height": 844}

browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists() and not shutil.which("chromium"),
                       reason=f"no chromium at {CHROMIUM} (apt-get install -y chromium)"),
]


@pytest.fixture(scope="session", autouse=True)
def _one_request_at_a_time_on_shared_sqlite():
    """On SQLite the test database lives in memory, and Django's live server hands every request
    thread the one connection of the test thread: two requests at once (the evidence page uploads
    three files in parallel) then begin a transaction inside another's, and one fails with
    "cannot start a transaction within a transaction". There the live server still reads requests
    in threads (Chromium keeps idle connections open) but runs the application for one request at
    a time. PostgreSQL keeps it as it is: each request thread has its own connection, as in
    production."""
    import threading

    from django.conf import settings
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        yield
        return
    lock = threading.Lock()

    class OneAtATime(ThreadedWSGIServer):
        def set_app(self, application):
            def serial(environ, start_response):
                with lock:  # the response is produced and consumed while the connection is ours
                    result = application(environ, start_response)
                    try:
                        return list(result)
                    finally:
                        if hasattr(result, "close"):
                            result.close()

            super().set_app(serial)

    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = OneAtATime
    yield
    LiveServerThread.server_class = threaded


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser refused by the Content-Security-Policy during the test (a "Refused to ..." or
    "... violates the following Content Security Policy directive" console message of any page of any
    context): the ``browser`` fixture fails the test if any is left."""
    return []


@pytest.fixture
def browser(monkeypatch, csp_violations):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the
    # test itself makes (data set-up, the flush at the end) are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")

    def watch(context):
        def on_console(message):
            # Chromium's words: "Refused to load ..." (older), "... violates the following Content
            # Security Policy directive ... The action has been blocked." (newer)
            if message.text.startswith("Refused to") or "Content Security Policy directive" in message.text:
                csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")
        context.on("console", on_console)
        return context

    # every context a test makes (browser.new_context, page.context.browser.new_context, browser.new_page)
    new_context, new_page = sync_api.Browser.new_context, sync_api.Browser.new_page
    monkeypatch.setattr(sync_api.Browser, "new_context", lambda self, *a, **kw: watch(new_context(self, *a, **kw)))

    def watched_new_page(self, *a, **kw):
        page = new_page(self, *a, **kw)
        watch(page.context)
        return page
    monkeypatch.setattr(sync_api.Browser, "new_page", watched_new_page)
    with sync_api.sync_playwright() as p:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if csp_violations:
        pytest.fail("the Content-Security-Policy refused:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.fixture
def shoot():
    folder = os.environ.get("HEJIE_SCREENSHOTS")

    def shot(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return shot


@pytest.fixture
def phone_page(browser):
    """``phone_page(locale="zh-CN")`` → a new page in its own context (own cookies) at a phone's size."""
    contexts = []

    def open_page(locale: str = "zh-CN"):
        context = browser.new_context(viewport=PHONE_VIEWPORT, locale=locale, device_scale_factor=1)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
