"""Pick a route engine by name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphflow.core.model import Pack
from graphflow.engines.base import RouteEngine
from graphflow.errors import GraphflowError


@contextmanager
def open_engine(name: str, pack: Pack) -> Iterator[RouteEngine]:
    """The embedded engine, or a Neo4j store opened from the environment (closed after)."""
    if name == "embedded":
        from graphflow.engines.embedded import EmbeddedEngine

        yield EmbeddedEngine(pack)
        return
    if name == "neo4j":
        try:
            from graphflow.store.engine import Neo4jEngine
        except ModuleNotFoundError as exc:
            raise GraphflowError("the neo4j backend is not available in this build") from exc
        engine = Neo4jEngine.from_env(pack)
        try:
            yield engine
        finally:
            engine.close()
        return
    raise GraphflowError(f"unknown backend {name!r}", hint="embedded or neo4j")
