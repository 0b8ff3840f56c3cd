"""Export benchmarks: HTML export time and file size, and time until Chromium has drawn it.

    python -m benchmarks.export_bench                 # NYC + a ~2,000-actor synthetic pack
    python -m benchmarks.export_bench --no-browser    # sizes and export times only

Prints one JSON line per case: ``case``, ``nodes``, ``edges``, ``routes``, ``seconds`` (view +
render + atomic write, pack already loaded), ``bytes``, ``drawn_ms`` (``window.graphflow.drawnAt``:
milliseconds from navigation until the laid-out graph was first drawn and the layout stopped;
null without a browser) and ``load_seconds`` (loading and checking the pack).
Needs Debian's ``chromium`` (or $GRAPHFLOW_CHROMIUM) and the pip package ``playwright``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("GRAPHFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DAY = dt.date(2017, 3, 1)


def export_case(name: str, build: Callable[[], dict[str, Any]], out: Path) -> dict[str, Any]:
    """Build the view, render and write it; time the whole export."""
    from graphflow.export.formats import write_bytes
    from graphflow.export.html import render_html

    start = time.perf_counter()
    view = build()
    payload = render_html(view).encode("utf-8")
    path = write_bytes(payload, out / f"{name}.html")
    seconds = time.perf_counter() - start
    return {"case": name, "nodes": len(view["nodes"]), "edges": len(view["edges"]),
            "routes": len(view["routes"]), "seconds": round(seconds, 3),
            "bytes": path.stat().st_size if path else len(payload), "drawn_ms": None,
            "path": str(path)}


def drawn_ms(browser: Any, path: Path, timeout_s: float = 180.0) -> float:
    """Open the page in a fresh context and return ``window.graphflow.drawnAt``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        context.route(re.compile(r"^(https?|wss?|ftp)://", re.I), lambda r: r.abort())
        page = context.new_page()
        page.goto(path.resolve().as_uri(), timeout=timeout_s * 1000)
        page.wait_for_selector('body[data-ready="true"]', state="attached",
                               timeout=timeout_s * 1000)
        return round(float(page.evaluate("window.graphflow.drawnAt")), 1)
    finally:
        context.close()


def cases(counties: int, max_hops: int) -> list[tuple[str, Callable[[], dict], float]]:
    """(name, view builder, pack load seconds) for NYC and the synthetic pack."""
    from graphflow.audit import make_query, run_query
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.export.view import pack_view, route_view, timeline_data
    from graphflow.packs.loader import load_pack

    out: list[tuple[str, Callable[[], dict], float]] = []
    t = time.perf_counter()
    nyc = load_pack("nyc")
    load = time.perf_counter() - t

    def nyc_routes(timeline: bool = False) -> dict:
        engine = EmbeddedEngine(nyc)
        query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                           as_of=DAY)
        report = run_query(nyc, engine, query)
        tl = timeline_data(nyc, engine, query) if timeline else None
        return route_view(nyc, report, timeline=tl)

    out.append(("nyc-pack", lambda: pack_view(nyc), load))
    out.append(("nyc-pack-fare-evasion", lambda: pack_view(
        nyc, facts=nyc.profiles["fare-evasion"].facts, profile="fare-evasion", as_of=DAY), load))
    out.append(("nyc-routes-fare-evasion", nyc_routes, load))
    out.append(("nyc-routes-fare-evasion-timeline", lambda: nyc_routes(True), load))

    from benchmarks.generate import Shape, write_pack

    folder = Path(tempfile.mkdtemp(prefix="graphflow-bench-"))
    write_pack(folder, Shape(counties=counties), seed=1)
    t = time.perf_counter()
    syn = load_pack(folder)
    load = time.perf_counter() - t
    profile = next(iter(syn.profiles))

    def syn_routes() -> dict:
        query = make_query(syn, source=None, target=None, profile=profile, as_of=DAY,
                           max_hops=max_hops)
        return route_view(syn, run_query(syn, EmbeddedEngine(syn), query))

    tag = f"synthetic-{len(syn.actors)}"
    out.append((f"{tag}-pack", lambda: pack_view(syn, facts=syn.profiles[profile].facts,
                                                 profile=profile, as_of=DAY), load))
    out.append((f"{tag}-routes-{max_hops}-hops", syn_routes, load))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.export_bench",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=200,
                    help="synthetic pack size (200 counties: about 2,050 actors, 8,000 flows)")
    ap.add_argument("--max-hops", type=int, default=5, help="synthetic route query bound")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium timing")
    ap.add_argument("--keep", type=Path, default=None, help="keep the HTML files here")
    args = ap.parse_args(argv)
    out = args.keep or Path(tempfile.mkdtemp(prefix="graphflow-export-"))
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for name, build, load in cases(args.counties, args.max_hops):
        row = export_case(name, build, out)
        row["load_seconds"] = round(load, 3)
        results.append(row)
    if not args.no_browser:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            try:
                for row in results:
                    row["drawn_ms"] = drawn_ms(browser, Path(row["path"]))
            finally:
                browser.close()
    for row in results:
        if not args.keep:
            Path(row.pop("path")).unlink(missing_ok=True)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
