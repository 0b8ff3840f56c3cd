"""A throw-away Neo4j Community server (5.26 LTS) for the tests and the benchmarks.

Neo4j's jars come from Maven Central (``pom.xml`` beside this file) into a git-ignored cache,
``.cache/neo4j/`` at the top of the repository (or ``$GRAPHFLOW_NEO4J_CACHE``)::

    .cache/neo4j/5.26.0/jars/*.jar      the server and its dependencies (about 130 MB)
    .cache/neo4j/5.26.0/classes/        Launcher.class, compiled once per Launcher.java

``fetch()`` runs Maven only when the jars are missing, so the first run downloads and later
runs start in a few seconds. ``Neo4jServer`` runs ``Launcher.java`` (an embedded DBMS with only
the Bolt connector, on 127.0.0.1 and a port the OS picks, auth on) in its own JVM, waits for its
ready line and then for a Bolt query to answer, both by polling with a deadline; ``stop()``
closes the JVM's stdin (the launcher shuts the store down cleanly), then SIGTERM, then SIGKILL.
The launcher also stops if this process dies, because its stdin then closes.

Only the standard library is imported at module level.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

NEO4J_VERSION = "5.26.0"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
READY = "GRAPHFLOW-NEO4J-READY"


class Neo4jServerError(RuntimeError):
    """Neo4j could not be fetched, started or reached."""


def cache_dir() -> Path:
    base = os.environ.get("GRAPHFLOW_NEO4J_CACHE")
    return (Path(base) if base else ROOT / ".cache" / "neo4j") / NEO4J_VERSION


def jars_dir() -> Path:
    return cache_dir() / "jars"


def _complete_marker() -> Path:
    return cache_dir() / "jars.complete"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise Neo4jServerError("no java on PATH (Neo4j 5 needs Java 17 or 21)")
    return found


def available() -> tuple[bool, str]:
    """Whether a server can be started without fetching anything (nothing is started)."""
    if not _complete_marker().is_file():
        return False, f"no Neo4j jars in {jars_dir()} (run: python -m tests.neo4j_launcher fetch)"
    try:
        java()
    except Neo4jServerError as exc:
        return False, str(exc)
    return True, f"Neo4j {NEO4J_VERSION} jars in {jars_dir()}"


def fetch(quiet: bool = True) -> Path:
    """The jar folder, fetched with Maven first if it is not complete."""
    jars = jars_dir()
    if _complete_marker().is_file():
        return jars
    mvn = shutil.which("mvn")
    if not mvn:
        raise Neo4jServerError(f"no Neo4j jars in {jars} and no mvn on PATH to fetch them")
    tmp = cache_dir() / "jars.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = [mvn, "-B", "-f", str(HERE / "pom.xml"), f"-Dneo4j.version={NEO4J_VERSION}",
           "dependency:copy-dependencies", f"-DoutputDirectory={tmp}", "-DincludeTypes=jar"]
    if quiet:
        cmd.insert(1, "-q")
    done = subprocess.run(cmd, capture_output=quiet, text=True, timeout=1200, check=False)
    if done.returncode != 0:
        tail = "\n".join(((done.stdout or "") + (done.stderr or "")).splitlines()[-15:])
        raise Neo4jServerError(f"mvn could not fetch Neo4j {NEO4J_VERSION}:\n{tail}")
    shutil.rmtree(jars, ignore_errors=True)
    tmp.rename(jars)
    _complete_marker().write_text(NEO4J_VERSION + "\n", encoding="utf-8")
    return jars


def classpath() -> str:
    """The jars plus the compiled launcher (compiled again only when Launcher.java changes)."""
    jars = fetch()
    source = HERE / "Launcher.java"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    classes = cache_dir() / f"classes-{digest}"
    if not (classes / "Launcher.class").is_file():
        javac = shutil.which("javac") or str(Path(java()).with_name("javac"))
        tmp = Path(tempfile.mkdtemp(prefix="launcher-", dir=cache_dir()))
        done = subprocess.run([javac, "-nowarn", "-d", str(tmp), "-cp", f"{jars}/*", str(source)],
                              capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise Neo4jServerError(f"javac failed on {source}:\n{done.stderr[-2000:]}")
        shutil.rmtree(classes, ignore_errors=True)
        tmp.rename(classes)
    return os.pathsep.join([str(classes), f"{jars}/*"])


def neo4j_admin(args: list[str], home: Path, *, cwd: Path, heap: str = "512m",
                timeout: float = 900.0) -> subprocess.CompletedProcess[str]:
    """Run Neo4j's own ``neo4j-admin`` (``org.neo4j.cli.AdminTool`` from the fetched jars:
    neo4j-command-line, with the import tool's ``database import`` command) with
    ``NEO4J_HOME=home``, in ``cwd``; raises Neo4jServerError with its output's tail if it
    fails."""
    home = Path(os.path.abspath(home))  # Neo4j refuses a home that is not normalised
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, NEO4J_HOME=str(home))
    env.pop("NEO4J_CONF", None)
    done = subprocess.run([java(), f"-Xmx{heap}", "-cp", f"{fetch()}/*", "org.neo4j.cli.AdminTool",
                           *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise Neo4jServerError(f"neo4j-admin {' '.join(args[:3])} failed "
                               f"(exit {done.returncode}):\n{tail}")
    return done


def size_bytes(size: str) -> int:
    """``"256m"``, ``"2g"``, ``"1048576"``: bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = size.strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


class Neo4jServer:
    """One Neo4j in its own JVM: ``start()``, then ``uri``/``user``/``password``; ``stop()``."""

    user = "neo4j"
    database = "neo4j"

    def __init__(self, heap: str = "1g", password: str | None = None,
                 keep_files: bool = False, home: Path | None = None, *,
                 pagecache: str = "256m", server_jvm: bool = False) -> None:
        self.heap = heap
        self.pagecache = pagecache
        self.server_jvm = server_jvm
        """``False``: a quick-starting JVM for the tests (parallel GC, heap grown on demand);
        ``True``: the JVM flags a Neo4j server runs with (``neo4j.conf``'s
        ``server.jvm.additional``: G1, the heap reserved and touched at start, final fields
        trusted), for the benchmarks."""
        self.home = home  # an existing NEO4J_HOME (e.g. after neo4j-admin import), kept
        self.password = password or secrets.token_urlsafe(18)
        self.keep_files = keep_files
        self.uri: str | None = None
        self.agent: str | None = None
        self.startup_seconds: float | None = None
        self.root: Path | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log_path(self) -> Path:
        assert self.root is not None
        return self.root / "launcher.log"

    def start(self, timeout: float = 120.0) -> Neo4jServer:
        if self._process is not None:
            raise Neo4jServerError("already started")
        cp = classpath()
        began = time.monotonic()
        self.root = Path(tempfile.mkdtemp(prefix="graphflow-neo4j-"))
        atexit.register(self.stop)
        env = dict(os.environ, GRAPHFLOW_NEO4J_PASSWORD=self.password,
                   GRAPHFLOW_NEO4J_PAGECACHE=str(size_bytes(self.pagecache)))
        with open(self.log_path, "w", encoding="utf-8") as log:
            self._process = subprocess.Popen(
                [java(), *self.jvm_flags(), "-cp", cp, "Launcher",
                 str(self.home or self.root / "home")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                env=env, cwd=self.root, start_new_session=True)
        try:
            self.uri, self.agent = self._read_ready(time.monotonic() + timeout)
            self._wait_bolt(time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def jvm_flags(self) -> list[str]:
        if not self.server_jvm:
            return [f"-Xmx{self.heap}", "-XX:+UseParallelGC", "-Xss2m"]
        return [f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch",
                "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
                "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC",
                "-Djdk.nio.maxCachedBufferSize=1024", "-Xss2m"]

    def _read_ready(self, deadline: float) -> tuple[str, str]:
        proc = self._process
        assert proc is not None and proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
                    if proc.poll() is not None:
                        break
                    continue
                line = proc.stdout.readline()
                if not line:
                    break
                if line.startswith(READY):
                    _, uri, agent = line.split()
                    return uri, agent
        finally:
            sel.close()
        code = proc.poll()
        what = f"exited with code {code}" if code is not None else "did not get ready in time"
        raise Neo4jServerError(f"the Neo4j launcher {what}\n{self.log_tail()}")

    def _wait_bolt(self, deadline: float) -> None:
        import neo4j

        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with self.driver(connection_timeout=2.0) as drv:
                    drv.execute_query("RETURN 1", database_=self.database)
                return
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
                last = exc
            if self._process is None or self._process.poll() is not None:
                break
            time.sleep(0.2)
        raise Neo4jServerError(f"Neo4j at {self.uri} never answered ({last!r})\n"
                               + self.log_tail())

    def driver(self, **config: Any) -> Any:
        import neo4j

        return neo4j.GraphDatabase.driver(self.uri, auth=(self.user, self.password), **config)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except (OSError, AssertionError):
            return "(no launcher log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        atexit.unregister(self.stop)
        proc, self._process = self._process, None
        if proc is not None and proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()  # the launcher shuts down on end of input
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        if proc is not None and proc.stdout:
            proc.stdout.close()
        if self.root is not None and not self.keep_files:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
