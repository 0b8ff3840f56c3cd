"""Options shared by several commands, and output helpers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import click

from graphflow.audit import MAX_HOPS_LIMIT
from graphflow.cli import complete

FORMATS = ("table", "json", "csv", "md")
# The longest route a query may ask for (audit.MAX_HOPS_LIMIT, which make_query enforces for
# Python callers too). Documented in docs/pack-format.md, "Limits".
MAX_HOPS = MAX_HOPS_LIMIT


class HopCount(click.ParamType):
    """A hop bound: a whole number from 1 to MAX_HOPS (any size of input is a clean error)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        from graphflow.errors import GraphflowError

        name = _name(param)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not text.lstrip("+-").isdigit() or len(text) > 40:
                raise GraphflowError(f"{name} must be a whole number, not {text[:40]!r}")
            number = int(text)
        if number < 1:
            raise GraphflowError(f"{name} must be at least 1, not {number}")
        if number > MAX_HOPS:
            raise GraphflowError(f"{name} must be at most {MAX_HOPS}, not {number}",
                                 hint="longer routes are not searched; see docs/pack-format.md")
        return number


MAX_HOPS_TYPE = HopCount()


def _name(param: click.Parameter | None) -> str:
    opts = getattr(param, "opts", None) or ["value"]
    return max(opts, key=len)


def not_empty(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An id given on the command line may not be empty: ``--from ""`` is an error, never a
    silent fall-back to the default."""
    from graphflow.errors import GraphflowError

    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if v is not None and not str(v).strip():
            raise GraphflowError(f"{_name(param)} must not be empty",
                                 hint="leave the option out for the default")
    return value


def pack_option(f: Callable) -> Callable:
    return click.option(
        "--data", "data", envvar="GRAPHFLOW_DATA", default=None, metavar="PACK",
        callback=not_empty, shell_complete=complete.complete_pack,
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


def _keep_horizon(ctx: click.Context, _param: Any, value: int | None) -> int | None:
    ctx.meta["graphflow.evidence_horizon"] = value
    return value


def evidence_horizon() -> int | None:
    """The command's --evidence-horizon (months), or None for the pack's."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("graphflow.evidence_horizon") if ctx is not None else None


def case_options(f: Callable) -> Callable:
    """--from/--to/--profile/--set/--max-hops: who, from where to where."""
    opts = [
        click.option("--from", "source", default=None, metavar="ACTOR", callback=not_empty,
                     shell_complete=complete.complete_actor,
                     help="Trigger event or actor (id, name or alias). Default: the pack's."),
        click.option("--to", "target", default=None, metavar="ACTOR", callback=not_empty,
                     shell_complete=complete.complete_actor,
                     help="Target actor; its sub-units count too. Default: the pack's."),
        click.option("--profile", default=None, metavar="ID", callback=not_empty,
                     shell_complete=complete.complete_profile,
                     help="Case profile (see list)."),
        click.option("--set", "sets", multiple=True, metavar="FACT=VALUE",
                     shell_complete=complete.complete_fact,
                     help="Set or override a case fact (repeatable; value may be 'unknown')."),
        click.option("--max-hops", type=MAX_HOPS_TYPE, default=8, show_default=True,
                     help=f"Longest route, in flows (1 to {MAX_HOPS})."),
        click.option("--evidence-horizon", type=int, default=None, metavar="MONTHS",
                     expose_value=False, callback=_keep_horizon,
                     help="Evidence stays current this many months past its last source "
                          "(default: the pack's evidence_horizon_months, else 24)."),
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
    """--assume-rule FILE, --close FLOW and --ignore-authority: a what-if scenario."""
    f = click.option("--ignore-authority", "ignore_authority", is_flag=True,
                     help="What-if: also apply a hypothetical rule's effects on flows its "
                          "jurisdiction does not control (they are flagged either way).")(f)
    f = click.option("--close", "close", multiple=True, metavar="FLOW", callback=not_empty,
                     shell_complete=complete.complete_flow,
                     help="What-if: assume this flow is closed (repeatable).")(f)
    return click.option("--assume-rule", "assume", multiple=True, metavar="FILE.yaml",
                        callback=not_empty,
                        help="What-if: add hypothetical rules (the pack's rule format; "
                             "citations optional, marked hypothetical; see examples/).")(f)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def emit(text: str) -> None:
    """Write output to stdout, control characters from the data escaped (report.tables)."""
    from graphflow.report.tables import terminal_safe

    click.echo(terminal_safe(text), nl=False)
