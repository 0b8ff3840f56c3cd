"""Neo4j store benchmarks: load time against a naive loader, the bulk import, route queries
against the embedded engine, all in the same run, on Neo4j and then ArcadeDB.

    python -m benchmarks.neo4j_bench                          # NYC + a 3000-county pack
    python -m benchmarks.neo4j_bench --counties 0             # NYC only
    python -m benchmarks.neo4j_bench --pack nyc --pack /tmp/national --heap 4g
    python -m benchmarks.neo4j_bench --server arcadedb        # ArcadeDB's Bolt plugin only
    NEO4J_URI=… NEO4J_PASSWORD=… python -m benchmarks.neo4j_bench --server env

Servers (``--server``, repeatable; default ``neo4j`` then ``arcadedb``), one after the other,
each fresh, with ``--heap``, stopped before the next starts: Neo4j Community 5.26 from
tests/neo4j_launcher (jars fetched with Maven), ArcadeDB from arcadedb-embedded, or the NEO4J_*
variables' server (``env``; the benchmark writes packs ``<id>`` and ``<id>-naive`` there). The
packs are read and turned into rows once, before the first server. Cases, one JSON line each
(each with ``load_avg``, the 1-minute load average when it ended), then Markdown tables:

- ``rows``: building the rows of the graph model from the loaded pack.
- ``schema``, ``load``: ``graphflow neo4j load``'s path (``store.load.replace_pack`` with
  ``--transaction``, default auto: one transaction of ``UNWIND`` statements up to 200,000
  rows, else committed batches behind the pack's ``loading`` marker; ``--batch-size`` rows a
  statement), the first load on a cold server; ``reload``: the same again over the loaded
  pack (delete + write, warm); ``reload-unchanged``: ``graphflow neo4j load`` without
  ``--force`` over that same pack (``load_graph(skip_unchanged=True)``: the (:Pack) node and
  the counts compared, nothing written; ``vs_reload``: against the reload); ``delete_s``:
  until the first write statement's progress (the old pack's delete and that first
  statement), ``write_s``: the rest; ``reload-sweep``: the reload again for each ``--sweep``
  batch size.
- ``naive``: the same statements, one row per transaction. On big packs it runs on a sample
  (the first rows of every node batch, then relationships between sampled nodes, up to
  ``--naive-rows`` in all) and the full time is projected from its node and relationship
  rates (``projected: true``).
- ``bulk``: ``graphflow export neo4j-csv``'s files (``csv_s``: writing them) imported by
  Neo4j's own ``neo4j-admin database import full`` (the command ``import.sh`` holds, run from
  the fetched jars) into a new, empty Neo4j home (Neo4j only; ``seconds``: the import, JVM
  start included).
- ``routes``: ``run_query`` (routes + statuses, sorted) on the store engine and on the
  embedded engine, same pack, profile and date: the median of ``--repeat`` runs of each, one
  of each in turn so that both meet the same machine (the store's each with a fresh fetch of
  the sub-graph from the database), and the embedded engine's first run with its
  construction; ``queries_per_search``: the queries the store sends per run; ``fetch_s``
  and ``fetched_flows``: the store's fetch alone (median; ``method``: ``reach``, one query,
  or ``rings`` on ArcadeDB); ``rings_fetch_s``, ``rings_queries``: the
  same fetch one query per breadth-first ring, for comparison (``rings_same_flows``);
  ``warm``: unmeasured fetches first (``--warm``; the server's JIT warms up over hundreds).
- ``warm-up``: with ``--warm-up N``, on each server before the first pack, another generated
  pack (``--warm-up-counties``, default 300; pack id ``warm-up``) loaded in committed
  batches and dropped N times (``seconds``, ``drop_s``): the cases then meet a server whose
  JIT has compiled the load's and the delete's paths, like a server that has run a while,
  and not a just-started JVM. ``load``'s ``warm_up`` says how many rounds came first.
- ``drop``: ``graphflow neo4j drop`` of the pack at the end (batched for a big pack).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphflow.store.load import BATCH_ROWS
from graphflow.store.rows import GraphData, NodeBatch, RelBatch


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    began = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - began


def renamed(graph: GraphData, pack: str) -> GraphData:
    """The same rows under another pack id (so the naive copy lives beside the other); the
    (:Pack) node's ``id`` too (it equals ``pack``)."""
    def fix(key: dict[str, Any], label: str = "") -> dict[str, Any]:
        return {k: (pack if k == "pack" or (label == "Pack" and k == "id") else v)
                for k, v in key.items()}

    nodes = [NodeBatch(b.spec, b.labels, [{"k": fix(r["k"], b.spec.label), "p": r["p"]}
                                          for r in b.rows]) for b in graph.nodes]
    rels = [RelBatch(b.spec, [{"s": fix(r["s"]), "t": fix(r["t"]), "k": fix(r["k"]),
                               "p": r["p"]} for r in b.rows]) for b in graph.rels]
    return GraphData(pack, nodes, rels)


def sample(graph: GraphData, budget: int) -> GraphData:
    """At most about ``budget`` rows: the same share of every node batch, then relationships
    whose two ends were sampled (the same share of every relationship batch at most)."""
    total = graph.node_count() + graph.rel_count()
    if budget >= total:
        return graph
    share = budget / total
    nodes = [NodeBatch(b.spec, b.labels, b.rows[: max(1, int(len(b.rows) * share))])
             for b in graph.nodes]
    keep = {(b.spec.label, tuple(r["k"].values())) for b in nodes for r in b.rows}
    rels = []
    for b in graph.rels:
        rows = [r for r in b.rows if (b.spec.start, tuple(r["s"].values())) in keep
                and (b.spec.end, tuple(r["t"].values())) in keep]
        rels.append(RelBatch(b.spec, rows[: max(1, int(len(b.rows) * share))]))
    return GraphData(graph.pack, nodes, rels)


def naive_load(driver: Any, database: str, graph: GraphData) -> dict[str, float]:
    """One transaction per row, with the batched loader's statements; seconds per phase."""
    from graphflow.store.load import delete_statements, node_statement, rel_statement, wire_rows

    def one(session: Any, text: str, **params: Any) -> None:
        session.execute_write(lambda tx: tx.run(text, **params).consume())

    out = {}
    with driver.session(database=database) as session:
        began = time.perf_counter()
        for statement in delete_statements():
            one(session, statement, pack=graph.pack)
        for batch in graph.nodes:
            text = node_statement(batch)
            for row in wire_rows(batch):
                one(session, text, rows=[row], pack=graph.pack)
        out["nodes"] = time.perf_counter() - began
        began = time.perf_counter()
        for rb in graph.rels:
            text = rel_statement(rb)
            for row in wire_rows(rb):
                one(session, text, rows=[row], pack=graph.pack)
        out["rels"] = time.perf_counter() - began
    return out


class Phases:
    """A load's progress callback that notes when the writing began (after the old pack's
    delete, and the marker in a batched load)."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.writing: float | None = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.writing is None and not what.startswith(("deleting", "marking")):
            self.writing = time.perf_counter()

    def split(self, seconds: float) -> dict[str, float]:
        delete = (self.writing or self.began + seconds) - self.began
        return {"delete_s": delete, "write_s": seconds - delete}


def timed_load(driver: Any, database: str, graph: GraphData, transaction: str,
               batch_size: int) -> dict[str, Any]:
    """``graphflow neo4j load``'s replace (``store.load.replace_pack``): seconds, the way it
    was written, statements, and the delete and write phases."""
    from graphflow.store.load import replace_pack

    phases = Phases()
    (mode, statements), took = _timed(lambda: replace_pack(
        driver, database, graph, batch_size=batch_size, transaction=transaction,
        progress=phases))
    return {"seconds": took, "transaction": mode, "statements": statements,
            "batch_size": batch_size, **phases.split(took),
            "rows_per_s": (graph.node_count() + graph.rel_count()) / took}


def naive_projection(driver: Any, database: str, graph: GraphData,
                     budget: int) -> dict[str, Any]:
    """The naive loader (one transaction per row) on a sample of at most about ``budget`` rows
    of ``graph``, written under the pack id ``<pack>-naive`` and dropped afterwards, and the
    time it would take for every row: the sample's node and relationship rates, each
    projected linearly to the graph's nodes and relationships (``projected: true``; the
    whole graph when it fits in ``budget``, then ``seconds`` is measured)."""
    from graphflow.store.load import drop_pack

    rows = graph.node_count() + graph.rel_count()
    part = sample(renamed(graph, graph.pack + "-naive"), budget)
    try:
        phases = naive_load(driver, database, part)
    finally:
        drop_pack(driver, database, part.pack)
    n_nodes, n_rels = part.node_count(), part.rel_count()
    projected = (n_nodes + n_rels) < rows
    seconds = (graph.node_count() * phases["nodes"] / max(n_nodes, 1)
               + graph.rel_count() * phases["rels"] / max(n_rels, 1)) if projected \
        else phases["nodes"] + phases["rels"]
    measured = phases["nodes"] + phases["rels"]
    return {"seconds": seconds, "projected": projected, "measured_rows": n_nodes + n_rels,
            "measured_nodes": n_nodes, "measured_relationships": n_rels,
            "measured_seconds": measured, "nodes_seconds": phases["nodes"],
            "relationships_seconds": phases["rels"],
            "rows_per_s": (n_nodes + n_rels) / measured}


def bulk_import(graph: GraphData) -> dict[str, Any]:
    """The CSV export imported by neo4j-admin into a fresh home: seconds, and what it says."""
    from graphflow.store.script import write_csv
    from tests import neo4j_launcher

    with tempfile.TemporaryDirectory(prefix="graphflow-bulk-") as tmp:
        folder = Path(tmp) / "csv"
        _, csv_s = _timed(lambda: write_csv(graph, folder))
        script = (folder / "import.sh").read_text()
        args = shlex.split(script[script.index("neo4j-admin "):].replace("\\\n", " "))[1:]
        done, took = _timed(lambda: neo4j_launcher.neo4j_admin(
            [*args, f"--report-file={Path(tmp) / 'import.report'}"], Path(tmp) / "home",
            cwd=folder, heap="1g"))
    tail = [line.strip() for line in done.stdout.splitlines() if line.strip()][-6:]
    return {"seconds": took, "csv_s": csv_s, "admin_says": " / ".join(tail)}


def prepare(pack_ref: str, emit: Callable[[dict[str, Any]], None]) -> tuple[Any, Any, dict]:
    """The pack and its graph-model rows, once for every server."""
    from graphflow.packs.loader import load_pack
    from graphflow.store.rows import build_graph

    pack, took = _timed(lambda: load_pack(pack_ref))
    info = {"pack": pack.id, "actors": len(pack.actors), "flows": len(pack.flows)}
    emit({"case": "pack", **info, "seconds": took})
    graph, took = _timed(lambda: build_graph(pack))
    info.update(nodes=graph.node_count(), relationships=graph.rel_count(),
                rows=graph.node_count() + graph.rel_count())
    emit({"case": "rows", **info, "seconds": took})
    return pack, graph, info


def bench_pack(driver: Any, settings: Any, server: str, prepared: tuple[Any, Any, dict],
               args: argparse.Namespace, emit: Callable[[dict[str, Any]], None]) -> None:
    from graphflow.store.load import apply_schema, drop_pack, load_graph

    pack, graph, info = prepared
    info = {"server": server, **info}
    db = settings.database
    _, took = _timed(lambda: apply_schema(driver, db))
    emit({"case": "schema", **info, "seconds": took})
    load = timed_load(driver, db, graph, args.transaction, args.batch_size)
    emit({"case": "load", **info, **load, "warm_up": getattr(args, "warm_up", 0)})
    again = timed_load(driver, db, graph, args.transaction, args.batch_size)
    reload_s = again["seconds"]
    emit({"case": "reload", **info, **again})
    same, took = _timed(lambda: load_graph(driver, db, graph, schema=False,
                                           skip_unchanged=True))
    emit({"case": "reload-unchanged", **info, "seconds": took, "transaction": same.transaction,
          "statements": same.batches, "vs_reload": took / reload_s})
    for size in args.sweep:  # the reload again with other batch sizes
        emit({"case": "reload-sweep", **info,
              **timed_load(driver, db, graph, args.transaction, size)})

    if args.naive_rows > 0:
        naive = naive_projection(driver, db, graph, args.naive_rows)
        emit({"case": "naive", **info, "seconds": naive["seconds"],
              "projected": naive["projected"], "measured_rows": naive["measured_rows"],
              "measured_seconds": naive["measured_seconds"],
              "rows_per_s": naive["rows_per_s"], "vs_reload": naive["seconds"] / reload_s})

    if server == "neo4j" and args.bulk:
        emit({"case": "bulk", **info, **bulk_import(graph)})

    if args.routes:
        bench_routes(driver, settings, pack, info, args, emit)
    if args.drop:
        dropped, took = _timed(lambda: drop_pack(driver, db, pack.id,
                                                 batch_size=args.batch_size))
        emit({"case": "drop", **info, "seconds": took, "transaction": dropped.transaction,
              "nodes_deleted": dropped.node_count,
              "relationships_deleted": dropped.relationships})


def warm_up(driver: Any, settings: Any, server: str, graph: GraphData, rounds: int,
            batch_size: int, emit: Callable[[dict[str, Any]], None]) -> None:
    """Load and drop another pack (``--warm-up-counties``, renamed ``warm-up``) ``rounds``
    times, in committed batches as a big pack's load, before the measured packs: the
    server's JIT has then compiled the load's and the delete's paths, as in a server that has
    run a while. Nothing of it stays."""
    from graphflow.store.load import apply_schema, drop_pack

    apply_schema(driver, settings.database)
    for round_ in range(rounds):
        load = timed_load(driver, settings.database, graph, "batches", batch_size)
        _, drop_s = _timed(lambda: drop_pack(driver, settings.database, graph.pack,
                                             transaction="batches", batch_size=batch_size))
        emit({"case": "warm-up", "server": server, "pack": graph.pack, "round": round_ + 1,
              "rows": graph.node_count() + graph.rel_count(), **load, "drop_s": drop_s})


def bench_routes(driver: Any, settings: Any, pack: Any, info: dict[str, Any],
                 args: argparse.Namespace, emit: Callable[[dict[str, Any]], None]) -> None:
    """The ``routes`` case on a loaded pack (see the module docstring)."""
    from graphflow.audit import make_query, run_query
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.store.engine import Neo4jEngine
    from tests.counting import CountingDriver

    counting = CountingDriver(driver)
    store = Neo4jEngine(counting, settings, pack)
    for source, hops, repeat in _route_cases(pack, args):
        query = make_query(pack, source=source, target=pack.default_target,
                           profile=args.profile if args.profile in pack.profiles else None,
                           as_of=dt.date.fromisoformat(args.as_of), max_hops=hops)
        first, first_s = _timed(lambda q=query: run_query(pack, EmbeddedEngine(pack), q))
        embedded = EmbeddedEngine(pack)
        targets = frozenset(pack.descendants(pack.default_target))
        warm = getattr(args, "warm", 0)
        for _ in range(warm):  # a fresh server's JIT: unmeasured fetches first (--warm)
            store.fetch(source, targets, hops)
        emb, ours = [], []
        asked = len(counting.queries)
        for _ in range(repeat):
            # one run of each in turn, so that both see the same (noisy) machine; every store
            # run asks the database again (no cached sub-graph)
            emb.append(_timed(lambda q=query, e=embedded: run_query(pack, e, q))[1])
            store.clear_cache()
            report, took = _timed(lambda q=query: run_query(pack, store, q))
            ours.append(took)
        queries = (len(counting.queries) - asked) / repeat
        same = [r.id for r in report.routes] == [r.id for r in first.routes]
        assert same, "the store and the embedded engine disagree"
        fetches = [_timed(lambda s=source, t=targets, h=hops: store.fetch(s, t, h))
                   for _ in range(repeat)]
        fetched, fetch_s = fetches[-1][0], statistics.median(t for _, t in fetches)
        asked = len(counting.queries)
        rings, rings_s = _timed(lambda s=source, t=targets, h=hops: store.fetch(
            s, t, h, method="rings"))
        emit({"case": "routes", **info, "source": source, "max_hops": hops,
              "profile": query.profile, "as_of": args.as_of,
              "routes": len(report.routes), "same_routes": same,
              "store_s": statistics.median(ours), "store_times": [round(t, 4) for t in ours],
              "queries_per_search": queries, "method": store.method, "warm": warm,
              "fetch_s": fetch_s, "fetched_flows": len(fetched.flows),
              "rings_fetch_s": rings_s, "rings_queries": len(counting.queries) - asked,
              "rings_same_flows": list(rings.flows) == list(fetched.flows),
              "embedded_s": statistics.median(emb), "embedded_first_s": first_s,
              "ratio": statistics.median(ours) / max(statistics.median(emb), 1e-9)})


def _route_cases(pack: Any, args: argparse.Namespace) -> list[tuple[str, int, int]]:
    source = pack.default_trigger
    if pack.id == "nyc":
        return [(source, 8, args.repeat)]
    return [(source, 6, args.repeat), (source, 8, args.repeat)]


def _table(lines: list[dict[str, Any]]) -> str:
    out = ["| server | pack | flows | rows | transaction | batch | load | reload | "
           "naive (1 tx per row) | naive / reload | load avg |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    by: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        if "server" in line:
            by.setdefault((line["server"], line["pack"]), {})[line["case"]] = line
    for (server, pack), cases in by.items():
        if "load" not in cases:
            continue
        load, naive = cases["load"], cases.get("naive")
        mark = " (projected)" if naive and naive["projected"] else ""
        naive_s = f"{naive['seconds']:.1f} s{mark}" if naive else "-"
        reload = cases["reload"]
        ratio = f"{naive['seconds'] / reload['seconds']:.1f}x" if naive else "-"
        out.append(f"| {server} | {pack} | {load['flows']:,} | {load['rows']:,} | "
                   f"{load['transaction']} | {load['batch_size']:,} | "
                   f"{load['seconds']:.2f} s | {reload['seconds']:.2f} s | "
                   f"{naive_s} | {ratio} | {load['load_avg']:.2f} |")
    sweep = [line for line in lines if line["case"] == "reload-sweep"]
    if sweep:
        out += ["", "| server | pack | batch | reload | delete | write | rows/s | load avg |",
                "|---|---|---|---|---|---|---|---|"]
        out += [f"| {x['server']} | {x['pack']} | {x['batch_size']:,} | {x['seconds']:.2f} s | "
                f"{x['delete_s']:.2f} s | {x['write_s']:.2f} s | {x['rows_per_s']:,.0f} | "
                f"{x['load_avg']:.2f} |" for x in sweep]
    bulk = [line for line in lines if line["case"] == "bulk"]
    if bulk:
        out += ["", "| pack | rows | CSV files | neo4j-admin import | load avg |",
                "|---|---|---|---|---|"]
        out += [f"| {b['pack']} | {b['rows']:,} | {b['csv_s']:.2f} s | {b['seconds']:.2f} s | "
                f"{b['load_avg']:.2f} |" for b in bulk]
    out += ["", "| server | pack | query | routes | fetched flows | queries per search | store | "
            "embedded | embedded (first run) | ratio | load avg |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for line in lines:
        if line["case"] == "routes":
            out.append(f"| {line['server']} | {line['pack']} | {line['source']}, "
                       f"{line['max_hops']} hops | {line['routes']:,} | "
                       f"{line['fetched_flows']:,} | {line['queries_per_search']:g} | "
                       f"{line['store_s']:.3f} s | "
                       f"{line['embedded_s']:.3f} s | {line['embedded_first_s']:.3f} s | "
                       f"{line['ratio']:.2f}x | {line['load_avg']:.2f} |")
    return "\n".join(out)


def _start(kind: str, heap: str, pagecache: str = "256m", server_jvm: bool = False
           ) -> tuple[Any, Any]:
    """A fresh server of that kind (stopped by the caller), and its settings."""
    from graphflow.store.connection import Settings

    if kind == "env":
        return None, Settings.from_env()
    if kind == "neo4j":
        from tests.neo4j_launcher import Neo4jServer

        server = Neo4jServer(heap=heap, pagecache=pagecache, server_jvm=server_jvm).start(
            timeout=300)
        return server, Settings(server.uri or "", server.user, server.database, server.password)
    from tests.arcadedb_server import ArcadeDBServer

    server = ArcadeDBServer(database="bench", heap=heap).start(timeout=120)
    return server, Settings(server.bolt_uri, server.user, server.database, server.password)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.neo4j_bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", action="append", choices=["neo4j", "arcadedb", "env"],
                    help="server(s) to measure, one after the other (repeatable; default: "
                         "neo4j, then arcadedb)")
    ap.add_argument("--heap", default="4g", help="the server's heap (-Xmx)")
    ap.add_argument("--pagecache", default="256m",
                    help="Neo4j's page cache (server.memory.pagecache.size; the tests' 256m)")
    ap.add_argument("--server-jvm", action="store_true",
                    help="run Neo4j with a server's JVM flags (G1, -Xms = -Xmx, pre-touched "
                         "heap) instead of the tests' quick-starting ones")
    ap.add_argument("--counties", type=int, default=3000,
                    help="generate a synthetic pack (benchmarks.generate); 0: none")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pack", action="append", default=[],
                    help="a pack to measure (repeatable; default: nyc + the generated one)")
    ap.add_argument("--naive-rows", type=int, default=20000,
                    help="rows the naive loader writes before projecting (0: no naive case)")
    ap.add_argument("--no-bulk", dest="bulk", action="store_false",
                    help="skip the neo4j-admin import")
    ap.add_argument("--transaction", choices=["auto", "one", "batches"], default="auto",
                    help="graphflow neo4j load --transaction (auto: one transaction up to "
                         "200,000 rows, else committed batches behind the pack's marker)")
    ap.add_argument("--batch-size", type=int, default=BATCH_ROWS,
                    help=f"rows a statement (default: the load's, {BATCH_ROWS:,})")
    ap.add_argument("--sweep", type=lambda t: [int(x) for x in t.split(",") if x], default=[],
                    help="reload again with each of these batch sizes (e.g. 5000,20000,50000)")
    ap.add_argument("--no-routes", dest="routes", action="store_false",
                    help="skip the route queries")
    ap.add_argument("--no-drop", dest="drop", action="store_false",
                    help="skip the drop of the pack at the end")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--warm", type=int, default=0,
                    help="unmeasured store fetches before each route case (a fresh server's "
                         "JIT: NYC's fetch goes from about 14 to 5 ms over 500)")
    ap.add_argument("--warm-up", type=int, default=0, metavar="N",
                    help="load and drop another, smaller pack N times on each server before "
                         "the measured packs: a server whose JIT has warmed up, as one that "
                         "has run a while "
                         "(default 0: the first load meets a just-started JVM)")
    ap.add_argument("--warm-up-counties", type=int, default=300,
                    help="size of the --warm-up pack (benchmarks.generate counties)")
    ap.add_argument("--profile", default="fare-evasion")
    ap.add_argument("--as-of", default="2018-06-01")
    ap.add_argument("--tuning", action=argparse.BooleanOptionalAction, default=True,
                    help="graphflow.tuning on, as the CLI has it (default); --no-tuning "
                         "measures the library's own defaults")
    ap.add_argument("-o", "--output", type=Path, help="also write the JSON lines here")
    args = ap.parse_args(argv)
    from graphflow import tuning

    tuning.enable(args.tuning)  # what the CLI's main() does (GC pauses, freeze)
    servers = args.server or ["neo4j", "arcadedb"]

    from graphflow.store.connection import connect

    lines: list[dict[str, Any]] = []

    def emit(line: dict[str, Any]) -> None:
        line = {k: round(v, 4) if isinstance(v, float) else v for k, v in line.items()}
        line["load_avg"] = round(os.getloadavg()[0], 2)
        lines.append(line)
        print(json.dumps(line), flush=True)

    packs = list(args.pack) or ["nyc"]
    tmp = None
    if not args.pack and args.counties > 0:
        from benchmarks.generate import Shape, write_pack

        tmp = tempfile.TemporaryDirectory(prefix="graphflow-bench-")
        write_pack(Path(tmp.name), Shape(counties=args.counties), args.seed)
        packs.append(tmp.name)
    try:
        prepared = [prepare(ref, emit) for ref in packs]
        warm_graph = None
        if args.warm_up > 0:
            from benchmarks.generate import Shape, write_pack
            from graphflow.packs.loader import load_pack
            from graphflow.store.rows import build_graph

            with tempfile.TemporaryDirectory(prefix="graphflow-warm-up-") as folder:
                write_pack(Path(folder), Shape(counties=args.warm_up_counties), args.seed + 1)
                warm_graph = renamed(build_graph(load_pack(folder)), "warm-up")
        for kind in servers:
            server, settings = _start(kind, args.heap, args.pagecache, args.server_jvm)
            try:
                driver = connect(settings, max_transaction_retry_time=30.0)
                with driver:
                    agent = driver.get_server_info().agent
                    emit({"case": "server", "server_kind": kind, "agent": agent,
                          "uri": settings.uri, "heap": args.heap,
                          "pagecache": args.pagecache if kind == "neo4j" else None,
                          "server_jvm": args.server_jvm if kind == "neo4j" else None,
                          "startup_s": getattr(server, "startup_seconds", None)})
                    if warm_graph is not None:
                        warm_up(driver, settings, kind, warm_graph, args.warm_up,
                                args.batch_size, emit)
                    for item in prepared:
                        try:
                            bench_pack(driver, settings, kind, item, args, emit)
                        except Exception as exc:  # noqa: BLE001 - say it, go on to the next
                            emit({"case": "error", "server": kind, "pack": item[2]["pack"],
                                  "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
            finally:
                if server is not None:
                    server.stop()
    finally:
        if tmp is not None:
            tmp.cleanup()
    if args.output:
        args.output.write_text("".join(json.dumps(x) + "\n" for x in lines))
    print("\n" + _table(lines))


if __name__ == "__main__":
    main()
