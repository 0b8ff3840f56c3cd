"""The Neo4j engine gives exactly the embedded engine's routes, statuses and reasons: for every
NYC profile at two dates, through the library and through the command line, and for every
profile of a generated 5-county pack (benchmarks.generate) at two dates, from every trigger."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from graphflow.audit import make_query, run_query
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.errors import GraphflowError
from graphflow.packs.loader import load_pack
from graphflow.store.engine import Neo4jEngine
from graphflow.store.load import load_graph
from graphflow.store.rows import build_graph
from tests import neo4j_server
from tests.conftest import MINI, SEED_DAY, TODAY

pytestmark = pytest.mark.neo4j

DATES = (SEED_DAY, TODAY)


@pytest.fixture(scope="module")
def db(request, nyc):
    return neo4j_server.loaded(request, "parity", nyc)


@pytest.fixture(scope="module")
def engine(db, nyc):
    with Neo4jEngine(db.driver, db.settings, nyc) as eng:
        yield eng


def _profiles(nyc) -> list[str | None]:
    return [None, *nyc.profiles]


def _shape(report) -> list[tuple]:
    return [
        (r.id, r.flows, r.nodes, r.status.value, r.confidence.value,
         tuple((h.flow, h.status.value, tuple(tuple(sorted(x.as_dict().items(), key=str))
                                              for x in h.reasons)) for h in r.hops))
        for r in report.routes
    ]


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_every_profile_same_routes_statuses_reasons(nyc, nyc_engine, engine, as_of) -> None:
    triggers = [a.id for a in nyc.actors.values() if a.kind == "event"]
    checked = 0
    for profile in _profiles(nyc):
        for source in triggers:
            query = make_query(nyc, source=source, target="ice", profile=profile, as_of=as_of)
            ours = run_query(nyc, engine, query)
            theirs = run_query(nyc, nyc_engine, query)
            assert ours.engine == "neo4j" and theirs.engine == "embedded"
            assert _shape(ours) == _shape(theirs), (profile, source, as_of)
            assert ours.summary == theirs.summary
            checked += len(ours.routes)
    assert checked > 0


def test_status_filters_and_limits_match(nyc, nyc_engine, engine) -> None:
    from graphflow.core.status import Status

    for statuses in ((Status.OPEN,), (Status.OPEN, Status.CONDITIONAL), (Status.BLOCKED,)):
        for limit in (None, 3):
            query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                               as_of=SEED_DAY, statuses=statuses, limit=limit)
            assert _shape(run_query(nyc, engine, query)) == \
                _shape(run_query(nyc, nyc_engine, query))


def test_raw_routes_match_for_other_bounds_and_targets(nyc, nyc_engine, engine) -> None:
    for source, target, hops in (("nypd-arrest", "ice", 3), ("nypd-arrest", "ice", 12),
                                 ("nypd-arrest", "nys-dcjs", 8), ("police-contact", "ice", 8),
                                 ("ice", "ice", 8), ("nypd-arrest", "nypd-arrest", 4)):
        targets = frozenset(nyc.descendants(target))
        ours = sorted(engine.routes(source, targets, hops))
        theirs = sorted(nyc_engine.routes(source, targets, hops))
        assert ours == theirs, (source, target, hops)
    allowed = sorted(engine.routes("nypd-arrest", frozenset(nyc.descendants("ice")), 8,
                                   allow=lambda f: f != "fbi-prints-to-dhs"))
    assert allowed == sorted(nyc_engine.routes("nypd-arrest", frozenset(nyc.descendants("ice")),
                                               8, allow=lambda f: f != "fbi-prints-to-dhs"))


@pytest.mark.parametrize("command", ["routes", "leaks"])
@pytest.mark.parametrize("as_of", ["2017-03-01", "2026-11-25"])
def test_cli_backends_agree(db, nyc, run_cli, monkeypatch, command, as_of) -> None:
    neo4j_server.use_env(monkeypatch, db)
    for profile in nyc.profiles:
        outputs = []
        for backend in ("embedded", "neo4j"):
            code, out, err = run_cli(command, "--profile", profile, "--as-of", as_of,
                                     "--backend", backend, "--format", "json")
            assert code == 0, err
            data = json.loads(out)
            assert data["query"].pop("engine") == backend
            outputs.append(data)
        assert outputs[0] == outputs[1], (command, profile, as_of)


def test_engine_refuses_a_pack_that_is_not_loaded_or_differs(db, mini_copy) -> None:
    mini = load_pack(str(MINI))
    with pytest.raises(GraphflowError, match="pack 'mini' is not loaded.*graphflow neo4j load"):
        Neo4jEngine(db.driver, db.settings, mini)
    load_graph(db.driver, db.name, build_graph(mini))
    Neo4jEngine(db.driver, db.settings, mini)  # loaded: fine
    flows = mini_copy / "flows.yaml"
    flows.write_text(flows.read_text().replace("to: feds\n", "to: state\n"))
    changed = load_pack(str(mini_copy))
    with pytest.raises(GraphflowError, match="other actors or flows than the pack files"):
        Neo4jEngine(db.driver, db.settings, changed)


def test_cli_backend_errors_are_one_line(db, run_cli, monkeypatch) -> None:
    neo4j_server.use_env(monkeypatch, db, NEO4J_DATABASE="nosuchdb")
    code, _, err = run_cli("routes", "--backend", "neo4j", "--profile", "fare-evasion")
    assert code == 1 and err.count("\n") == 1
    assert "database 'nosuchdb' does not exist" in err


@pytest.mark.parametrize("command", ["cut", "exposure", "timeline"])
def test_analysis_commands_agree(db, run_cli, monkeypatch, command) -> None:
    neo4j_server.use_env(monkeypatch, db)
    args = [command, "--profile", "fare-evasion", "--format", "json"]
    if command != "timeline":
        args += ["--as-of", "2017-03-01"]
    outputs = []
    for backend in ("embedded", "neo4j"):
        code, out, err = run_cli(*args, "--backend", backend)
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1], command


# -- a generated pack: many actors per kind, parallel flows, long routes ------------------------


@pytest.fixture(scope="module")
def generated(db, tmp_path_factory):
    return neo4j_server.load_generated(db, tmp_path_factory.mktemp("gen5"))


@pytest.mark.parametrize("as_of", ["2014-06-01", "2024-06-01"])
def test_generated_pack_every_profile_and_trigger_agrees(db, generated, as_of) -> None:
    pack = generated
    triggers = sorted(a.id for a in pack.actors.values() if a.kind == "event")
    assert len(triggers) >= 5 and len(pack.profiles) >= 3
    embedded = EmbeddedEngine(pack)
    checked = set()
    with Neo4jEngine(db.driver, db.settings, pack) as store:
        for profile in [None, *pack.profiles]:
            for source in triggers:
                query = make_query(pack, source=source, target=pack.default_target,
                                   profile=profile, as_of=dt.date.fromisoformat(as_of))
                ours, theirs = run_query(pack, store, query), run_query(pack, embedded, query)
                assert _shape(ours) == _shape(theirs), (profile, source, as_of)
                assert ours.summary == theirs.summary
                checked.update(r.status.value for r in ours.routes)
    assert len(checked) >= 2  # more than one status among the routes compared


def test_generated_pack_raw_routes_in_the_same_order(db, generated) -> None:
    pack = generated
    embedded = EmbeddedEngine(pack)
    targets = frozenset(pack.descendants(pack.default_target))
    with Neo4jEngine(db.driver, db.settings, pack) as store:
        for hops in (1, 2, 5, 8, 10):
            ours = list(store.routes(pack.default_trigger, targets, hops))
            assert ours == list(embedded.routes(pack.default_trigger, targets, hops)), hops
            assert all(len(r) <= hops for r in ours)
        assert len(ours) > 100  # long routes, many of them, at 10 hops
        # the fetched sub-graph holds only flows out of actors a route can pass through
        sub = store.fetch(pack.default_trigger, targets, 8)
        assert 0 < len(sub.flows) < len(pack.flows)
        assert not {f.source for f in sub.flows.values()} & targets
        for fid, f in sub.flows.items():
            assert (pack.flows[fid].source, pack.flows[fid].target) == f
