"""The Content-Security-Policy without a browser: the header on pages, the API and its docs; no
template or script of the pages with what the policy refuses (so a page no browser test visits stays
clean too); the CSRF refusal as a page of the site. The browser tests (tests/web/**/test_browser_*)
fail on any refusal the browser reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hejie
from hejie.web.common.charts import bar_chart, line_chart

SRC = Path(hejie.__file__).parent
# e-mail bodies are not web pages: mail clients want inline styles
NOT_PAGES = {SRC / "notifications" / "templates" / "notifications" / "email.html"}
PAGE_TEMPLATES = sorted(p for p in [*SRC.glob("templates/**/*.html"), *SRC.glob("*/templates/**/*.html")]
                        if p not in NOT_PAGES)

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
JAVASCRIPT_URL = re.compile(r"""(href|action|src)\s*=\s*["']?\s*javascript:""", re.I)


def test_the_page_templates_are_found():
    assert len(PAGE_TEMPLATES) > 50
    assert SRC / "templates" / "base.html" in PAGE_TEMPLATES


@pytest.mark.parametrize("pattern", [INLINE_SCRIPT, EVENT_ATTRIBUTE, STYLE_ATTRIBUTE, STYLE_ELEMENT, JAVASCRIPT_URL],
                         ids=["inline script", "on* attribute", "style attribute", "style element", "javascript: URL"])
def test_no_page_template_has_what_the_policy_refuses(pattern):
    found = [f"{path.relative_to(SRC)}: {match.group(0)[:80]}" for path in PAGE_TEMPLATES
             for match in pattern.finditer(path.read_text())]
    assert found == []


def test_the_patterns_catch_what_they_are_for():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/hejie/x.js" defer></script>')
    assert EVENT_ATTRIBUTE.search('<button type="button" onclick="go()">')
    assert STYLE_ATTRIBUTE.search('<span class="bar" style="--w: 3%">')
    assert not STYLE_ATTRIBUTE.search('<span class="bar" data-style="x">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')


def test_no_script_of_the_pages_evaluates_strings_or_writes_style_attributes():
    scripts = sorted((SRC / "static" / "hejie").glob("*.js"))
    assert scripts
    refused = re.compile(r"""\beval\(|new Function\(|setTimeout\(\s*["']|setInterval\(\s*["']|"""
                         r"""setAttribute\(\s*["']style["']|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML""")
    found = [f"{path.name}: {m.group(0)}" for path in scripts for m in refused.finditer(path.read_text())]
    assert found == []


def test_charts_are_drawn_without_style_attributes():
    html = bar_chart([("a", 3), ("b", 1)], title="t") + line_chart(["1", "2"], [{"name": "n", "values": [1, 2]}],
                                                                     title="t")
    assert not STYLE_ATTRIBUTE.search(html)
    assert 'font-family="system-ui,sans-serif"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/signin/", "/businesses/", "/api/v1/docs", "/api/v1/openapi.json",
                                  "/api/v1/businesses", "/no-such-page/", "/admin/login/"])
def test_every_kind_of_response_carries_the_policy(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "object-src 'none'"):
        assert directive in policy
    assert "unsafe" not in policy


@pytest.mark.django_db
def test_the_api_docs_page_uses_only_local_files(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "text"), [("zh-CN", "这次提交没有完成"), ("en", "This was not submitted")])
def test_a_refused_form_is_a_page_of_the_site(language, text):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/signin/", {"phone": "13800138000"})
    assert response.status_code == 403
    html = response.content.decode()
    assert text in html and "hejie/site.css" in html
    assert not STYLE_ELEMENT.search(html) and not STYLE_ATTRIBUTE.search(html)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
