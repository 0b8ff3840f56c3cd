"""Regenerate the documentation screenshot from a real export.

Usage: python scripts/make_screenshot.py [--out docs/img/nyc-fare-evasion.png] [--html FILE]

Exports every route from an NYPD arrest to ICE for the ``fare-evasion`` profile on 2017-03-01
(``graphflow export html``), then screenshots it in headless Chromium once the graph is drawn
(``scripts/screenshot_html.py``). Needs Debian's ``chromium`` and the pip package ``playwright``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
QUERY = ["--from", "nypd-arrest", "--to", "ice", "--profile", "fare-evasion",
         "--as-of", "2017-03-01"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "nyc-fare-evasion.png",
                        help="PNG to write")
    parser.add_argument("--html", type=Path, default=None,
                        help="also keep the exported page here (default: a temporary file)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from screenshot_html import screenshot

    with tempfile.TemporaryDirectory(prefix="graphflow-shot-") as tmp:
        page = args.html or Path(tmp) / "nyc-fare-evasion.html"
        subprocess.run([sys.executable, "-m", "graphflow", "export", "html", "-o", str(page),
                        "--data", "nyc", *QUERY], check=True, cwd=ROOT)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        drawn_at = screenshot(page, args.out)
    print(f"{args.out}: graph drawn at {drawn_at:.0f} ms after navigation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
