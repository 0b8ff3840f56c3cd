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
from graphflow.core.routes import DEFAULT_ORDER, ORDERS

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


def _run(args: dict[str, Any], *, leaks: bool = False) -> None:
    """Parse the options into an API call, call it, format what it returns."""
    from graphflow.api import open_pack
    from graphflow.packs.loader import load_pack

    data, fmt = args["data"], args["fmt"]
    progress = Progress()
    with progress.loading(f"pack {data or 'nyc'}"):
        pack = load_pack(data)
    audit = open_pack(pack, backend=args["backend"], track=progress.track)
    case = {
        "source": args["source"], "target": args["target"], "profile": args["profile"],
        "sets": args["sets"], "as_of": parse_as_of(args["as_of"]),
        "max_hops": args["max_hops"], "evidence_horizon": evidence_horizon(),
        "assume": args["assume"], "close": args["close"],
        "ignore_authority": args["ignore_authority"],
    }
    try:
        if args["count"]:
            statuses = ("open",) if leaks else args.get("status")
            counts = audit.count(statuses=statuses, **case)
        elif leaks:
            result = audit.leaks(limit=args["limit"], order=args["order"],
                                 practice=args["practice"], **case)
        else:
            result = audit.routes(statuses=args["status"], limit=args["limit"],
                                  order=args["order"], **case)
    finally:
        progress.close()
    if args["count"]:
        _emit_counts(counts.to_dict(), fmt)
        return
    out = result.to_dict()
    hint = out.get("trigger_hint")
    if hint and fmt != "table":
        click.echo("graphflow: " + hint["message"], err=True)
    if fmt == "json":
        emit(dump_json(out))
    elif fmt == "csv":
        from graphflow.report.routes import render_csv

        emit(render_csv(out))
    elif fmt == "md":
        from graphflow.report.routes import render_md

        if result.scenario is not None:
            from graphflow.report.analysis import render_whatif

            emit(render_whatif(out))
        emit(render_md(out, result.pack))
    else:
        from graphflow.report.routes import render_summary, render_table

        if result.scenario is not None:
            from graphflow.report.analysis import render_whatif

            emit(render_whatif(out))
        view = args["view"]
        emit(render_summary(result.pack, out) if view == "summary" else
             render_table(result.pack, out, verbose=view == "verbose"))


def _emit_counts(data: dict[str, Any], fmt: str) -> None:
    """Route counts per status (and open routes per evidence state), in the chosen format."""
    q, counts, total = data["query"], data["summary"], data["total"]
    evidence = data["open_by_evidence"]
    if fmt == "json":
        emit(dump_json(data))
    elif fmt == "csv":
        emit("status,routes\n" + "".join(f"{k},{n}\n" for k, n in counts.items()))
    elif fmt == "md":
        emit(f"# Routes from `{q['from']}` to `{q['to']}`\n\n| status | routes |\n|---|---|\n"
             + "".join(f"| {k} | {n} |\n" for k, n in counts.items())
             + f"| total | {total} |\n\n"
             + "Open routes by evidence: "
             + ", ".join(f"{n} {k}" for k, n in evidence.items()) + "\n")
    else:
        emit(f"Routes from {q['from']} to {q['to']} (pack {q['pack']}, as of {q['as_of']}, "
             f"profile {q['profile'] or '(none)'}, max {q['max_hops']} hops)\n"
             f"Count: {total} route(s): "
             + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n"
             + "Open routes by evidence: "
             + ", ".join(f"{n} {k}" for k, n in evidence.items()) + "\n")


def _common(f):
    f = whatif_options(f)
    f = click.option("--count", "count", is_flag=True,
                     help="Only count the routes per status (streamed; no routes kept).")(f)
    f = click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded",
                     show_default=True, help="Route engine: in memory, or a Neo4j store "
                     "(NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")(f)
    f = click.option("--order", type=click.Choice(list(ORDERS)),
                     default=DEFAULT_ORDER, show_default=True,
                     help="Sort order of routes (impact: open, current evidence, best "
                     "sourced, firing for everyone and automatic first; docs/ranking.md).")(f)
    f = click.option("--detail", "view", flag_value="detail",
                     help="Table: hop by hop (hops shared with an earlier route folded).")(f)
    f = click.option("--verbose", "view", flag_value="verbose",
                     help="Table: hop by hop, with the rules that do not restrict a hop or "
                     "are not in force.")(f)
    f = click.option("--summary", "view", flag_value="summary", default=True,
                     help="Table: one short block per route (the default).")(f)
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
def routes(**options: Any) -> None:
    """Every route from a trigger to a target, with each hop's status and evidence.

    Example: graphflow routes --from nypd-arrest --to ice --profile fare-evasion
    --as-of 2017-03-01
    """
    _run(options)


@click.command()
@_common
@click.option("--with-practice", "practice", is_flag=True,
              help="Also list practice leaks: routes closed by rules that sources say are not "
                   "followed.")
def leaks(**options: Any) -> None:
    """Only the open routes: information that reaches the target for this case on this date.

    Example: graphflow leaks --profile fare-evasion --as-of 2017-03-01 --with-practice
    """
    if options["practice"] and options["count"]:
        from graphflow.errors import GraphflowError

        raise GraphflowError("--with-practice cannot be combined with --count",
                             hint="run `graphflow leaks --with-practice --format json`")
    _run(options, leaks=True)
