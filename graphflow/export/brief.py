"""`graphflow brief` as one self-contained, printable HTML page, and as PDF through headless
Chromium.

The page loads nothing: no script at all, one inline stylesheet allowed by its hash in the
Content-Security-Policy (``default-src 'none'``), every text autoescaped by Jinja
(``templates/brief.html.j2``). It prints on
Letter and A4 alike (``@page`` sets margins, not a paper size; blocks avoid page breaks inside a
step). PDF: the same HTML printed by Chromium (``GRAPHFLOW_CHROMIUM``, default
``/usr/bin/chromium``) through Playwright, with every request refused; when either is missing, a
one-line error says what to install.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from markupsafe import Markup

from graphflow.errors import GraphflowError
from graphflow.export.html import _csp_hash, _env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAPERS = {"letter": "Letter", "a4": "A4"}
PDF_TIMEOUT_MS = 60_000

CSS = """
:root { color-scheme: light; }
body { font: 11pt/1.45 Georgia, "DejaVu Serif", serif; color: #111; margin: 2rem auto;
       max-width: 46rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 .4rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05rem; margin: 1.1rem 0 .3rem; }
.notice { border: 2px solid #b91c1c; padding: .4rem .6rem; font-weight: bold; }
.headline { font-size: 1.15rem; font-weight: bold; margin: 1rem 0; }
.meta, .small { font-size: .9rem; color: #333; }
ol.steps > li { margin: .35rem 0; break-inside: avoid; page-break-inside: avoid; }
ul.cites { margin: .15rem 0 .3rem 1rem; padding-left: .6rem; font-size: .9rem; }
.route { break-inside: auto; }
.route h3 { break-after: avoid; page-break-after: avoid; }
a { color: #1d4ed8; overflow-wrap: anywhere; }
ol.sources li { margin: .2rem 0; overflow-wrap: anywhere; }
code { font-size: .85em; overflow-wrap: anywhere; }
.rid { font-weight: normal; font-size: .8em; color: #333; }
footer { margin-top: 2rem; border-top: 1px solid #999; padding-top: .4rem; font-size: .85rem; }
@page { margin: 16mm 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  a { color: #111; }
  a[href]::after { content: ""; }
}
"""


def _safe_url(url: Any) -> str | None:
    """Only http(s) links are made clickable; anything else is dropped (shown as text by id)."""
    text = str(url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


def _clean(b: dict[str, Any]) -> dict[str, Any]:
    for r in b["routes"]:
        for s in r["steps"]:
            for c in s["cites"]:
                c["url"] = _safe_url(c.get("url"))
    for rule in b["rules"]:
        for c in rule["cites"]:
            c["url"] = _safe_url(c.get("url"))
    for s in b["sources"]:
        s["url"] = _safe_url(s.get("url"))
    return b


def render_brief_html(b: dict[str, Any]) -> str:
    """The brief as one HTML page (no script, nothing loaded, text escaped)."""
    return _env().get_template("brief.html.j2").render(
        b=_clean(b), css=Markup(CSS),  # safe: a constant of this module, hashed for the CSP
        css_hash=_csp_hash(CSS))


def chromium_path() -> str:
    return os.environ.get("GRAPHFLOW_CHROMIUM", CHROMIUM)


def render_pdf(html: str, paper: str = "letter") -> bytes:
    """The page printed to PDF by headless Chromium (every request refused)."""
    if paper not in PAPERS:
        raise GraphflowError(f"unknown paper {paper!r}", hint="one of: " + ", ".join(PAPERS))
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise GraphflowError(
            "cannot write a PDF: the Python package playwright is not installed",
            hint="pip install playwright, and install Chromium (apt-get install chromium); "
                 "or write -o FILE.html and print it from a browser") from None
    exe = chromium_path()
    if not (Path(exe).is_file() and os.access(exe, os.X_OK)):
        raise GraphflowError(
            f"cannot write a PDF: no Chromium at {exe}",
            hint="install Chromium (apt-get install chromium) or set GRAPHFLOW_CHROMIUM; "
                 "or write -o FILE.html and print it from a browser")
    result: dict[str, Any] = {}

    def work() -> None:  # a thread of its own: the sync API refuses to run inside an event loop
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS,
                                             headless=True, timeout=PDF_TIMEOUT_MS)
                try:
                    context = browser.new_context(java_script_enabled=False, offline=True)
                    context.route("**/*", lambda route: route.abort())
                    page = context.new_page()
                    page.set_content(html, wait_until="load", timeout=PDF_TIMEOUT_MS)
                    page.emulate_media(media="print")
                    result["pdf"] = page.pdf(format=PAPERS[paper], print_background=True,
                                             outline=True, tagged=True)
                finally:
                    browser.close()
        except PlaywrightError as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, name="graphflow-pdf", daemon=True)
    thread.start()
    thread.join(timeout=3 * PDF_TIMEOUT_MS / 1000)
    if thread.is_alive():
        raise GraphflowError("cannot write a PDF: Chromium did not finish in "
                             f"{3 * PDF_TIMEOUT_MS // 1000} s", hint="write -o FILE.html")
    if "error" in result:
        text = str(result["error"]).strip()
        first = text.splitlines()[0] if text else type(result["error"]).__name__
        raise GraphflowError(f"cannot write a PDF: Chromium failed: {first}",
                             hint="check that Chromium starts headless here, or write -o "
                                  "FILE.html")
    return result["pdf"]
