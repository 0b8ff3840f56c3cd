"""`graphflow routes` and `graphflow leaks`."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import click

from graphflow.cli.options import (
    dump_json,
    emit,
    evidence_horizon,
    format_option,
    pack_option,
    parse_as_of,
    query_options,
    whatif_options,
)

T = TypeVar("T")
PROGRESS_AFTER = 1.0  # seconds before a progress display appears


class Progress:
    """Progress on stderr, never on stdout: a live rich display on a terminal once the work has
    run for about a second; elsewhere one closing line when the command took that long."""

    def __init__(self) -> None:
        self.began: float | None = None
        self.tty = sys.stderr.isatty()
        self.count = 0
        self._live: Any = None
        self._task: Any = None

    def loading(self, what: str) -> Any:
        """A spinner while a pack loads (terminal only)."""
        if not self.tty:
            from contextlib import nullcontext

            return nullcontext()
        from rich.console import Console

        return Console(stderr=True).status(f"Loading {what}…")

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Count routes as they stream by, updating the display every few thousand."""
        if self.began is None:
            self.began = time.perf_counter()
        for item in items:
            self.count += 1
            if not self.count & 4095 and self.tty:
                self._update(time.perf_counter() - self.began)
            yield item

    def _update(self, elapsed: float) -> None:
        if self._live is None:
            if elapsed < PROGRESS_AFTER:
                return
            from rich.progress import Progress as RichProgress
            from rich.progress import SpinnerColumn, TextColumn

            self._live = RichProgress(SpinnerColumn(), TextColumn("{task.description}"),
                                      transient=True, console=_stderr_console())
            self._live.start()
            self._task = self._live.add_task("")
        self._live.update(self._task, description=f"enumerating routes: {self.count:,} "
                          f"({elapsed:.0f} s)")

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
        if self.began is None:
            return
        took = time.perf_counter() - self.began
        if not self.tty and took >= PROGRESS_AFTER:
            click.echo(f"graphflow: {self.count:,} routes enumerated in {took:.1f} s", err=True)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class _Tracked:
    """An engine whose routes pass through a progress counter (same interface)."""

    def __init__(self, engine: Any, progress: Progress):
        self.name = engine.name
        self._engine = engine
        self._progress = progress

    def routes(self, *args: Any, **kwargs: Any) -> Iterator[list[str]]:
        return self._progress.track(self._engine.routes(*args, **kwargs))


class _TrackedWalker(_Tracked):
    def __init__(self, engine: Any, progress: Progress):
        super().__init__(engine, progress)
        if hasattr(engine, "walk_folded"):
            self.walk_folded = lambda *a, **k: progress.track(engine.walk_folded(*a, **k))

    def walk(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return self._progress.track(self._engine.walk(*args, **kwargs))


def _run(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
         backend, only_open=False, count=False, assume=(), close=(), practice=False):
    from graphflow.audit import count_routes, make_query, parse_statuses, run_query
    from graphflow.core.status import Status
    from graphflow.engines.base import RouteWalker
    from graphflow.engines.select import open_engine
    from graphflow.packs.loader import load_pack
    from graphflow.report.routes import render_csv, render_md, render_table, report_dict

    progress = Progress()
    with progress.loading(f"pack {data or 'nyc'}"):
        pack = load_pack(data)
    statuses = (Status.OPEN,) if only_open else parse_statuses(status)
    if practice:  # practice leaks are blocked or conditional routes: fetch them, filter below
        statuses = (Status.OPEN, Status.CONDITIONAL, Status.BLOCKED)
    query = make_query(
        pack, source=source, target=target, profile=profile, sets=sets,
        as_of=parse_as_of(as_of), max_hops=max_hops, statuses=statuses,
        limit=None if practice else limit, order=order,
        evidence_horizon=evidence_horizon(),
    )
    from graphflow.analysis.whatif import Scenario, apply

    scenario = Scenario(tuple(assume), tuple(close))
    after = apply(pack, scenario)
    with open_engine(backend, pack) as engine:
        wrap = _TrackedWalker if isinstance(engine, RouteWalker) else _Tracked
        tracked = wrap(engine, progress)
        try:
            if count:
                counts = count_routes(after, tracked, query)
            else:
                report = run_query(after, tracked, query)
                if practice:
                    kept = [r for r in report.routes if r.is_leak or r.practice_leak]
                    report.routes = kept[:limit] if limit else kept
                if only_open:  # leaks with current evidence first, then the possible ones
                    report.routes.sort(key=lambda r: not (r.is_leak and r.evidence.current))
                if not scenario.empty:
                    changes, before_summary = _whatif_changes(pack, after, tracked, query)
        finally:
            progress.close()
    if count:
        _emit_counts(after, engine.name, query, counts, fmt)
        return
    out = report_dict(after, report)
    if not scenario.empty:
        out["scenario"] = scenario.as_dict()
        out["before_summary"] = before_summary
        out["changes"] = changes
    if fmt == "json":
        emit(dump_json(out))
    elif fmt == "csv":
        emit(render_csv(out))
    elif fmt == "md":
        emit(render_md(out))
    else:
        if not scenario.empty:
            from graphflow.report.analysis import render_whatif

            emit(render_whatif(out))
        emit(render_table(after, out))


def _whatif_changes(pack, after, engine, query):
    """Every route whose status the scenario changes, and why; the pack's own summary."""
    from dataclasses import replace

    from graphflow.analysis.compare import compare_routes
    from graphflow.audit import run_query

    everything = replace(query, statuses=(), limit=None)
    before = run_query(pack, engine, everything)
    now = run_query(after, engine, everything)
    return [c.as_dict() for c in compare_routes(before.routes, now.routes)], before.summary


def _emit_counts(pack: Any, engine: str, query: Any, counts: dict[str, int], fmt: str) -> None:
    """Route counts per status, in the chosen format."""
    from graphflow.report.routes import JSON_VERSION

    q = query.as_dict()
    q["pack"], q["engine"] = pack.id, engine
    total = sum(counts.values())
    if fmt == "json":
        emit(dump_json({"version": JSON_VERSION, "query": q, "summary": counts,
                        "total": total}))
    elif fmt == "csv":
        emit("status,routes\n" + "".join(f"{k},{n}\n" for k, n in counts.items()))
    elif fmt == "md":
        emit(f"# Routes from `{q['from']}` to `{q['to']}`\n\n| status | routes |\n|---|---|\n"
             + "".join(f"| {k} | {n} |\n" for k, n in counts.items())
             + f"| total | {total} |\n")
    else:
        emit(f"Routes from {q['from']} to {q['to']} (pack {q['pack']}, as of {q['as_of']}, "
             f"profile {q['profile'] or '(none)'}, max {q['max_hops']} hops)\n"
             f"Count: {total} route(s): "
             + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")


def _common(f):
    f = whatif_options(f)
    f = click.option("--count", "count", is_flag=True,
                     help="Only count the routes per status (streamed; no routes kept).")(f)
    f = click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded",
                     show_default=True, help="Route engine: in memory, or a Neo4j store "
                     "(NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")(f)
    f = click.option("--order", type=click.Choice(["status", "hops", "confidence", "ranked"]),
                     default="status", show_default=True,
                     help="Sort order of routes (ranked: open, short, automatic and "
                     "best-sourced first).")(f)
    f = click.option("--limit", type=int, default=None,
                     help="Show at most N routes: the first N in the chosen order, found "
                     "without building the others.")(f)
    f = format_option(f)
    f = query_options(f)
    return pack_option(f)


@click.command()
@_common
@click.option("--status", default=None, metavar="LIST",
              help="Keep routes with these statuses, e.g. open,conditional.")
def routes(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
           backend, count, assume, close):
    """Every route from a trigger to a target, with each hop's status and evidence.

    Example: graphflow routes --from nypd-arrest --to ice --profile fare-evasion
    --as-of 2017-03-01
    """
    _run(data, fmt, source, target, profile, sets, as_of, max_hops, status, limit, order,
         backend, count=count, assume=assume, close=close)


@click.command()
@_common
@click.option("--with-practice", "practice", is_flag=True,
              help="Also list practice leaks: routes closed by rules that sources say are not "
                   "followed.")
def leaks(data, fmt, source, target, profile, sets, as_of, max_hops, limit, order, backend,
          count, assume, close, practice):
    """Only the open routes: information that reaches the target for this case on this date."""
    if practice and count:
        from graphflow.errors import GraphflowError

        raise GraphflowError("--with-practice cannot be combined with --count",
                             hint="run `graphflow leaks --with-practice --format json`")
    _run(data, fmt, source, target, profile, sets, as_of, max_hops, None, limit, order, backend,
         only_open=True, count=count, assume=assume, close=close, practice=practice)
