"""Shell completion of ids (click ``shell_complete``): packs, profiles, actors, flows, facts.

Enable it as docs/completion.md says (``_GRAPHFLOW_COMPLETE=bash_source graphflow``). Each
function loads the pack named earlier on the same command line (``--data``, else
$GRAPHFLOW_DATA, else the bundled default) and offers the ids that start with what was typed.
Completion never prints an error: a pack that does not load completes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import click
from click.shell_completion import CompletionItem

LIMIT = 500  # at most this many suggestions (a national pack has thousands of actors)


def _pack(ctx: click.Context) -> Any:
    from graphflow.packs.loader import load_pack

    data = None
    for c in (ctx, *_parents(ctx)):
        data = data or c.params.get("data")
    try:
        return load_pack(data or os.environ.get("GRAPHFLOW_DATA") or None)
    except Exception:  # noqa: BLE001 (completion must stay silent)
        return None


def _parents(ctx: click.Context) -> Iterable[click.Context]:
    while ctx.parent is not None:
        ctx = ctx.parent
        yield ctx


def _items(pairs: Iterable[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    out = []
    for ident, helptext in sorted(pairs):
        if ident.startswith(incomplete):
            out.append(CompletionItem(ident, help=helptext or None))
            if len(out) >= LIMIT:
                break
    return out


def _ids(what: Callable[[Any], Iterable[tuple[str, str]]]) -> Callable[..., list[CompletionItem]]:
    def complete(ctx: click.Context, _param: click.Parameter, incomplete: str
                 ) -> list[CompletionItem]:
        pack = _pack(ctx)
        return [] if pack is None else _items(what(pack), incomplete)
    return complete


complete_actor = _ids(lambda p: ((a.id, a.name) for a in p.actors.values()))
complete_profile = _ids(lambda p: ((k, v.name) for k, v in p.profiles.items()))
complete_flow = _ids(lambda p: ((f.id, f.name) for f in p.flows.values()))
complete_fact = _ids(lambda p: ((f"{k}=", f.description[:60]) for k, f in p.facts.items()))


def complete_pack(_ctx: click.Context, _param: click.Parameter, incomplete: str
                  ) -> list[CompletionItem]:
    from graphflow.packs.locate import bundled_packs

    try:
        names = bundled_packs()
    except Exception:  # noqa: BLE001
        names = []
    return _items(((n, "bundled pack") for n in names), incomplete)
