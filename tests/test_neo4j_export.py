"""`graphflow export cypher` and `graphflow export neo4j-csv` give the graph `neo4j load` gives:
the script is run statement by statement into a fresh database, and the CSV files are read
back as neo4j-admin would, and both are compared with a loaded database."""

from __future__ import annotations

import csv
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graphflow.analysis.statuses import graph_with_statuses
from graphflow.cli.export_neo4j import cypher as export_cypher
from graphflow.cli.export_neo4j import neo4j_csv as export_csv
from graphflow.store.load import load_graph, split_script
from graphflow.store.model import NODE_BY_LABEL
from tests import neo4j_server
from tests.conftest import SEED_DAY, TODAY

pytestmark = pytest.mark.neo4j

STATUS_ARGS = ["--with-statuses", "--as-of", "2017-03-01", "--as-of", "2026-11-25"]


@pytest.fixture(scope="module")
def loaded(request, nyc):
    """The NYC pack (with statuses) as `neo4j load` writes it: its dump and counts."""
    db = neo4j_server.database(request, "export")
    load_graph(db.driver, db.name, graph_with_statuses(nyc, [SEED_DAY, TODAY]))
    return neo4j_server.graph_dump(db, "nyc"), db.totals()


def _invoke(command, *args: str) -> str:
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_script_builds_the_same_graph(request, loaded, tmp_path: Path) -> None:
    path = tmp_path / "nyc.cypher"
    _invoke(export_cypher, "--data", "nyc", *STATUS_ARGS, "-o", str(path))
    text = path.read_text(encoding="utf-8")
    assert "$" not in "".join(line.split(" AS row ")[0] for line in text.splitlines()
                              if line.startswith("UNWIND"))
    fresh = neo4j_server.database(request, "export_script")
    for statement in split_script(text):
        fresh.driver.execute_query(statement, database_=fresh.name)
    dump, totals = loaded
    assert fresh.totals() == totals
    assert neo4j_server.graph_dump(fresh, "nyc") == dump
    names = {r["name"] for r in fresh.rows("SHOW CONSTRAINTS YIELD name RETURN name")}
    assert {f"graphflow_{n}_key" for n in ("actor", "flow", "route")} <= names
    # running it again replaces the pack: the same graph, not twice the graph
    for statement in split_script(text):
        fresh.driver.execute_query(statement, database_=fresh.name)
    assert fresh.totals() == totals


_CASTS = {"string": str, "long": int, "double": float,
          "boolean": lambda v: v == "true"}


def _read_csv(folder: Path, delim: str) -> tuple[list[Any], list[Any]]:
    """The CSV files read as neo4j-admin does, in graph_dump's shape."""
    def props(header: list[str], row: list[str], skip: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in zip(header[skip:], row[skip:], strict=True):
            if value == "":
                continue  # an empty field is no property
            key, type_ = name.split(":")
            if type_.endswith("[]"):
                out[key] = value.split(delim)
            else:
                out[key] = _CASTS[type_](value)
        return out

    def freeze(p: dict[str, Any]) -> tuple:
        return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in p.items()
                            if k != "loaded_at"))

    nodes, idents = [], {}
    for path in sorted(folder.glob("nodes-*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for row in reader:
                labels = tuple(sorted(row[1].split(delim)))
                p = props(header, row, 2)
                main = next(label for label in labels if label in NODE_BY_LABEL)
                idents[row[0]] = (main, *(p[k] for k in NODE_BY_LABEL[main].key))
                nodes.append((labels, freeze(p)))
    rels = []
    for path in sorted(folder.glob("relationships-*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for row in reader:
                rels.append((row[2], idents[row[0]], idents[row[1]],
                             freeze(props(header, row, 3))))
    return sorted(nodes), sorted(rels)


def test_csv_files_hold_the_same_graph(loaded, tmp_path: Path) -> None:
    out = _invoke(export_csv, "--data", "nyc", *STATUS_ARGS, "-o", str(tmp_path))
    assert "neo4j-admin database import full" in out
    command = (tmp_path / "import.sh").read_text()
    delim = command.split("--array-delimiter='")[1][0]
    nodes, rels = _read_csv(tmp_path, delim)
    dump, totals = loaded
    assert (len(nodes), len(rels)) == totals
    assert (nodes, rels) == dump
    assert (tmp_path / "constraints.cypher").read_text().count("CREATE CONSTRAINT") == len(
        NODE_BY_LABEL)


def test_neo4j_admin_import_builds_the_same_graph(request, loaded, tmp_path: Path) -> None:
    """The CSV files imported by Neo4j's own `neo4j-admin database import full` (the command
    import.sh holds, run from the fetched jars' org.neo4j.cli.AdminTool) into a new server's
    home: the same nodes, labels, relationships and properties as `neo4j load`, and after
    constraints.cypher graphflow's route engine works on it."""
    from graphflow.audit import make_query, run_query
    from graphflow.engines.embedded import EmbeddedEngine
    from graphflow.packs.loader import load_pack
    from graphflow.store.engine import Neo4jEngine
    from graphflow.store.load import apply_schema
    from tests import neo4j_launcher

    if neo4j_server.target(request).is_arcadedb:
        pytest.skip("neo4j-admin import makes a Neo4j store")
    ok, why = neo4j_launcher.available()
    neo4j_server.require(ok, why)
    folder = tmp_path / "csv"
    _invoke(export_csv, "--data", "nyc", *STATUS_ARGS, "-o", str(folder))
    script = (folder / "import.sh").read_text()
    args = shlex.split(script[script.index("neo4j-admin "):].replace("\\\n", " "))
    assert args[:4] == ["neo4j-admin", "database", "import", "full"]
    home = tmp_path / "home"
    done = neo4j_launcher.neo4j_admin(
        [*args[1:], "--threads=2", "--max-off-heap-memory=256m",
         f"--report-file={tmp_path / 'import.report'}"], home, cwd=folder)
    dump, totals = loaded
    assert f"{totals[0]} nodes" in done.stdout and f"{totals[1]} relationships" in done.stdout
    server = neo4j_launcher.Neo4jServer(heap="512m", home=home).start(timeout=600)
    try:  # a loaded machine can take minutes to start a second JVM
        target = neo4j_server.Target("neo4j", server.uri or "", server.user, server.password,
                                     server.database)
        with target.driver() as driver:
            imported = neo4j_server.Database(target, server.database, driver)
            assert imported.totals() == totals
            assert neo4j_server.graph_dump(imported, "nyc") == dump
            apply_schema(driver, imported.name, folder / "constraints.cypher")
            nyc = load_pack("nyc")
            query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                               as_of=SEED_DAY)
            with Neo4jEngine(driver, imported.settings, nyc) as engine:
                ours = [r.id for r in run_query(nyc, engine, query).routes]
            assert ours and ours == [r.id for r in run_query(nyc, EmbeddedEngine(nyc),
                                                             query).routes]
    finally:
        server.stop()
