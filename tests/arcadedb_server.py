"""Start a throw-away ArcadeDB server that speaks Bolt, for tests.

No Neo4j server can be installed where graphflow's tests run, so the tests talk
to ArcadeDB instead: it accepts Neo4j's Bolt protocol and (most of) its Cypher,
and the official ``neo4j`` Python driver connects to it unchanged.

ArcadeDB comes from the PyPI package ``arcadedb-embedded``, which bundles a
JRE (``<package>/jre``) and the server jars (``<package>/jars``). This module
runs those as a separate JVM process (``com.arcadedb.server.ArcadeDBServer``)
with the Bolt plugin enabled, so the server is a real network server and the
Python process never loads a JVM itself::

    from tests.arcadedb_server import ArcadeDBServer

    with ArcadeDBServer() as server:
        with server.driver() as driver:
            driver.execute_query("CREATE (:Actor {id: 'a'})", database_=server.database)

Each server gets free ports on 127.0.0.1, a fresh ``tempfile.mkdtemp`` root
directory (databases, config, logs) and a random root password; ``stop()``
ends the JVM and deletes the directory. Server output goes to
``<root>/server.log``; if start-up fails, the error includes its last lines.

Only the standard library is imported at module level; ``neo4j`` is imported
when a server starts, and ``arcadedb_embedded`` is only located (``find_spec``),
never imported: its in-process JPype API is not needed, only its files.

The root password is handed over in a 0600 file (``arcadedb.server.rootPasswordPath``)
rather than on the command line. If the Python process is killed with SIGKILL the
JVM survives (it runs in its own session so that ^C reaches only Python, which then
stops it); normal exits and exceptions stop it through ``stop()`` or ``atexit``.

See ``docs/arcadedb-notes.md`` for what ArcadeDB's Cypher does and does not
accept compared with Neo4j 5.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

__all__ = [
    "ArcadeDBServer",
    "ArcadeDBServerError",
    "arcadedb_available",
    "find_arcadedb_home",
]

PACKAGE = "arcadedb_embedded"
"""Import name of the PyPI package ``arcadedb-embedded``."""

DISTRIBUTION = "arcadedb-embedded"
SERVER_CLASS = "com.arcadedb.server.ArcadeDBServer"
BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
HOST = "127.0.0.1"
LOG_NAME = "server.log"

_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Lines that mean "a port we picked was taken between picking and binding".
_BIND_FAILURE = re.compile(r"BindException|Address already in use", re.IGNORECASE)


class ArcadeDBServerError(RuntimeError):
    """The ArcadeDB server could not be found, started or reached."""


def find_arcadedb_home() -> Path:
    """Return the directory of the installed ``arcadedb_embedded`` package.

    The package is located with :func:`importlib.util.find_spec`, which does not
    import it. Raises :class:`ArcadeDBServerError` if it is not installed or has
    no bundled ``jars/`` directory.
    """
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError) as exc:  # pragma: no cover - broken installs
        raise ArcadeDBServerError(f"cannot locate {PACKAGE}: {exc}") from exc
    if spec is None or not spec.submodule_search_locations:
        raise ArcadeDBServerError(
            f"the Python package {DISTRIBUTION!r} is not installed (pip install {DISTRIBUTION})"
        )
    home = Path(next(iter(spec.submodule_search_locations)))
    if not (home / "jars").is_dir():
        raise ArcadeDBServerError(f"{PACKAGE} at {home} has no jars/ directory")
    return home


def _find_java(home: Path) -> Path:
    """The ``java`` bundled in ``<home>/jre``, else ``$JAVA_HOME``, else ``PATH``."""
    exe = "java.exe" if os.name == "nt" else "java"
    candidates = [home / "jre" / "bin" / exe]
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / exe)
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ArcadeDBServerError(
        f"no java found: looked in {home / 'jre' / 'bin'}, $JAVA_HOME and PATH"
    )


def arcadedb_available() -> tuple[bool, str]:
    """Tell whether an :class:`ArcadeDBServer` can be started here.

    Returns ``(True, description)`` when ``arcadedb-embedded`` is installed, has
    its jars and a usable ``java`` and the ``neo4j`` driver is importable;
    otherwise ``(False, reason)``, suitable for ``pytest.skip(reason)``.
    Nothing is started.
    """
    try:
        home = find_arcadedb_home()
        java = _find_java(home)
    except ArcadeDBServerError as exc:
        return False, str(exc)
    if importlib.util.find_spec("neo4j") is None:
        return False, "the Python package 'neo4j' (the Bolt driver) is not installed"
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown version"
    return True, f"{DISTRIBUTION} {version} at {home} (java: {java})"


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class ArcadeDBServer:
    """An ArcadeDB server in its own JVM process, with Bolt on 127.0.0.1.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        database: name of the database created at start-up (letters, digits,
            ``_``; it is also Bolt's default database).
        password: the ``root`` password; random if omitted (ArcadeDB wants at
            least 8 characters).
        heap: the JVM's maximum heap (``-Xmx``), e.g. ``"512m"``, ``"1g"``.
        jvm_args: extra JVM options, placed before the system properties.
        properties: extra ArcadeDB settings as ``{"arcadedb.key": value}``;
            they are passed as ``-D`` system properties and override ours.
        keep_files: keep the root directory (and its log) after :meth:`stop`.
    """

    user: str = "root"

    def __init__(
        self,
        database: str = "graphflow",
        *,
        password: str | None = None,
        heap: str = "1g",
        jvm_args: Sequence[str] = (),
        properties: Mapping[str, Any] | None = None,
        keep_files: bool = False,
    ) -> None:
        if not _DB_NAME.match(database):
            raise ValueError(f"invalid ArcadeDB database name: {database!r}")
        if password is not None and len(password) < 8:
            raise ValueError("ArcadeDB requires a root password of 8+ characters")
        self._database = database
        self._password = password or secrets.token_urlsafe(18)
        self._heap = heap
        self._jvm_args = list(jvm_args)
        self._properties = dict(properties or {})
        self._keep_files = keep_files
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._bolt_port: int | None = None
        self._http_port: int | None = None
        self._startup_seconds: float | None = None

    # -- properties -------------------------------------------------------

    @property
    def bolt_uri(self) -> str:
        """``bolt://127.0.0.1:<port>`` (plain Bolt, no routing, no TLS)."""
        return f"bolt://{HOST}:{self._require(self._bolt_port)}"

    @property
    def bolt_port(self) -> int:
        """The Bolt port."""
        return self._require(self._bolt_port)

    @property
    def http_port(self) -> int:
        """The port of ArcadeDB's HTTP API (``/api/v1/...``)."""
        return self._require(self._http_port)

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:<http_port>``."""
        return f"http://{HOST}:{self.http_port}"

    @property
    def password(self) -> str:
        """The ``root`` password."""
        return self._password

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)``, as the neo4j driver's ``auth=`` takes it."""
        return (self.user, self._password)

    @property
    def database(self) -> str:
        """The database created at start-up; pass it as ``database=``."""
        return self._database

    @property
    def root_path(self) -> Path:
        """The server's temporary root directory."""
        return self._require(self._root)

    @property
    def log_path(self) -> Path:
        """The file that receives the JVM's stdout and stderr."""
        return self.root_path / LOG_NAME

    @property
    def pid(self) -> int | None:
        """Process id of the JVM, or ``None`` when not running."""
        return self._process.pid if self.running else None  # type: ignore[union-attr]

    @property
    def running(self) -> bool:
        """Whether the JVM process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def startup_seconds(self) -> float | None:
        """Seconds the last successful :meth:`start` took (launch to first query)."""
        return self._startup_seconds

    def _require(self, value: Any) -> Any:
        if value is None:
            raise ArcadeDBServerError("the ArcadeDB server has not been started")
        return value

    # -- life cycle -------------------------------------------------------

    def start(self, timeout: float = 90.0) -> ArcadeDBServer:
        """Launch the JVM and wait until a Bolt query on :attr:`database` works.

        Retries with new ports (up to three attempts) if a port picked turned out
        to be taken. Raises :class:`ArcadeDBServerError` with the tail of the
        server log if the JVM exits or is not answering after ``timeout``
        seconds; the server is then stopped and its files removed unless
        ``keep_files``. Returns ``self``.
        """
        if self._process is not None:
            raise ArcadeDBServerError("the ArcadeDB server is already started")
        home = find_arcadedb_home()
        java = _find_java(home)
        deadline = time.monotonic() + timeout
        began = time.monotonic()
        self._root = Path(tempfile.mkdtemp(prefix="graphflow-arcadedb-"))
        atexit.register(self.stop)
        try:
            for attempt in range(3):
                self._launch(java, home)
                try:
                    self._wait_ready(deadline)
                    break
                except _PortTaken:
                    self._kill()
                    if attempt == 2:
                        raise ArcadeDBServerError(
                            "ArcadeDB could not bind its ports after 3 attempts\n"
                            + self._log_excerpt()
                        ) from None
        except BaseException:
            self.stop()
            raise
        self._startup_seconds = time.monotonic() - began
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the JVM (SIGTERM, then SIGKILL after ``timeout`` s) and delete
        the root directory (unless ``keep_files``). Safe to call repeatedly."""
        atexit.unregister(self.stop)
        self._kill(timeout)
        if self._root is not None and not self._keep_files:
            shutil.rmtree(self._root, ignore_errors=True)
        if not self._keep_files:
            self._root = None
        self._bolt_port = self._http_port = None

    def __enter__(self) -> ArcadeDBServer:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"bolt={self.bolt_uri}" if self.running else "stopped"
        return f"<ArcadeDBServer database={self._database!r} {state}>"

    # -- helpers ----------------------------------------------------------

    def driver(self, **config: Any) -> neo4j.Driver:
        """A new ``neo4j.Driver`` for :attr:`bolt_uri` with root's credentials.

        The caller closes it. ``config`` goes to ``neo4j.GraphDatabase.driver``.
        """
        import neo4j

        return neo4j.GraphDatabase.driver(self.bolt_uri, auth=self.auth, **config)

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server log ('' if there is none)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return "".join(deque(log, maxlen=lines))
        except (OSError, ArcadeDBServerError):
            return ""

    def command(self, query: str, language: str = "sql", **params: Any) -> Any:
        """Run a command on :attr:`database` through the HTTP API; return its ``result``.

        ``POST /api/v1/command/<database>``; ``language`` is ``sql``, ``sqlscript``,
        ``cypher``, ... For what Bolt cannot do, e.g. the SQL
        ``CREATE INDEX IF NOT EXISTS ON Actor (id) UNIQUE`` or
        ``SELECT FROM schema:indexes``. Raises :class:`ArcadeDBServerError` with the
        server's message on failure.
        """
        body: dict[str, Any] = {"language": language, "command": query}
        if params:
            body["params"] = params
        return self._post(f"/api/v1/command/{self._database}", body).get("result")

    def server_command(self, command: str) -> Any:
        """Run a server command (``POST /api/v1/server``), e.g. ``"create database other"``
        or ``"drop database other"``; return its ``result``."""
        return self._post("/api/v1/server", {"command": command}).get("result")

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        import base64
        import json
        import urllib.error
        import urllib.request

        token = base64.b64encode(f"{self.user}:{self._password}".encode()).decode()
        request = urllib.request.Request(
            self.http_url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return dict(json.load(response))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            raise ArcadeDBServerError(f"ArcadeDB HTTP {exc.code} for {body!r}: {detail}") from exc

    def _command_line(self, java: Path, home: Path) -> list[str]:
        settings: dict[str, Any] = {
            "arcadedb.server.rootPath": self.root_path,
            # from a file, so that the password does not show in `ps`
            "arcadedb.server.rootPasswordPath": self._password_file(),
            "arcadedb.server.defaultDatabases": f"{self._database}[{self.user}]",
            "arcadedb.server.mode": "development",
            "arcadedb.server.httpIncomingHost": HOST,
            "arcadedb.server.httpIncomingPort": self._http_port,
            "arcadedb.server.plugins": BOLT_PLUGIN,
            "arcadedb.bolt.host": HOST,
            "arcadedb.bolt.port": self._bolt_port,
            "arcadedb.bolt.defaultDatabase": self._database,
        }
        settings.update(self._properties)
        jvm = [f"-Xmx{self._heap}"]
        if not any("GC" in arg for arg in self._jvm_args):
            jvm.append("-XX:+UseSerialGC")  # one GC thread: test machines have 2 cores
        return [
            str(java),
            *jvm,
            "-Djava.awt.headless=true",
            "-Dpolyglot.engine.WarnInterpreterOnly=false",
            *self._jvm_args,
            *(f"-D{key}={value}" for key, value in settings.items()),
            "-cp",
            str(home / "jars" / "*"),  # the JVM expands the wildcard
            SERVER_CLASS,
        ]

    def _password_file(self) -> Path:
        path = self.root_path / "root-password.txt"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self._password)
        return path

    def _launch(self, java: Path, home: Path) -> None:
        self._bolt_port = _free_port()
        self._http_port = _free_port()
        while self._http_port == self._bolt_port:  # pragma: no cover - unlikely
            self._http_port = _free_port()
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self._command_line(java, home),
                cwd=self.root_path,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # ^C in the terminal must not reach the JVM
            )

    def _wait_ready(self, deadline: float) -> None:
        import neo4j
        import neo4j.exceptions

        assert self._process is not None
        last_error: Exception | None = None
        while True:
            code = self._process.poll()
            if code is not None:
                tail = self.log_tail(200)
                if _BIND_FAILURE.search(tail):
                    raise _PortTaken
                raise ArcadeDBServerError(
                    f"ArcadeDB exited with code {code} during start-up\n" + self._log_excerpt()
                )
            try:
                with neo4j.GraphDatabase.driver(
                    self.bolt_uri,
                    auth=self.auth,
                    connection_timeout=2.0,
                    max_connection_lifetime=30,
                ) as driver:
                    driver.verify_connectivity()
                    # The default database is created after the Bolt listener
                    # opens, so connectivity alone is not "ready".
                    driver.execute_query("RETURN 1", database_=self._database)
                return
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                last_error = exc
            except OSError as exc:  # pragma: no cover - driver wraps these
                last_error = exc
            if time.monotonic() >= deadline:
                if _BIND_FAILURE.search(self.log_tail(200)):
                    raise _PortTaken
                raise ArcadeDBServerError(
                    f"ArcadeDB did not accept Bolt connections at {self.bolt_uri} "
                    f"in time (last error: {last_error!r})\n" + self._log_excerpt()
                )
            time.sleep(0.25)

    def _log_excerpt(self, lines: int = 40) -> str:
        tail = self.log_tail(lines)
        where = self.log_path if self._root is not None else "(no log)"
        return f"--- last lines of {where} ---\n{tail.rstrip()}\n--- end of log ---"

    def _kill(self, timeout: float = 20.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            except ProcessLookupError:  # pragma: no cover - exited meanwhile
                pass


class _PortTaken(Exception):
    """Internal: the JVM could not bind a port we picked; retry with others."""
