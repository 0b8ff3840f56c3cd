"""The interface every route engine implements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

HopFilter = Callable[[str], bool]
HopLevel = Callable[[str], int]
# A walked route: its flow ids, and its level (see RouteWalker).
Walked = tuple[tuple[str, ...], int]


class RouteEngine(Protocol):
    """Enumerates simple routes (no actor visited twice) as lists of flow ids."""

    name: str

    def routes(
        self, source: str, targets: frozenset[str], max_hops: int,
        allow: HopFilter | None = None,
    ) -> Iterator[list[str]]:
        """Yield every simple route from ``source`` that ends at its first target node,
        using at most ``max_hops`` flows; ``allow`` may veto flows to prune early."""
        ...


@runtime_checkable
class RouteWalker(Protocol):
    """Optional, faster interface: routes with a per-hop level folded in along the search.

    ``level(flow_id)`` is a small int (a status severity); a route's level is that of its first
    hop at ``core.status.STOP`` or above (a hop that stops the information), else the highest
    of its hops' (``core.status.fold_level``). Hops above ``cap`` are never taken while the
    route is not yet stopped (the branch stops there), and
    with ``length`` only routes of exactly that many flows are yielded. The route set for
    ``cap=None, length=None`` is exactly that of ``routes()``."""

    name: str

    def walk(
        self, source: str, targets: frozenset[str], max_hops: int, level: HopLevel,
        cap: int | None = None, length: int | None = None,
    ) -> Iterator[Walked]:
        ...
