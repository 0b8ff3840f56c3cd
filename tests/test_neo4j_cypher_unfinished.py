"""`graphflow cypher` and a pack whose batched load or drop has not finished: one warning line
per such pack on stderr, the query still runs and its rows on stdout are what the database
holds (the researcher may be looking at the broken pack on purpose).

The unfinished markers are made the real way: a batched load or drop interrupted half-way
(an exception from its progress callback, between two committed transactions)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from graphflow.packs.loader import load_pack
from graphflow.store.load import drop_pack, load_graph, replace_in_batches
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.conftest import MINI

pytestmark = pytest.mark.neo4j

ACTORS = "MATCH (a:Actor {pack: $pack}) RETURN a.id AS id, a.name AS name ORDER BY id"


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def db(request, nyc):
    db = neo4j_server.database(request, "cypher_unfinished")
    load_graph(db.driver, db.name, build_graph(nyc))
    return db


@pytest.fixture()
def cli(db, run_cli, monkeypatch):
    neo4j_server.use_env(monkeypatch, db)
    load_graph(db.driver, db.name, build_graph(load_pack(str(MINI))))  # mini whole again
    return run_cli


def _marker(db, pack: str = "mini") -> dict:
    return db.value("MATCH (p:Pack {pack: $pack, id: $pack}) RETURN properties(p)", pack=pack)


def _interrupt_load(db) -> dict:
    def half_way(done: int, total: int, what: str) -> None:
        if done > total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        replace_in_batches(db.driver, db.name, build_graph(load_pack(str(MINI))),
                           batch_size=2, progress=half_way)
    node = _marker(db)
    assert node["state"] == "loading" and node["load_started_at"]
    return node


def _interrupt_drop(db) -> dict:
    def in_actors(done: int, total: int, what: str) -> None:
        if what.startswith("deleting old Actor"):
            raise Interrupted

    with pytest.raises(Interrupted):
        drop_pack(db.driver, db.name, "mini", transaction="batches", batch_size=1,
                  progress=in_actors)
    node = _marker(db)
    assert node["state"] == "dropping" and node["load_started_at"]
    return node


def _cypher(cli, *args: str) -> tuple[str, str]:
    code, out, err = cli("cypher", *args)
    assert code == 0, err
    assert "Traceback" not in err
    return out, err


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("graphflow: warning: pack ")]


def test_a_complete_pack_gets_no_warning(db, cli) -> None:
    out, err = _cypher(cli, ACTORS, "--param", "pack=mini", "--format", "json")
    assert json.loads(out) == db.rows(ACTORS, pack="mini") != []
    assert "warning" not in err and "being" not in err


def test_an_interrupted_load_is_a_warning_and_the_query_still_runs(db, cli) -> None:
    node = _interrupt_load(db)
    half = db.rows(ACTORS, pack="mini")  # what the database holds now, read directly
    out, err = _cypher(cli, ACTORS, "--param", "pack=mini", "--format", "json")
    assert json.loads(out) == half  # stdout is the data, unchanged, and only the data
    (line,) = _warnings(err)  # one line, about mini only (nyc is complete)
    assert line == ("graphflow: warning: pack 'mini' is being loaded, or its load was "
                    "interrupted (a batched load started at "
                    f"{node['load_started_at']} has not finished); results about it may be "
                    "incomplete: wait for it, or run again: graphflow neo4j load --data "
                    "<folder of pack mini>")  # mini is no bundled pack: its id finds no folder
    # CSV and a query about another pack: the data stays clean, the warning is still given
    out, err = _cypher(cli, ACTORS, "--param", "pack=nyc", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == [{k: v or "" for k, v in r.items()} for r in db.rows(ACTORS, pack="nyc")]
    assert _warnings(err) == [line] and "warning" not in out
    # a rerun of the load finishes the pack: the warning goes
    load_graph(db.driver, db.name, build_graph(load_pack(str(MINI))))
    _, err = _cypher(cli, ACTORS, "--param", "pack=mini")
    assert _warnings(err) == []


def test_an_interrupted_drop_has_the_drop_wording(db, cli) -> None:
    node = _interrupt_drop(db)
    query = "MATCH (p:Pack) RETURN p.id AS id, p.state AS state ORDER BY id"
    out, err = _cypher(cli, query, "--format", "json")
    assert json.loads(out) == db.rows(query)
    assert {"id": "mini", "state": "dropping"} in json.loads(out)
    assert _warnings(err) == [
        "graphflow: warning: pack 'mini' is being dropped, or its drop was interrupted "
        f"(started at {node['load_started_at']}); results about it may be incomplete: wait "
        "for it, or run again: graphflow neo4j drop --pack mini --yes"]


def test_one_line_per_unfinished_pack(db, cli, nyc) -> None:
    _interrupt_load(db)

    def stop_nyc(done: int, total: int, what: str) -> None:
        if done > total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        replace_in_batches(db.driver, db.name, build_graph(nyc), batch_size=50,
                           progress=stop_nyc)
    try:
        out, err = _cypher(cli, "MATCH (p:Pack) RETURN count(p) AS packs", "--format", "json")
        assert json.loads(out) == [{"packs": 2}]
        got = _warnings(err)
        assert len(got) == 2 and "pack 'mini' is being loaded" in got[0]
        assert "pack 'nyc' is being loaded" in got[1] and got[1].endswith("--data nyc")
    finally:
        load_graph(db.driver, db.name, build_graph(nyc))
