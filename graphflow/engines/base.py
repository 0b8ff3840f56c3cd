"""The interface every route engine implements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

HopFilter = Callable[[str], bool]
HopLevel = Callable[[str], int]
# A fold carried along a route's prefix: fold(acc, flow id) -> the new acc.
Fold = Callable[[Any, str], Any]
# A walked route: its flow ids, its level, and the fold over every flow but the last (the
# seed when no fold is given); see RouteWalker.
Walked = tuple[tuple[str, ...], int, Any]


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
    """Optional, faster interface: the one walker, with per-hop levels folded in along the
    search and, optionally, a caller's fold over each route's prefix.

    ``level(flow_id)`` is a small int (a status severity); a route's level is that of its first
    hop at ``core.status.STOP`` or above (a hop that stops the information), else the highest
    of its hops' (``core.status.fold_level``). Hops above ``cap`` are never taken while the
    route is not yet stopped (the branch stops there), and with ``length`` only routes of
    exactly that many flows are yielded. With ``fold``, each route also carries
    ``fold(... fold(seed, f1) ..., f_{n-1})`` over every flow but its last, computed once per
    prefix on the search stack (without a fold, ``seed``). The route set for
    ``cap=None, length=None`` is exactly that of ``routes()``, in the same order."""

    name: str

    def walk(
        self, source: str, targets: frozenset[str], max_hops: int, level: HopLevel,
        cap: int | None = None, length: int | None = None, fold: Fold | None = None,
        seed: Any = None,
    ) -> Iterator[Walked]:
        ...
