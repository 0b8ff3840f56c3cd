"""Connection settings (environment, or a prompt for the password), the driver, and one-line
errors for everything a Bolt server can answer.

Settings never come from argv, and the password is never logged, echoed or put in a message.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphflow.errors import GraphflowError

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

DEFAULT_URI = "neo4j://localhost:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


@dataclass(frozen=True)
class Settings:
    """Where and as whom to connect. ``password`` is kept out of ``repr``."""

    uri: str
    user: str
    database: str
    password: str = field(repr=False)

    @property
    def where(self) -> str:
        return f"{self.uri} (database {self.database!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, prompt: bool = True) -> Settings:
        """Read NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD and NEO4J_DATABASE. A missing password
        is asked for (hidden) when stdin is a terminal; otherwise it is a one-line error."""
        env = os.environ if env is None else env
        uri = env.get("NEO4J_URI") or DEFAULT_URI
        user = env.get("NEO4J_USER") or DEFAULT_USER
        database = env.get("NEO4J_DATABASE") or DEFAULT_DATABASE
        password = env.get("NEO4J_PASSWORD")
        if password is None:
            if not (prompt and sys.stdin is not None and sys.stdin.isatty()):
                raise GraphflowError("NEO4J_PASSWORD is not set", where=uri,
                                     hint="export NEO4J_PASSWORD, or run in a terminal to be "
                                          "asked for it")
            import click

            password = click.prompt(f"Neo4j password for {user} at {uri}", hide_input=True,
                                    err=True)
        return cls(uri=uri, user=user, database=database, password=password)


def connect(settings: Settings, *, verify: bool = True, **config: Any) -> neo4j.Driver:
    """A driver with short connection and retry timeouts, checked with verify_connectivity()
    (which fails at once when the server is down, unlike queries, which retry)."""
    import neo4j

    options: dict[str, Any] = {"connection_timeout": 5.0, "max_transaction_retry_time": 5.0,
                               "user_agent": "graphflow"}
    options.update(config)
    scheme = settings.uri.split("://", 1)[0].lower() if "://" in settings.uri else ""
    if scheme not in SCHEMES:
        raise GraphflowError(f"invalid NEO4J_URI {settings.uri!r}",
                             hint="a Bolt address such as neo4j://localhost:7687, "
                                  "bolt://host:7687 or neo4j+s://xxxx.databases.neo4j.io")
    try:
        driver = neo4j.GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password),
                                            **options)
    except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
        raise GraphflowError(f"invalid NEO4J_URI {settings.uri!r}: {exc}",
                             hint="e.g. neo4j://localhost:7687 or neo4j+s://xxxx.databases."
                                  "neo4j.io") from None
    if verify:
        try:
            with translate(settings):
                driver.verify_connectivity()
        except BaseException:
            driver.close()
            raise
    return driver


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def describe_error(exc: BaseException, settings: Settings) -> GraphflowError:
    """A one-line GraphflowError for a driver or server error (never with the password)."""
    import neo4j.exceptions as ne

    code = getattr(exc, "code", None) or ""
    message = _first_line(getattr(exc, "message", None) or str(exc))
    if settings.password and len(settings.password) >= 4:
        message = message.replace(settings.password, "***")
    where = settings.where
    if isinstance(exc, ne.AuthError) or code.startswith("Neo.ClientError.Security.Unauthorized"):
        return GraphflowError(f"authentication failed for user {settings.user!r}",
                              where=settings.uri, hint="check NEO4J_USER and NEO4J_PASSWORD")
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired):
        return GraphflowError("cannot reach the Neo4j server", where=settings.uri,
                              hint=f"is it running? check NEO4J_URI ({message})")
    if "DatabaseNotFound" in code:
        return GraphflowError(f"database {settings.database!r} does not exist",
                              where=settings.uri, hint="check NEO4J_DATABASE")
    if "TransactionTimedOut" in code:
        return GraphflowError("the query timed out on the server", where=where,
                              hint=message or None)
    if "AccessMode" in code or "Forbidden" in code:
        return GraphflowError("refused: this query would write", where=where, hint=message)
    if isinstance(exc, ne.CypherSyntaxError) or code.endswith("SyntaxError"):
        return GraphflowError(f"Cypher syntax error: {message}", where=where)
    if isinstance(exc, ne.Neo4jError):
        short = code.rsplit(".", 1)[-1] if code else type(exc).__name__
        return GraphflowError(f"the server refused the query ({short}): {message}", where=where)
    if isinstance(exc, ne.DriverError):
        return GraphflowError(f"Neo4j driver error: {type(exc).__name__}: {message}", where=where)
    return GraphflowError(f"{type(exc).__name__}: {message}", where=where)


@contextmanager
def translate(settings: Settings) -> Iterator[None]:
    """Turn neo4j driver and server errors raised inside into one-line GraphflowErrors."""
    import neo4j.exceptions as ne

    try:
        yield
    except (ne.Neo4jError, ne.DriverError) as exc:
        raise describe_error(exc, settings) from None


@contextmanager
def session_driver(settings: Settings | None = None, **config: Any) -> Iterator[
        tuple[neo4j.Driver, Settings]]:
    """Settings from the environment and a verified driver, closed afterwards."""
    settings = settings or Settings.from_env()
    driver = connect(settings, **config)
    try:
        with translate(settings):
            yield driver, settings
    finally:
        driver.close()
