"""Screenshot a graphflow HTML page in headless Chromium once its graph is drawn.

Usage: python scripts/screenshot_html.py PAGE.html OUT.png|OUT.pdf [--width PX] [--height PX]
       [--route ROUTE-ID] [--timeout SECONDS]

Waits for ``window.graphflow.ready`` (the page sets ``body[data-ready]`` at the same moment,
after the first complete drawing), never for a fixed time. ``OUT.pdf`` prints the page with the
print stylesheet (graph and route card on the page, with the disclaimer, date, version and
query); ``--route`` opens that route's card first. Needs Debian's ``chromium`` (or
$GRAPHFLOW_CHROMIUM) and the pip package ``playwright``.
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


def screenshot(page_path: Path, out: Path, timeout_s: float = 60.0, width: int = 1400,
               height: int = 900, route: str | None = None) -> float:
    """Open ``page_path`` (``width`` x ``height``), wait for ``window.graphflow.ready``, save a
    PNG (or, for ``.pdf``, the printed page) to ``out``.

    Returns the page's ``window.graphflow.drawnAt`` in milliseconds. Remote requests are blocked.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route(re.compile(r"^(https?|wss?|ftp)://", re.I), lambda r: r.abort())
            page = context.new_page()
            page.goto(page_path.resolve().as_uri(), timeout=timeout_s * 1000)
            # body[data-ready] is set together with window.graphflow.ready; a selector wait
            # avoids eval, which the page's CSP forbids
            page.wait_for_selector('body[data-ready="true"]', state="attached",
                                   timeout=timeout_s * 1000)
            drawn_at = float(page.evaluate("window.graphflow.drawnAt"))
            if route and not page.evaluate("id => window.graphflow.selectRoute(id)", route):
                raise SystemExit(f"no route {route!r} on this page")
            if out.suffix.lower() == ".pdf":
                page.emulate_media(media="print")
                page.pdf(path=str(out), format="A4", print_background=True)
            else:
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
    parser.add_argument("--width", type=int, default=1400, help="viewport width (px)")
    parser.add_argument("--height", type=int, default=900, help="viewport height (px)")
    parser.add_argument("--route", default=None, help="open this route's card first")
    args = parser.parse_args(argv)
    drawn_at = screenshot(args.page, args.out, args.timeout, args.width, args.height, args.route)
    print(f"{args.out}: graph drawn at {drawn_at:.0f} ms after navigation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
