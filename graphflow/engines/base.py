"""The interface every route engine implements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

HopFilter = Callable[[str], bool]


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
