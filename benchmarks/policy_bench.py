"""`cut` and `timeline` against one `routes --count`, whole CLI, on a national pack.

    python -m benchmarks.policy_bench --pack /tmp/national           # a generated pack
    python -m benchmarks.policy_bench --counties 3000 --seed 1        # generates one first

Each command runs as its own process (the whole CLI: start-up, pack load, the question, the
output written to /dev/null), `--repeat` times in turn (baseline first, so a noisy machine
hits all of them alike); the best wall time of each is kept, with the process's own peak RSS
(``os.wait4``). One JSON line per command with the pack's size, and the ratio to `routes
--count` from the same run. Targets (issue 14): cut <= 2x count; timeline over all change dates
<= 5x count with peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-12-01"


def commands(pack: str, profile: str | None) -> dict[str, list[str]]:
    case = ["--data", pack, "--as-of", AS_OF] + (["--profile", profile] if profile else [])
    return {
        "count": ["routes", "--count", *case],
        "cut": ["cut", *case],
        "cut-conditional": ["cut", "--include", "conditional", *case],
        "timeline": ["timeline", "--format", "json", *case],
    }


def run(argv: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one CLI process."""
    with open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "graphflow", *argv], stdout=sink,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {err.strip()[-400:]}")
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def sizes(pack: str, profile: str | None) -> dict[str, int]:
    """Actors, flows, routes (all statuses) and timeline change dates of the pack."""
    import datetime as dt

    from graphflow.engines.select import open_engine

    from graphflow.analysis.timeline import change_causes
    from graphflow.audit import count_routes, make_query, walk_statuses
    from graphflow.packs.loader import load_pack

    p = load_pack(pack)
    with open_engine("embedded", p) as engine:
        query = make_query(p, source=None, target=None, profile=profile,
                           as_of=dt.date.fromisoformat(AS_OF))
        counts = count_routes(p, engine, query)
        flows: set[str] = set()
        for path, _ in walk_statuses(p, engine, query):
            flows.update(path)
    dates = change_causes(p, flows, dict(query.facts), query.evidence_horizon)
    return {"actors": len(p.actors), "flows": len(p.flows), "routes": sum(counts.values()),
            "open_routes": counts["open"], "conditional_routes": counts["conditional"],
            "change_dates": len(dates)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pack", default=None, help="a national pack folder")
    ap.add_argument("--counties", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default=None)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cases", default="count,cut,timeline")
    args = ap.parse_args(argv)
    tmp = None
    pack = args.pack
    if pack is None:
        from benchmarks.generate import Shape, write_pack

        tmp = tempfile.TemporaryDirectory()
        pack = str(Path(tmp.name) / "national")
        write_pack(Path(pack), Shape(counties=args.counties), args.seed)
    size = sizes(pack, args.profile)
    cmds = commands(pack, args.profile)
    wanted = ["count", *[c for c in args.cases.split(",") if c != "count"]]
    best: dict[str, tuple[float, float, list[float]]] = {}
    for _ in range(args.repeat):
        for name in wanted:
            seconds, rss, _ = run(cmds[name])
            old = best.get(name)
            times = ([*old[2], seconds] if old else [seconds])
            best[name] = (min(seconds, old[0]) if old else seconds,
                          max(rss, old[1]) if old else rss, times)
    base = best["count"][0]
    for name in wanted:
        seconds, rss, times = best[name]
        print(json.dumps({"case": name, "command": "graphflow " + " ".join(cmds[name]),
                          **size, "seconds": round(seconds, 2),
                          "times": [round(t, 2) for t in times],
                          "peak_rss_mb": round(rss, 1), "baseline": "count",
                          "ratio": round(seconds / base, 2)}), flush=True)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
