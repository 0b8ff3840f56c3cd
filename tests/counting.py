"""A real driver that records the queries sent through it (the store engine's query count, in
tests/test_neo4j_fetch.py and benchmarks/neo4j_bench.py)."""

from __future__ import annotations

from typing import Any


class CountingSession:
    """A real session, recording every query it runs."""

    def __init__(self, session: Any, queries: list[str]) -> None:
        self._session = session
        self._queries = queries

    def run(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        self._queries.append(getattr(query, "text", query))
        return self._session.run(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class CountingDriver:
    """The real driver, recording every query sent through ``execute_query`` or a session it
    opened, the access mode of every session, and every other attribute the engine uses
    (server info, ...)."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self.queries: list[str] = []
        self.modes: list[str] = []
        self.other: list[str] = []

    def execute_query(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(query)
        return self._driver.execute_query(query, *args, **kwargs)

    def session(self, **config: Any) -> CountingSession:
        self.modes.append(config.get("default_access_mode", "WRITE"))
        return CountingSession(self._driver.session(**config), self.queries)

    @property
    def execute_query_bookmark_manager(self) -> Any:
        return self._driver.execute_query_bookmark_manager

    def __getattr__(self, name: str) -> Any:
        self.other.append(name)
        return getattr(self._driver, name)
