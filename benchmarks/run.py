"""Benchmarks: one JSON line per case, each measured in a fresh subprocess.

    python -m benchmarks.run --counties 3000 --seed 1          # generate, then run every case
    python -m benchmarks.run --pack /tmp/national --cases load,enumerate

Every line has ``case``, ``nodes``, ``edges``, ``routes``, ``seconds`` and ``peak_rss_mb`` (the
peak of the case's own process, pack loading included; ``rss_loaded_mb`` is the resident size
once the pack is loaded), and where a baseline applies ``baseline``, ``baseline_seconds`` and
``ratio`` (our seconds divided by the baseline's, both measured in this run). Baselines run
first. A case is a function registered with ``@case``; add one by registering it, with
``baseline=`` naming the case it is compared with (or a baseline the case measures itself and
reports as ``baseline_seconds``).

The Bolt-store cases (``bolt-load``, ``bolt-routes``) start their own ArcadeDB server (from
arcadedb-embedded, ``--bolt-heap``) and stop it at the end; they run by default when
arcadedb-embedded and the neo4j driver are installed (``--no-bolt`` leaves them out, ``--bolt``
insists on them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Settings:
    """What every case measures: the pack, the query, the bounds."""

    pack: str
    source: str = "c0001-arrest"
    target: str = "ice"
    profile: str = "fare-evasion"
    as_of: str = "2018-06-01"
    max_hops: int = 8
    limit: int = 100
    nx_timeout: float = 600.0
    repeat: int = 3
    bolt_heap: str = "4g"  # the ArcadeDB server's -Xmx
    bolt_batch: int = 1000  # rows per UNWIND statement of the batched load
    naive_rows: int = 20000  # rows the naive loader writes before its time is projected
    bolt_max_hops: int | None = None  # hop bound of bolt-routes (default: max_hops)
    tuning: bool = True  # graphflow.tuning on, as the CLI's main() has it (--no-tuning: off)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Settings], dict[str, Any]]
    baseline: str | None = None
    also: tuple[str, ...] = ()  # more baselines, reported under "ratios"
    description: str = ""
    bolt: bool = False  # needs a Bolt server (ArcadeDB): left out by --no-bolt


CASES: dict[str, Case] = {}


def case(name: str, baseline: str | None = None, also: tuple[str, ...] = (),
         description: str = "", bolt: bool = False) -> Callable:
    """Register a benchmark case (a function of the settings returning its measurements)."""
    def register(fn: Callable[[Settings], dict[str, Any]]) -> Callable:
        CASES[name] = Case(name, fn, baseline, also, description or (fn.__doc__ or "").strip(),
                           bolt)
        return fn
    return register


def rss_mb() -> float:
    """This process's peak resident set size so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
    except OSError:
        return None
    return round(pages * resource.getpagesize() / 2**20, 1)


def _loaded(s: Settings) -> tuple[Any, dict[str, Any]]:
    from graphflow.packs.loader import load_pack

    pack = load_pack(s.pack)
    return pack, {"nodes": len(pack.actors), "edges": len(pack.flows),
                  "rss_loaded_mb": _current_rss_mb()}


def _query(pack: Any, s: Settings, **kw: Any) -> Any:
    from graphflow.audit import make_query

    kw.setdefault("max_hops", s.max_hops)
    return make_query(pack, source=s.source, target=s.target, profile=s.profile,
                      as_of=dt.date.fromisoformat(s.as_of), **kw)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _best(fn: Callable[[], Any], s: Settings) -> tuple[Any, float, list[float]]:
    """Run ``fn`` ``s.repeat`` times: its last result, the best time and every time."""
    times, out = [], None
    for _ in range(max(1, s.repeat)):
        out, took = _timed(fn)
        times.append(round(took, 4))
    return out, min(times), times


# --- our cases ----------------------------------------------------------------------------


@case("load")
def load(s: Settings) -> dict[str, Any]:
    """Load and fully validate the pack (YAML, JSON Schema, cross-checks)."""
    from graphflow.packs import loader

    def load() -> Any:
        loader._CACHE.clear()  # a cold load every time
        return loader.load_pack(s.pack)
    pack, took, times = _best(load, s)
    return {"nodes": len(pack.actors), "edges": len(pack.flows), "routes": None,
            "seconds": took, "times": times, "rules": len(pack.rules)}


@case("enumerate", baseline="rustworkx",
      also=("networkx", "rustworkx-sinks", "sorted-all"))
def enumerate_routes(s: Settings) -> dict[str, Any]:
    """Stream every route as a Route object with hop and route statuses (nothing kept)."""
    from graphflow.audit import iter_routes
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engine, setup = _timed(lambda: EmbeddedEngine(pack))
    query = _query(pack, s)
    counts: dict[str, int] = {}

    def run() -> int:
        counts.clear()
        n = 0
        for route in iter_routes(pack, engine, _query(pack, s)):
            counts[route.status.value] = counts.get(route.status.value, 0) + 1
            n += 1
        return n
    n, took, times = _best(run, s)
    search = engine.prepare(query.source, frozenset(pack.descendants(query.target)),
                            query.max_hops)
    return {**info, "routes": n, "seconds": took, "times": times, "setup_seconds": setup,
            "statuses": counts,
            "pruned_nodes": len(search.adjacency) if search else 0,
            "pruned_edges": search.flows if search else 0}


@case("walk", baseline="rustworkx", also=("networkx", "rustworkx-sinks"))
def walk(s: Settings) -> dict[str, Any]:
    """Stream every route as (flow ids, status): statuses folded in, no Route objects."""
    from graphflow.audit import walk_statuses
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engine = EmbeddedEngine(pack)
    n, took, times = _best(lambda: sum(1 for _ in walk_statuses(pack, engine, _query(pack, s))),
                           s)
    return {**info, "routes": n, "seconds": took, "times": times}


@case("count", baseline="rustworkx")
def count(s: Settings) -> dict[str, Any]:
    """Count the routes per status while streaming (graphflow routes --count)."""
    from graphflow.audit import count_routes
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engine = EmbeddedEngine(pack)
    counts, took, times = _best(lambda: count_routes(pack, engine, _query(pack, s)), s)
    return {**info, "routes": sum(counts.values()), "seconds": took, "times": times,
            "statuses": counts}


@case("top100", baseline="sorted-all")
def top100(s: Settings) -> dict[str, Any]:
    """The first N ranked routes, timed from the loaded pack (engine built inside the time)."""
    from graphflow.audit import top_routes
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engines = []

    def cold() -> list:
        engines.append(EmbeddedEngine(pack))
        return top_routes(pack, engines[-1], _query(pack, s, order="ranked"), s.limit)
    routes, took, times = _best(cold, s)
    _, warm, _ = _best(lambda: top_routes(pack, engines[-1], _query(pack, s, order="ranked"),
                                          s.limit), s)
    return {**info, "routes": len(routes), "seconds": took, "times": times,
            "query_seconds": warm,
            "longest_hops": max((len(r.flows) for r in routes), default=0)}


@case("leaks", baseline="enumerate")
def leaks(s: Settings) -> dict[str, Any]:
    """Only the open routes, with branches through a non-open hop cut during the search."""
    from graphflow.audit import iter_routes
    from graphflow.core.status import Status
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engine = EmbeddedEngine(pack)
    n, took, times = _best(lambda: sum(1 for _ in iter_routes(
        pack, engine, _query(pack, s, statuses=(Status.OPEN,)))), s)
    return {**info, "routes": n, "seconds": took, "times": times}


@case("sorted-all")
def sorted_all(s: Settings) -> dict[str, Any]:
    """run_query without a limit: every Route built, kept and sorted (the old way to rank)."""
    from graphflow.audit import run_query
    from graphflow.engines.embedded import EmbeddedEngine

    pack, info = _loaded(s)
    engine = EmbeddedEngine(pack)
    report, took, times = _best(lambda: run_query(pack, engine, _query(pack, s, order="ranked")),
                                s)
    return {**info, "routes": len(report.routes), "seconds": took, "times": times}


# --- Bolt store (ArcadeDB) ----------------------------------------------------------------


@contextmanager
def _bolt_server(s: Settings) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    """A fresh ArcadeDB server with the schema applied: (driver, store settings, info);
    stopped (and its files deleted) at the end."""
    from graphflow.store.connection import Settings as StoreSettings
    from graphflow.store.connection import connect
    from graphflow.store.load import apply_schema
    from tests.arcadedb_server import ArcadeDBServer

    server = ArcadeDBServer(database="bench", heap=s.bolt_heap).start(timeout=180)
    try:
        settings = StoreSettings(server.bolt_uri, server.user, server.database, server.password)
        with connect(settings, max_transaction_retry_time=30.0) as driver:
            _, schema_s = _timed(lambda: apply_schema(driver, settings.database))
            yield driver, settings, {"server": driver.get_server_info().agent,
                                     "heap": s.bolt_heap,
                                     "startup_seconds": round(server.startup_seconds or 0, 2),
                                     "schema_seconds": round(schema_s, 4)}
    finally:
        server.stop()


def _graph(pack: Any) -> tuple[Any, dict[str, Any]]:
    from graphflow.store.rows import build_graph

    graph, took = _timed(lambda: build_graph(pack))
    return graph, {"rows": graph.node_count() + graph.rel_count(),
                   "store_nodes": graph.node_count(),
                   "store_relationships": graph.rel_count(), "rows_seconds": round(took, 4)}


@case("bolt-load", baseline="naive-loader", bolt=True)
def bolt_load(s: Settings) -> dict[str, Any]:
    """The batched load (graphflow neo4j load: one transaction of UNWIND batches) into a fresh
    ArcadeDB, timed once; the baseline is the naive loader (one transaction per row) on a
    sample of the rows, projected to all of them."""
    from benchmarks.neo4j_bench import naive_projection
    from graphflow.store.load import pack_counts, replace_pack

    pack, info = _loaded(s)
    graph, rows = _graph(pack)
    with _bolt_server(s) as (driver, settings, server):
        _, took = _timed(lambda: replace_pack(driver, settings.database, graph,
                                              batch_size=s.bolt_batch))
        counts, count_s = _timed(lambda: pack_counts(driver, settings.database, pack.id))
        naive = naive_projection(driver, settings.database, graph, s.naive_rows)
    return {**info, "routes": None, "seconds": took, "times": [round(took, 4)], **rows,
            "rows_loaded": sum(counts.values()), "count_seconds": round(count_s, 4),
            "rows_per_s": round(rows["rows"] / took), "batch_size": s.bolt_batch, **server,
            "baseline": "naive-loader", "baseline_seconds": naive["seconds"],
            "baseline_projected": naive["projected"],
            "baseline_sampled_rows": naive["measured_rows"],
            "baseline_sampled_nodes": naive["measured_nodes"],
            "baseline_sampled_relationships": naive["measured_relationships"],
            "baseline_measured_seconds": round(naive["measured_seconds"], 4),
            "baseline_rows_per_s": round(naive["rows_per_s"], 1)}


@case("bolt-routes", baseline="embedded", bolt=True)
def bolt_routes(s: Settings) -> dict[str, Any]:
    """run_query (every route with statuses, sorted) on the Neo4j store engine over the pack
    loaded into a fresh ArcadeDB (load not timed); the baseline is the same query on the
    embedded engine in the same process. Route ids are compared (same_routes). The store
    engine fetches the sub-graph a search can use and walks it with the embedded walker; on
    ArcadeDB it fetches it one query per breadth-first ring (``method: rings``: ArcadeDB walks
    every trail of a variable-length match), on Neo4j in one query (measured there by
    benchmarks/neo4j_bench.py)."""
    from graphflow.audit import run_query
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.store.engine import Neo4jEngine
    from graphflow.store.load import replace_pack

    hops = s.bolt_max_hops or s.max_hops
    pack, info = _loaded(s)
    graph, rows = _graph(pack)
    query = _query(pack, s, max_hops=hops)
    embedded = EmbeddedEngine(pack)
    report, emb_s, emb_times = _best(lambda: run_query(pack, embedded, query), s)
    expected = [r.id for r in report.routes]
    del report
    with _bolt_server(s) as (driver, settings, server):
        began = time.perf_counter()
        replace_pack(driver, settings.database, graph, batch_size=s.bolt_batch)
        load_s = time.perf_counter() - began
        del graph  # the rows are in the store now
        store = Neo4jEngine(driver, settings, pack)
        report, took, times = _best(lambda: run_query(pack, store, query), s)
    return {**info, "routes": len(report.routes), "seconds": took, "times": times,
            "max_hops": hops, "same_routes": [r.id for r in report.routes] == expected,
            "method": store.method,
            "rows": rows["rows"], "load_seconds": round(load_s, 4), **server,
            "baseline": "embedded", "baseline_seconds": emb_s, "baseline_times": emb_times}


# --- baselines ----------------------------------------------------------------------------


def _targets(pack: Any, s: Settings) -> set[str]:
    return pack.descendants(s.target)


@case("networkx")
def networkx_baseline(s: Settings) -> dict[str, Any]:
    """networkx.all_simple_paths(G, source, targets, cutoff) on the pack's MultiDiGraph
    (one node path per edge path); stops at --nx-timeout and reports a lower bound."""
    import networkx as nx

    from graphflow.engines.embedded import pack_graph

    pack, info = _loaded(s)
    graph, setup = _timed(lambda: pack_graph(pack))
    targets = _targets(pack, s)
    complete = True

    def run() -> int:
        nonlocal complete
        n = 0
        deadline = time.perf_counter() + s.nx_timeout
        for _ in nx.all_simple_paths(graph, s.source, targets, cutoff=s.max_hops):
            n += 1
            if not n & 1023 and time.perf_counter() > deadline:
                complete = False
                break
        return n
    n, took, times = _best(run, s)
    return {**info, "routes": n, "seconds": took, "times": times, "setup_seconds": setup,
            "complete": complete, "version": nx.__version__}


def _rx_graph(pack: Any, sinks: set[str] | None) -> tuple[Any, dict[str, int]]:
    import rustworkx as rx

    graph = rx.PyDiGraph(multigraph=True)
    index = dict(zip(pack.actors, graph.add_nodes_from(list(pack.actors)), strict=True))
    graph.add_edges_from_no_data([
        (index[f.source], index[f.target]) for f in pack.flows.values()
        if sinks is None or f.source not in sinks
    ])
    return graph, index


def _rustworkx(s: Settings, sinks: bool) -> dict[str, Any]:
    import rustworkx as rx

    pack, info = _loaded(s)
    targets = _targets(pack, s)
    (graph, index), setup = _timed(lambda: _rx_graph(pack, targets if sinks else None))
    ends = [index[t] for t in sorted(targets)]
    n, took, times = _best(lambda: len(rx.digraph_all_simple_paths(
        graph, index[s.source], ends, cutoff=s.max_hops)), s)
    return {**info, "routes": n, "seconds": took, "times": times, "setup_seconds": setup,
            "version": rx.__version__}


@case("rustworkx")
def rustworkx_baseline(s: Settings) -> dict[str, Any]:
    """rustworkx.digraph_all_simple_paths(G, source, targets, cutoff) on the same multigraph
    (edge paths as node lists; like networkx, paths go on through a target to other targets)."""
    return _rustworkx(s, sinks=False)


@case("rustworkx-sinks")
def rustworkx_sinks(s: Settings) -> dict[str, Any]:
    """The same, with the targets' outgoing edges removed: exactly our route set (routes stop
    at their first target)."""
    return _rustworkx(s, sinks=True)


# --- driver -------------------------------------------------------------------------------


def _child(name: str, settings: Settings) -> None:
    from graphflow import tuning

    tuning.enable(settings.tuning)  # what the CLI does (GC pauses, freeze, pack cache)
    out = CASES[name].run(settings)
    out = {"case": name, **out, "peak_rss_mb": rss_mb(), "tuning": settings.tuning}
    for key in ("seconds", "setup_seconds", "query_seconds", "baseline_seconds"):
        if isinstance(out.get(key), float):
            out[key] = round(out[key], 4)
    print(json.dumps(out))


def run_case(name: str, settings: Settings, timeout: float) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its JSON line, or an error line."""
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", name,
           "--settings", json.dumps(asdict(settings))]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parent.parent)
    except subprocess.TimeoutExpired:
        return {"case": name, "error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"case": name, "error": tail}
    return json.loads(lines[-1])


def _with_ratios(line: dict[str, Any], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    spec = CASES[line["case"]]
    seconds = line.get("seconds")
    base = results.get(spec.baseline or "")
    if base and base.get("seconds") and seconds is not None:
        line["baseline"] = spec.baseline
        line["baseline_seconds"] = base["seconds"]
        line["ratio"] = round(seconds / base["seconds"], 4)
    elif line.get("baseline_seconds") and seconds is not None:  # measured by the case itself
        line.setdefault("baseline", spec.baseline)
        line["ratio"] = round(seconds / line["baseline_seconds"], 4)
    more = {b: round(seconds / results[b]["seconds"], 4) for b in spec.also
            if seconds is not None and results.get(b, {}).get("seconds")}
    if more:
        line["ratios"] = more
    return line


def order_cases(names: list[str]) -> list[str]:
    """Baselines before the cases compared with them."""
    def depth(name: str) -> int:
        spec = CASES[name]
        deps = [b for b in (spec.baseline, *spec.also) if b in names]
        return 1 + max((depth(b) for b in deps), default=0)
    return sorted(names, key=lambda n: (depth(n), list(CASES).index(n)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", help="an existing pack folder (else one is generated)")
    ap.add_argument("--counties", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--from", dest="source", default="c0001-arrest")
    ap.add_argument("--to", dest="target", default="ice")
    ap.add_argument("--profile", default="fare-evasion")
    ap.add_argument("--as-of", default="2018-06-01")
    ap.add_argument("--max-hops", type=int, default=8)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated; default: all")
    ap.add_argument("--nx-timeout", type=float, default=600.0,
                    help="stop the networkx baseline after this many seconds (lower bound)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="time each case this many times in its process; report the best")
    ap.add_argument("--timeout", type=float, default=3600.0, help="hard limit per case")
    ap.add_argument("--bolt", action=argparse.BooleanOptionalAction, default=None,
                    help="run the Bolt-store cases (bolt-load, bolt-routes) on an ArcadeDB "
                         "server they start; default: when arcadedb-embedded is installed")
    ap.add_argument("--bolt-heap", default="4g", help="the ArcadeDB server's heap (-Xmx)")
    ap.add_argument("--bolt-batch", type=int, default=1000,
                    help="rows per UNWIND statement of the batched load")
    ap.add_argument("--naive-rows", type=int, default=20000,
                    help="rows the naive loader writes; its full time is projected from them")
    ap.add_argument("--bolt-max-hops", type=int,
                    help="hop bound of bolt-routes (and of its embedded baseline); "
                         "default: --max-hops")
    ap.add_argument("--tuning", action=argparse.BooleanOptionalAction, default=True,
                    help="graphflow.tuning on in every case, as the CLI has it (default); "
                         "--no-tuning measures the library's own defaults")
    ap.add_argument("--out", type=Path, help="also append the JSON lines to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--settings", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, Settings(**json.loads(args.settings)))
        return
    names = [n.strip() for n in args.cases.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    bolt = [n for n in names if CASES[n].bolt]
    if bolt and args.bolt is not False:
        from tests.arcadedb_server import arcadedb_available

        ok, why = arcadedb_available()
        if not ok and args.bolt:
            ap.error(f"--bolt: no ArcadeDB server can be started here: {why}")
        if not ok:
            print(f"skipping {', '.join(bolt)}: {why} (or pass --no-bolt)", file=sys.stderr)
            args.bolt = False
    if bolt and args.bolt is False:
        names = [n for n in names if not CASES[n].bolt]
    with tempfile.TemporaryDirectory(prefix="graphflow-bench-") as tmp:
        pack = str(Path(args.pack).resolve()) if args.pack else None
        if pack is None:
            from benchmarks.generate import Shape, write_pack

            pack = str(Path(tmp) / "national")
            write_pack(Path(pack), Shape(counties=args.counties), args.seed)
        settings = Settings(pack=pack, source=args.source, target=args.target,
                            profile=args.profile, as_of=args.as_of, max_hops=args.max_hops,
                            limit=args.limit, nx_timeout=args.nx_timeout, repeat=args.repeat,
                            bolt_heap=args.bolt_heap, bolt_batch=args.bolt_batch,
                            naive_rows=args.naive_rows, bolt_max_hops=args.bolt_max_hops,
                            tuning=args.tuning)
        results: dict[str, dict[str, Any]] = {}
        for name in order_cases(names):
            line = _with_ratios(run_case(name, settings, args.timeout), results)
            results[name] = line
            text = json.dumps(line)
            print(text, flush=True)
            if args.out:
                with args.out.open("a", encoding="utf-8") as fh:
                    fh.write(text + "\n")


if __name__ == "__main__":
    main()
