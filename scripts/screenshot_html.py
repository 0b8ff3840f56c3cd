"""Screenshot a graphflow HTML page in headless Chromium once its graph is drawn.

Usage: python scripts/screenshot_html.py PAGE.html OUT.png [--timeout SECONDS]
Needs Debian's ``chromium`` (or $GRAPHFLOW_CHROMIUM) and the pip package ``playwright``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

CHROMIUM = os.environ.get("GRAPHFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def screenshot(page_path: Path, out: Path, timeout_s: float = 60.0) -> float:
    """Open ``page_path`` (1400x900), wait for ``window.graphflow.ready``, save PNG to ``out``.

    Returns the page's ``window.graphflow.drawnAt`` in milliseconds. Remote requests are blocked.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route(re.compile(r"^(https?|wss?|ftp)://", re.I), lambda r: r.abort())
            page = context.new_page()
            page.goto(page_path.resolve().as_uri(), timeout=timeout_s * 1000)
            # body[data-ready] is set together with window.graphflow.ready; a selector wait
            # avoids eval, which the page's CSP forbids
            page.wait_for_selector('body[data-ready="true"]', state="attached",
                                   timeout=timeout_s * 1000)
            drawn_at = float(page.evaluate("window.graphflow.drawnAt"))
            page.screenshot(path=str(out))
            return drawn_at
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="graphflow HTML file")
    parser.add_argument("out", type=Path, help="PNG file to write")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for ready")
    args = parser.parse_args(argv)
    drawn_at = screenshot(args.page, args.out, args.timeout)
    print(f"{args.out}: graph drawn at {drawn_at:.0f} ms after navigation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
