"""Connection settings (environment, or a prompt the CLI passes in), the driver, a
client-side deadline on every store call, and one-line errors for everything a Bolt server
(or something that is not one) can answer.

Settings never come from argv. The password is never logged, echoed or put in a message;
credentials written into NEO4J_URI (``neo4j://user:pass@host``) are taken out of the address
before it is used or shown.

Deadlines: connecting (TCP, the Bolt handshake, TLS and authentication) has
``GRAPHFLOW_NEO4J_CONNECT_TIMEOUT`` seconds (default 5); each store query has
``GRAPHFLOW_NEO4J_QUERY_TIMEOUT`` seconds (default 120) on the client, whatever the server
does. A port that accepts TCP and never answers, HTTP or TLS where Bolt was expected, a
stopped server and a wrong password each give one line that says what was seen.
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from graphflow.errors import GraphflowError

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

DEFAULT_URI = "neo4j://localhost:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_QUERY_TIMEOUT = 120.0
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
BOLT_MAGIC = b"\x60\x60\xb0\x17"

password_prompt: Callable[[str], str] | None = None
"""How to ask for a missing password (set by the command line; None: never ask)."""


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """The address without ``user:password@``, and the user and password found there."""
    if "://" not in uri or "@" not in uri.split("://", 1)[1].split("/", 1)[0]:
        return uri, None, None
    scheme, rest = uri.split("://", 1)
    hostpart, sep, tail = rest.partition("/")
    userinfo, _, host = hostpart.rpartition("@")
    user, colon, password = userinfo.partition(":")
    from urllib.parse import unquote

    return (f"{scheme}://{host}{sep}{tail}", unquote(user) or None,
            unquote(password) if colon else None)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with URI credentials and the given secrets replaced by ***."""
    import re

    out = re.sub(r"([A-Za-z][\w+.-]*://)[^/@\s]*@", r"\1***@", text)
    for secret in secrets:
        if secret and len(secret) >= 3:
            out = out.replace(secret, "***")
    return out


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise GraphflowError(f"{name}={raw!r} is not a number of seconds",
                             hint=f"e.g. {name}={default:g}") from None
    if not 0 < value <= 86400:
        raise GraphflowError(f"{name}={raw!r} must be more than 0 and at most 86400 seconds")
    return value


MAX_NAME = 255


def _check_name(variable: str, value: str, *, spaces: bool) -> None:
    """A user or database name is printable text of at most MAX_NAME characters (no control
    characters; a database name no spaces either): anything else is refused before any
    connection, shown escaped."""
    bad = next((ch for ch in value if not ch.isprintable() or (ch.isspace() and not spaces)),
               None)
    if bad is None and len(value) <= MAX_NAME:
        return
    shown = repr(value[:40]) + ("..." if len(value) > 40 else "")
    what = (f"holds the character {bad!r}" if bad is not None
            else f"is {len(value)} characters long (at most {MAX_NAME})")
    raise GraphflowError(f"{variable}={shown} {what}", hint=f"e.g. {variable}=neo4j")


@dataclass(frozen=True)
class Settings:
    """Where and as whom to connect, and how long to wait. ``password`` is kept out of
    ``repr``; ``uri`` never holds credentials."""

    uri: str
    user: str
    database: str
    password: str = field(repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    query_timeout: float | None = DEFAULT_QUERY_TIMEOUT

    def __post_init__(self) -> None:
        clean, _, _ = split_credentials(self.uri)
        if clean != self.uri:
            object.__setattr__(self, "uri", clean)

    @property
    def where(self) -> str:
        return f"{self.uri} (database {self.database!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *,
                 prompt: Callable[[str], str] | None = None) -> Settings:
        """Read NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE and the
        GRAPHFLOW_NEO4J_*_TIMEOUT deadlines. A missing password is asked for with ``prompt``
        (default: ``password_prompt``) when stdin is a terminal; otherwise it is an error."""
        env = os.environ if env is None else env
        uri, uri_user, uri_password = split_credentials(env.get("NEO4J_URI") or DEFAULT_URI)
        user = env.get("NEO4J_USER") or uri_user or DEFAULT_USER
        database = env.get("NEO4J_DATABASE") or DEFAULT_DATABASE
        _check_name("NEO4J_USER", user, spaces=True)
        _check_name("NEO4J_DATABASE", database, spaces=False)
        password = env.get("NEO4J_PASSWORD")
        if password is None:
            password = uri_password
        connect_timeout = _float_env(env, "GRAPHFLOW_NEO4J_CONNECT_TIMEOUT",
                                     DEFAULT_CONNECT_TIMEOUT)
        query_timeout = _float_env(env, "GRAPHFLOW_NEO4J_QUERY_TIMEOUT", DEFAULT_QUERY_TIMEOUT)
        if password is None:
            ask = prompt or password_prompt
            if ask is None or sys.stdin is None or not sys.stdin.isatty():
                raise GraphflowError("NEO4J_PASSWORD is not set", where=uri,
                                     hint="export NEO4J_PASSWORD, or run in a terminal to be "
                                          "asked for it")
            password = ask(f"Neo4j password for {user} at {uri}")
        return cls(uri=uri, user=user, database=database, password=password,
                   connect_timeout=connect_timeout, query_timeout=query_timeout)


# -- what is listening on the port ---------------------------------------------------------------


def _address(uri: str) -> tuple[str, int]:
    parts = urlsplit(uri)
    return parts.hostname or "localhost", parts.port or 7687


def probe(settings: Settings, timeout: float | None = None) -> GraphflowError | None:
    """Open the port and offer a Bolt handshake, within ``timeout``: None if a Bolt server
    answers, otherwise a one-line error saying what was seen."""
    timeout = timeout or settings.connect_timeout
    host, port = _address(settings.uri)
    scheme = settings.uri.split("://", 1)[0].lower()
    where = settings.uri
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError:
        return GraphflowError(f"no answer from {host}:{port} within {timeout:g} s (TCP connect)",
                              where=where, hint="is the host reachable? check NEO4J_URI")
    except OSError as exc:
        return GraphflowError(f"cannot reach the Neo4j server: {exc.strerror or exc}",
                              where=where, hint="is it running? check the host and port in "
                                                "NEO4J_URI")
    with raw:
        raw.settimeout(timeout)
        sock: socket.socket = raw
        if scheme.endswith(("+s", "+ssc")):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # only looking; the driver verifies
            try:
                sock = context.wrap_socket(raw, server_hostname=host)
            except TimeoutError:
                return GraphflowError(f"no TLS handshake from {host}:{port} within "
                                      f"{timeout:g} s", where=where,
                                      hint="the port accepts connections but does not answer")
            except (ssl.SSLError, OSError):
                return GraphflowError("TLS mismatch: the server does not speak TLS on this port",
                                      where=where, hint="use bolt:// or neo4j:// for a plain "
                                                        "server")
        try:
            sock.sendall(BOLT_MAGIC + b"\x00\x00\x04\x05" + b"\x00\x00\x00\x04" + b"\x00" * 8)
            answer = b""
            while len(answer) < 4:
                chunk = sock.recv(4 - len(answer))
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            return GraphflowError(f"no Bolt handshake from {host}:{port} within {timeout:g} s",
                                  where=where, hint="the port accepts connections but does not "
                                                    "answer as a Bolt server; check the port")
        except OSError as exc:
            return GraphflowError(f"the connection to {host}:{port} failed during the Bolt "
                                  f"handshake: {exc.strerror or exc}", where=where)
    if answer.startswith(b"HTTP"):
        return GraphflowError(f"HTTP on a Bolt port: {host}:{port} answered as a web server",
                              where=where, hint="use the Bolt port (7687 by default), not the "
                                                "HTTP one (7474)")
    if answer[:1] in (b"\x15", b"\x16") and answer[1:2] == b"\x03":
        return GraphflowError("TLS mismatch: the server speaks TLS on this port",
                              where=where, hint="use bolt+s:// or neo4j+s:// (bolt+ssc:// for a "
                                                "self-signed certificate)")
    if len(answer) < 4:
        return GraphflowError(f"{host}:{port} closed the connection without a Bolt handshake",
                              where=where, hint="is this a Neo4j Bolt port?")
    return None


# -- the driver ----------------------------------------------------------------------------------


def connect(settings: Settings, *, verify: bool = True, **config: Any) -> neo4j.Driver:
    """A driver whose connection attempts (TCP, handshake, TLS, authentication) end within
    ``settings.connect_timeout``; checked with verify_connectivity() unless ``verify`` is
    false."""
    import neo4j

    scheme = settings.uri.split("://", 1)[0].lower() if "://" in settings.uri else ""
    if scheme not in SCHEMES:
        raise GraphflowError(f"invalid NEO4J_URI {redact(settings.uri)!r}",
                             hint="a Bolt address such as neo4j://localhost:7687, "
                                  "bolt://host:7687 or neo4j+s://xxxx.databases.neo4j.io")
    limit = settings.connect_timeout
    options: dict[str, Any] = {"connection_timeout": limit,
                               "connection_acquisition_timeout": limit,
                               "max_transaction_retry_time": limit, "user_agent": "graphflow"}
    options.update(config)
    try:
        driver = neo4j.GraphDatabase.driver(settings.uri, auth=(settings.user, settings.password),
                                            **options)
    except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
        raise GraphflowError(f"invalid NEO4J_URI {redact(settings.uri)!r}: "
                             f"{redact(str(exc), settings.password)}",
                             hint="e.g. neo4j://localhost:7687 or neo4j+s://xxxx.databases."
                                  "neo4j.io") from None
    if verify:
        seen = probe(settings)
        if seen is not None:
            driver.close()
            raise seen
        try:
            with translate(settings, driver, timeout=limit):
                driver.verify_connectivity()
        except BaseException:
            driver.close()
            raise
    _DRIVERS[id(settings)] = (settings, driver)
    return driver


_DRIVERS: dict[int, tuple[Settings, Any]] = {}
"""The driver ``connect`` made for a Settings object, so that ``translate(settings)`` can
put its deadline on it."""


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def describe_error(exc: BaseException, settings: Settings) -> GraphflowError:
    """A one-line GraphflowError for a driver or server error (never with the password)."""
    import neo4j.exceptions as ne

    code = getattr(exc, "code", None) or ""
    message = redact(_first_line(getattr(exc, "message", None) or str(exc)), settings.password)
    where = settings.where
    if isinstance(exc, ne.AuthError) or code.startswith("Neo.ClientError.Security.Unauthorized"):
        return GraphflowError(f"authentication failed for user {settings.user!r}",
                              where=settings.uri, hint="check NEO4J_USER and NEO4J_PASSWORD")
    if "AuthenticationRateLimit" in code:
        return GraphflowError("authentication failed too often: the server is refusing logins "
                              "for a while", where=settings.uri,
                              hint="check NEO4J_USER and NEO4J_PASSWORD, then wait")
    if isinstance(exc, ne.ServiceUnavailable | ne.SessionExpired):
        return GraphflowError("cannot reach the Neo4j server", where=settings.uri,
                              hint=f"is it running? check NEO4J_URI ({message})")
    if "DatabaseNotFound" in code:
        return GraphflowError(f"database {settings.database!r} does not exist",
                              where=settings.uri, hint="check NEO4J_DATABASE")
    if "TransactionTimedOut" in code or "TransactionTimedOutClientConfiguration" in code:
        return GraphflowError("the query timed out on the server", where=where,
                              hint=message or None)
    if "AccessMode" in code or "Forbidden" in code:
        return GraphflowError("refused by the server: this query would write", where=where,
                              hint=message)
    if isinstance(exc, ne.CypherSyntaxError) or code.endswith("SyntaxError"):
        return GraphflowError(f"Cypher syntax error: {message}", where=where)
    if isinstance(exc, ne.Neo4jError):
        short = code.rsplit(".", 1)[-1] if code else type(exc).__name__
        return GraphflowError(f"the server refused the query ({short}): {message}", where=where)
    if isinstance(exc, ne.DriverError):
        return GraphflowError(f"Neo4j driver error: {type(exc).__name__}: {message}", where=where)
    return GraphflowError(f"{type(exc).__name__}: {message}", where=where)


class _Deadlines:
    """One daemon thread for every watchdog of the process (a thread per query cost about
    0.6 ms, as much as a small query itself): a heap of (when, order, watchdog), the earliest
    first; a cancelled watchdog is skipped when it comes up, and the heap is rebuilt when
    cancelled entries are most of it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watchdog]] = []
        self._order = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def add(self, dog: _Watchdog, timeout: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + timeout, next(self._order), dog))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="graphflow-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is dog:
                self._cond.notify()  # a new earliest deadline

    def cancel(self) -> None:
        with self._cond:
            self._cancelled += 1
            if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
                self._heap = [e for e in self._heap if not e[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled = max(0, self._cancelled - 1)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                dog = heapq.heappop(self._heap)[2]
                self._cond.release()  # closing a driver can take a while: not under the lock
                try:
                    dog.fire()
                finally:
                    self._cond.acquire()


_DEADLINES = _Deadlines()


class _Watchdog:
    """Closes a driver (which shuts its sockets, waking a blocked read) after ``timeout``."""

    def __init__(self, driver: Any, timeout: float | None) -> None:
        self.fired = False
        self.cancelled = False
        self._driver = driver
        self._lock = threading.Lock()
        if timeout:
            _DEADLINES.add(self, timeout)
        else:
            self.cancelled = True

    def fire(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.fired = True
        with suppress(Exception):  # closing a stuck driver may itself fail
            self._driver.close()

    def cancel(self) -> None:
        with self._lock:
            if self.cancelled or self.fired:
                return
            self.cancelled = True
        _DEADLINES.cancel()


@contextmanager
def translate(settings: Settings, driver: Any = None, *, timeout: float | None = None,
              deadline: bool = True) -> Iterator[None]:
    """Turn driver and server errors raised inside into one-line GraphflowErrors, and give
    up after ``timeout`` seconds (default ``settings.query_timeout``) by closing the driver
    (the one ``connect`` made for these settings if none is given)."""
    import neo4j.exceptions as ne

    if driver is None and deadline:
        known = _DRIVERS.get(id(settings))
        driver = known[1] if known and known[0] is settings else None
    limit = (timeout or settings.query_timeout) if deadline else None
    dog = _Watchdog(driver, limit) if driver is not None and limit else None
    try:
        yield
    except GraphflowError:
        if dog is not None and dog.fired:
            raise _timed_out(settings, limit) from None
        raise
    except (ne.Neo4jError, ne.DriverError, OSError) as exc:
        if dog is not None and dog.fired:
            raise _timed_out(settings, limit) from None
        if isinstance(exc, OSError):
            raise GraphflowError(f"connection error: {redact(str(exc), settings.password)}",
                                 where=settings.uri) from None
        raise describe_error(exc, settings) from None
    finally:
        if dog is not None:
            dog.cancel()
    if dog is not None and dog.fired:
        raise _timed_out(settings, limit)


def _timed_out(settings: Settings, limit: float | None) -> GraphflowError:
    return GraphflowError(f"no answer from the Neo4j server within {limit:g} s (client-side "
                          "deadline)", where=settings.uri,
                          hint="the server may be stopped or overloaded; raise --timeout or "
                               "GRAPHFLOW_NEO4J_QUERY_TIMEOUT for long queries")


@contextmanager
def session_driver(settings: Settings | None = None, **config: Any) -> Iterator[
        tuple[neo4j.Driver, Settings]]:
    """Settings from the environment and a verified driver, closed afterwards."""
    settings = settings or Settings.from_env()
    driver = connect(settings, **config)
    try:
        with translate(settings, deadline=False):
            yield driver, settings
    finally:
        _DRIVERS.pop(id(settings), None)
        driver.close()
