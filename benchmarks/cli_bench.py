"""Wall time of everyday CLI calls on the bundled NYC pack, start-up included.

    python -m benchmarks.cli_bench [--runs 10]

One JSON line per case: median and best of N runs in fresh processes, with the ratio against
a bare interpreter start (`python -c pass`) measured in the same run. Targets from the issue:
`graphflow routes` under 0.5 s and `graphflow --help` under 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

CASES = {
    "help": ["--help"],
    "routes": ["routes", "--from", "nypd-arrest", "--to", "ice", "--profile", "fare-evasion",
               "--as-of", "2017-03-01"],
    "routes-json": ["routes", "--profile", "fare-evasion", "--format", "json"],
    "leaks": ["leaks", "--profile", "prior-removal-order"],
    "cut-city": ["cut", "--profile", "fare-evasion", "--controllable-by", "city"],
    "validate": ["validate"],
}


def timed(cmd: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("graphflow")
    base = [exe] if exe else [sys.executable, "-m", "graphflow"]
    bare = statistics.median(timed([sys.executable, "-c", "pass"], args.runs))
    for case, argv in CASES.items():
        times = timed(base + argv, args.runs)
        med = statistics.median(times)
        print(json.dumps({
            "case": case, "seconds": round(med, 4), "best": round(min(times), 4),
            "runs": args.runs, "baseline": "python -c pass", "baseline_seconds": round(bare, 4),
            "ratio": round(med / bare, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
