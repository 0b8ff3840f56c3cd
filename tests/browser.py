"""Headless-Chromium helpers for the HTML tests (Debian ``chromium`` + pip ``playwright``).

If Chromium or Playwright is missing the browser tests are skipped loudly, except when the
``CI`` environment variable is set: then they fail, so CI can never pass without running them.
Set ``GRAPHFLOW_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("GRAPHFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
REMOTE = re.compile(r"^(https?|wss?|ftp)://", re.I)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "pip package 'playwright' is not installed"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium executable at {CHROMIUM} (apt-get install chromium)"
    return None


def require_browser() -> None:
    """Skip (loudly) when no browser is available; fail instead when $CI is set."""
    reason = browser_missing()
    if reason is None:
        return
    message = f"browser tests cannot run: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set, so this is an error)", pytrace=False)
    warnings.warn(message, stacklevel=2)
    pytest.skip("SKIPPED LOUDLY: " + message)


@dataclass
class Recorded:
    """A page plus everything it did that a test may want to assert on."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: Path, timeout_ms: float = 30_000) -> float:
        """Load an HTML file, wait for ``window.graphflow.ready``; return its ``drawnAt`` (ms)."""
        self.page.goto(path.resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        # a selector wait, not wait_for_function: polling a JS string needs eval, which the
        # page's CSP forbids (it would show up as a page error)
        self.page.wait_for_selector('body[data-ready="true"]', state="attached",
                                    timeout=timeout_ms)
        assert self.page.evaluate("window.graphflow.ready") is True
        return float(self.page.evaluate("window.graphflow.drawnAt"))

    def remote_requests(self) -> list[str]:
        """Every request for anything other than a local file."""
        return [u for u in self.requests if not u.startswith("file://")]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session (a plain launch: Playwright gives it a fresh
    temporary user-data-dir and deletes it on close)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def recorded_page(chromium: Any) -> Iterator[Recorded]:
    """A fresh page (own context) recording requests, console errors, page errors, dialogs.

    Remote requests are recorded and then aborted, so a test never leaks to the network.
    """
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.route(REMOTE, lambda route: route.abort())
    page = context.new_page()
    rec = Recorded(page)
    page.on("request", lambda r: rec.requests.append(r.url))
    page.on("console", lambda m: rec.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: rec.page_errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        rec.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield rec
    finally:
        context.close()
