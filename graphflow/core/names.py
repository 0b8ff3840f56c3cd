"""Resolve what a user typed (id, name or alias, any case) to an id, with "did you mean"."""

from __future__ import annotations

from collections.abc import Iterable

from graphflow.core.model import Pack
from graphflow.errors import GraphflowError, did_you_mean


def _resolve(typed: str, entries: Iterable[tuple[str, Iterable[str]]], what: str,
             where: str | None = None) -> str:
    want = typed.strip().lower()
    words: list[str] = []
    for ident, names in entries:
        all_names = [ident, *names]
        words.extend(all_names)
        if any(want == n.lower() for n in all_names if n):
            return ident
    hint = did_you_mean(typed, words) or f"see `graphflow list {what}s`"
    prefix = f"{where}: " if where else ""
    raise GraphflowError(f"{prefix}unknown {what} {typed!r}", hint=hint)


def resolve_actor(pack: Pack, typed: str, where: str | None = None) -> str:
    """An actor id from its id, name or alias (``where`` names the option in the error)."""
    return _resolve(typed, ((a.id, (a.name, *a.aliases)) for a in pack.actors.values()), "actor",
                    where)


def resolve_profile(pack: Pack, typed: str) -> str:
    return _resolve(typed, ((p.id, (p.name,)) for p in pack.profiles.values()), "profile")


def resolve_any(pack: Pack, typed: str) -> tuple[str, str]:
    """(kind, id) for a route, flow, rule, actor, profile or source."""
    tables = {
        "flow": {f.id: (f.name,) for f in pack.flows.values()},
        "rule": {r.id: (r.name,) for r in pack.rules.values()},
        "actor": {a.id: (a.name, *a.aliases) for a in pack.actors.values()},
        "profile": {p.id: (p.name,) for p in pack.profiles.values()},
        "source": {s.id: (s.title,) for s in pack.sources.values()},
        "fact": {f.id: () for f in pack.facts.values()},
        "data-item": {d.id: (d.name,) for d in pack.data_items.values()},
        "conflict": {c.id: () for c in pack.conflicts.values()},
    }
    want = typed.strip().lower()
    for kind, table in tables.items():
        for ident in table:
            if ident.lower() == want:
                return kind, ident
    for kind, table in tables.items():
        for ident, names in table.items():
            if any(n and n.lower() == want for n in names):
                return kind, ident
    words = [w for table in tables.values() for i, ns in table.items() for w in (i, *ns) if w]
    raise GraphflowError(
        f"nothing called {typed!r} in pack {pack.id}",
        hint=did_you_mean(typed, words) or "see `graphflow list`",
    )
