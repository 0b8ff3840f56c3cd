"""Options shared by several commands, and output helpers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import click

FORMATS = ("table", "json", "csv", "md")


def pack_option(f: Callable) -> Callable:
    return click.option(
        "--data", "data", envvar="GRAPHFLOW_DATA", default=None, metavar="PACK",
        help="Pack name (bundled) or folder. Default: the bundled nyc pack.",
    )(f)


def format_option(f: Callable) -> Callable:
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="Output format (machine-readable on stdout).",
    )(f)


def parse_as_of(value: str | None, option: str = "--as-of") -> dt.date:
    """A CLI date, with a one-line error for bad input. Default: today."""
    from graphflow.core.dates import parse_date

    if value is None:
        return dt.date.today()
    return parse_date(value, where=option)


def case_options(f: Callable) -> Callable:
    """--from/--to/--profile/--set/--max-hops: who, from where to where."""
    opts = [
        click.option("--from", "source", default=None, metavar="ACTOR",
                     help="Trigger event or actor (id, name or alias). Default: the pack's."),
        click.option("--to", "target", default=None, metavar="ACTOR",
                     help="Target actor; its sub-units count too. Default: the pack's."),
        click.option("--profile", default=None, metavar="ID", help="Case profile (see list)."),
        click.option("--set", "sets", multiple=True, metavar="FACT=VALUE",
                     help="Set or override a case fact (repeatable; value may be 'unknown')."),
        click.option("--max-hops", type=int, default=8, show_default=True,
                     help="Longest route, in flows."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def query_options(f: Callable) -> Callable:
    """The case options plus --as-of."""
    f = click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
                     help="Date to evaluate rules and validity at. Default: today.")(f)
    return case_options(f)


def whatif_options(f: Callable) -> Callable:
    """--assume-rule FILE and --close FLOW: a what-if scenario."""
    f = click.option("--close", "close", multiple=True, metavar="FLOW",
                     help="What-if: assume this flow is closed (repeatable).")(f)
    return click.option("--assume-rule", "assume", multiple=True, metavar="FILE.yaml",
                        help="What-if: add hypothetical rules (the pack's rule format).")(f)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def emit(text: str) -> None:
    """Write machine-readable output to stdout."""
    click.echo(text, nl=False)
