"""HTML report: hostile provider data stays text, the CSP admits only our assets, and sort/filter work in Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from markupsafe import escape
from report_samples import hostile_report, minimal_report, sample_report, xss_payloads

from reports import html_report
from reports.html_report import HtmlRenderer, reveal

PAGE = "/report.html"
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?')
TAGS = (
    "html head meta title link script style body a header main footer nav section h1 h2 h3 h4 p dl dt dd div span"
    " strong em code time br ul ol li table thead tbody tr th td details summary form label select option input button"
)
ALLOWED_TAGS = set(TAGS.split())


class Page(HTMLParser):
    """Elements, attributes and visible text of a document, as a browser's tree builder would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in = tag if tag in self.raw else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        (self.raw[self._in] if self._in else self.text).append(data)

    def tags(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def visible_text(self) -> str:
        return "".join(self.text)


def assert_inert(page: Page) -> None:
    """No element, handler or link can have come from provider data."""
    assert {tag for tag, _ in page.elements} <= ALLOWED_TAGS
    assert len(page.tags("script")) == 1 and len(page.tags("style")) == 1
    for tag, attrs in page.elements:
        assert not [a for a in attrs if a.startswith("on") or a in ("style", "src", "srcdoc", "action")], (tag, attrs)
        href = attrs.get("href")
        assert href is None or href.startswith("#") or (tag, href) == ("link", "data:,"), (tag, href)


def render(report: dict[str, Any]) -> str:
    """The page as text."""
    return HtmlRenderer().render(report).decode("utf-8")


# ---------------------------------------------------------------- plain Python checks


def sha256_source(text: str) -> str:
    """CSP hash source computed independently of the renderer."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_renderer_is_deterministic_html() -> None:
    """Same report, same bytes: golden tests and diffs of saved reports stay meaningful."""
    renderer = HtmlRenderer()
    assert (renderer.name, renderer.filename) == ("html", "report.html")
    first, second = renderer.render(sample_report()), renderer.render(sample_report())
    assert isinstance(first, bytes) and first == second and first.startswith(b"<!DOCTYPE html>")
    assert b"Shadow-AI report" in renderer.render(minimal_report())  # a contract-only report renders too


def test_every_payload_is_escaped_and_inert() -> None:
    """Each payload reaches the page only in escaped form, and no attribute can act on it."""
    html = render(hostile_report("http://127.0.0.1:9"))
    for name, payload in xss_payloads("http://127.0.0.1:9").items():
        if name == "rlo":
            assert payload not in html and "[U+202E]gpj.exe" in html
            continue
        assert str(escape(reveal(payload))) in html, name
        if "<" in payload or "'" in payload:
            assert payload not in html, name
    page = Page(html)
    assert_inert(page)
    urls = [v for _, attrs in page.elements for k, v in attrs.items() if k in ("href", "src", "action", "formaction")]
    assert urls and not [u for u in urls if "javascript:" in u.lower()]  # bare javascript: URLs are never links
    assert "{{7*7}}${7*7}" in page.visible_text()  # data is never evaluated as a template


def test_csp_hashes_match_inlined_assets() -> None:
    """The policy admits exactly our script and stylesheet, inline, and nothing from any network."""
    page = Page(render(sample_report()))
    (meta,) = [m for m in page.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in meta["content"].split(";"))
    script, style = "".join(page.raw["script"]), "".join(page.raw["style"])
    expected = (
        f"default-src 'none'; script-src {sha256_source(script)}; style-src {sha256_source(style)}; img-src data:"
    )
    assert policy == dict(p.split(" ", 1) for p in f"{expected}; base-uri 'none'; form-action 'none'".split("; "))
    assert script == html_report.load_asset("report.js") and style == html_report.load_asset("report.css")
    assert "unsafe" not in meta["content"] and "innerHTML" not in script and "eval(" not in script
    assert not re.search(r"https?://|@import|url\(", style + script)
    assert_inert(page)


def test_coverage_banner_only_when_incomplete() -> None:
    """Readers must not mistake a partial scan for a clean one, and must not be alarmed by a complete one."""
    assert 'role="alert"' not in render(sample_report(complete=True))
    html = render(sample_report(complete=False))
    banner = html[html.index('role="alert"') : html.index("</section>", html.index('role="alert"'))]
    for text in ("entra", "partial", "AuditLog.Read.All not granted", "gcp", "failed", "HTTP 500 from iam.googleapis"):
        assert text in banner
    assert "111111111111" not in banner  # the complete AWS scope is not listed


def test_identities_join_credentials_and_records() -> None:
    """Agents come first, each with its own credentials, evidence and registry record."""
    html = render(sample_report())
    agents, others = html.index("AI agents ("), html.index("Other non-human identities (")
    names = ("invoice-reconciler", "Copilot Helper", "support-bot")
    order = [html.index(f'<span class="name">{n}</span>') for n in names]
    assert agents < order[0] < order[1] < order[2] < others < html.index('<span class="name">alice</span>')
    support = html[order[2] : others]
    assert "AKIAEXAMPLE2" in support and "Not registered." in support and "+0.70" in support
    assert "legacy-helper</a>: retired" in html[order[1] : order[2]]
    assert "-0.50" in html  # human evidence dampens the score


def test_works_without_javascript() -> None:
    """Without the script every finding is visible and no dead controls are shown."""
    page = Page(render(sample_report(complete=False)))
    rows = [a for a in page.tags("tr") if a.get("class") == "finding"]
    assert len(rows) == 7 and not any("hidden" in r for r in rows)
    (controls,) = [a for a in page.tags("form") if a.get("id") == "finding-controls"]
    assert "hidden" in controls  # filter controls appear only when the script runs


# ---------------------------------------------------------------- headless Chromium

FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    " --disable-component-update --disable-sync --no-proxy-server --virtual-time-budget=3000 --dump-dom"
)


class Beacon:
    """Loopback HTTP server that serves pages and records every other request a page makes."""

    def __init__(self) -> None:
        self.pages: dict[str, bytes] = {}
        self.hits: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                body = beacon.pages.get(path)
                if body is None:
                    beacon.hits.append(path)
                self.send_response(200 if body is not None else 204)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            do_POST = do_OPTIONS = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium; missing is a failure, never a skip."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("headless Chromium is required for the HTML report tests: `make test` installs Debian's chromium")
    return path


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    """A fresh recorder per test, so hits never leak between tests."""
    server = Beacon()
    yield server
    server.server.shutdown()
    server.server.server_close()


def visit(chromium: str, beacon: Beacon, html: str, tmp_path: Path, fragment: str = "") -> tuple[Page, list[str]]:
    """Serve html, let Chromium run it, and return the final DOM and the requests the page made."""
    beacon.pages[PAGE] = html.encode("utf-8")
    beacon.pages["/favicon.ico"] = b""
    url = f"{beacon.base}{PAGE}" + (f"#{fragment}" if fragment else "")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    done = subprocess.run(
        [chromium, *FLAGS.split(), f"--user-data-dir={profile}", url], capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-2000:]
    time.sleep(0.2)  # let requests already on the wire reach the server thread
    return Page(done.stdout), sorted(set(beacon.hits))


@pytest.mark.browser
def test_control_unescaped_report_executes(chromium: str, beacon: Beacon, tmp_path: Path) -> None:
    """The same report through the same template with escaping off and no CSP must fire, or the tests prove nothing."""
    report = hostile_report(beacon.base)
    unsafe = html_report._environment().overlay(autoescape=False).get_template("report.html.j2")
    script, style = html_report.load_asset("report.js"), html_report.load_asset("report.css")
    html = unsafe.render(**html_report._context(report), csp="", script=script, style=style)
    _, hits = visit(chromium, beacon, CSP_META.sub("", html), tmp_path)
    assert {"/x1", "/x2", "/x3", "/x4", "/x7"} <= set(hits), hits


def check_hostile_dom(page: Page, base: str) -> None:
    """Our script ran, nothing was blocked or injected, and each payload is on screen as text."""
    root = page.tags("html")[0]
    assert root.get("data-ready") == "1" and root.get("data-styles") == "1", root
    assert_inert(page)
    text = page.visible_text()
    for name, payload in xss_payloads(base).items():
        assert reveal(payload) in text, name


@pytest.mark.browser
def test_hostile_report_is_inert_under_csp(chromium: str, beacon: Beacon, tmp_path: Path) -> None:
    """Nothing fires, nothing is blocked, and our own filter still matches a hostile rule name exactly."""
    report = hostile_report(beacon.base)
    rule = report["findings"][2]["rule"]  # poisoned unregistered-agent: filtering must still match it exactly
    page, hits = visit(chromium, beacon, render(report), tmp_path, urlencode({"rule": reveal(rule)}, quote_via=quote))
    assert hits == []
    check_hostile_dom(page, beacon.base)
    assert page.tags("html")[0].get("data-csp-violations") == "0"
    rows = [r for r in page.tags("tr") if r.get("class") == "finding"]
    assert [r["data-rule"] for r in rows if "hidden" not in r] == [reveal(rule)]


@pytest.mark.browser
def test_escaping_alone_keeps_hostile_report_inert(chromium: str, beacon: Beacon, tmp_path: Path) -> None:
    """Escaping is enough on its own: the CSP is a second layer, not the only one."""
    html, count = CSP_META.subn("", render(hostile_report(beacon.base)))
    assert count == 1
    page, hits = visit(chromium, beacon, html, tmp_path)
    assert hits == []
    check_hostile_dom(page, beacon.base)


ORDER_ASC = [  # info first; ties keep report order
    *("orphaned-registry-entry", "collection-gap", "stale-agent-credential", "long-lived-agent-credential"),
    *("unregistered-agent", "agent-privilege-path", "retired-agent-active"),
]


@pytest.mark.browser
@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("severity=critical", ["agent-privilege-path", "retired-agent-active"]),
        ("status=unknown&sort=severity", ["stale-agent-credential", "collection-gap"]),
        ("sort=severity&dir=asc&severity=bogus", ORDER_ASC),
        ("q=COPILOT&sort=title&dir=desc", ["stale-agent-credential", "retired-agent-active"]),
    ],
)
def test_hash_state_filters_and_sorts(
    chromium: str, beacon: Beacon, tmp_path: Path, fragment: str, expected: list[str]
) -> None:
    """A shared link like report.html#severity=critical opens with that view applied."""
    page, hits = visit(chromium, beacon, render(sample_report(complete=False)), tmp_path, fragment)
    assert hits == []
    rows = [r for r in page.tags("tr") if r.get("class") == "finding"]
    assert [r["data-rule"] for r in rows if "hidden" not in r] == expected
    assert f"Showing {len(expected)} of 7 findings" in page.visible_text()
    (controls,) = [a for a in page.tags("form") if a.get("id") == "finding-controls"]
    assert "hidden" not in controls


def test_plain_identities_are_one_escaped_line_each_and_interesting_ones_keep_their_card() -> None:
    """A large estate's quiet identities stay readable (one row each); evidence or findings keep the full card."""
    report = sample_report()
    quiet = {k: v for k, v in report["identities"][-1].items()}
    quiet.update(uid="aws:role:arn:aws:iam::111122223333:role/quiet", name="quiet<b>x</b>", human=False)
    quiet.update(description="nightly <i>batch</i>", tags={"team": "data&ops"})
    quiet["agent"] = {"score": 0.0, "is_agent": False, "evidence": []}
    report["identities"].append(quiet)
    html = render(report)
    others = html.index("Other non-human identities (")
    row = html[html.index('<span class="name">quiet&lt;b&gt;x&lt;/b&gt;</span>') :]
    row = row[: row.index("</tr>")]
    assert html.index('<span class="name">quiet&lt;b&gt;x&lt;/b&gt;</span>') > others
    assert "nightly &lt;i&gt;batch&lt;/i&gt;" in row and "data&amp;ops" in row and "<details" not in row
    assert '<details class="identity" id="' in html[others:]  # the human with dampening evidence keeps its card
