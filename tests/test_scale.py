"""Scale work: the national pack generator, the fast loader paths, and streaming / counting /
top-k / pruned enumeration agreeing exactly with the full run. No timing assertions."""

from __future__ import annotations

import copy
import datetime as dt
import filecmp
import json
import random
from pathlib import Path

import pytest

from benchmarks.generate import Shape, write_pack
from graphflow.audit import (
    count_routes,
    iter_routes,
    make_query,
    run_query,
    top_routes,
    walk_statuses,
)
from graphflow.core.routes import ORDERS, build_route, sort_key
from graphflow.core.status import Status, StatusEvaluator
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs import yamlio
from graphflow.packs.loader import FILES, check_pack, fast_valid, load_pack
from graphflow.packs.quotes import check_quotes
from graphflow.packs.schema import validator
from tests.conftest import MINI

CASES = [  # (profile, as of): statuses of every kind between them
    ("fare-evasion", dt.date(2018, 6, 1)),
    ("unknown-history", dt.date(2016, 3, 1)),
    ("violent-felony-warrant", dt.date(2022, 1, 1)),
    ("civil-summons", dt.date(2019, 1, 1)),
    (None, dt.date(2018, 6, 1)),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "national"
    write_pack(out, Shape(counties=5), seed=1)
    return out


@pytest.fixture(scope="module")
def gen_pack(generated):
    return load_pack(generated)


@pytest.fixture(scope="module")
def gen_engine(gen_pack):
    return EmbeddedEngine(gen_pack)


def _query(pack, profile, as_of, **kw):
    source = kw.pop("source", pack.default_trigger)
    return make_query(pack, source=source, target=kw.pop("target", pack.default_target),
                      profile=profile, as_of=as_of, **kw)


class RoutesOnly:
    """An engine with only the basic protocol (like a store backend): no walk()."""

    def __init__(self, engine):
        self.name = "routes-only"
        self._engine = engine

    def routes(self, *args, **kwargs):
        return self._engine.routes(*args, **kwargs)


# --- the generator ------------------------------------------------------------------------


def test_generator_is_deterministic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_pack(a, Shape(counties=7), seed=3)
    write_pack(b, Shape(counties=7), seed=3)
    write_pack(c, Shape(counties=7), seed=4)
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == []
    _, mismatch, _ = filecmp.cmpfiles(a, c, names, shallow=False)
    assert mismatch, "a different seed gives a different pack"


def test_generated_pack_validates_with_quotes(generated):
    result = check_pack(generated)
    assert result.errors == [] and result.warnings == []
    pack = result.pack
    assert pack.default_trigger == "c0001-arrest" and "ice" in pack.actors
    assert {"fbi-ngi", "dhs-ident", "ice-lesc", "ncic", "nlets", "s01-chr"} <= set(pack.actors)
    assert any(e.effect == "allows-only-when" for r in pack.rules.values() for e in r.effects)
    problems, counts = check_quotes(pack, [generated])
    assert problems == [] and counts["unchecked"] == 0 and counts["checked"] > 0


def test_generator_scales_and_civic_option(tmp_path):
    write_pack(tmp_path / "x", Shape(counties=20, civic=True), seed=2)
    result = check_pack(tmp_path / "x")
    assert result.errors == []
    assert len(result.pack.actors) >= 20 * 14 and len(result.pack.flows) >= 20 * 60


# --- the fast loader paths ----------------------------------------------------------------


def _yaml_files(*folders: Path) -> list[Path]:
    return [p for f in folders for p in sorted(f.glob("*.yaml"))]


def test_fast_yaml_equals_composer(generated):
    for path in _yaml_files(MINI, generated):
        text = path.read_text()
        fast, slow = yamlio._fast_load(text, path), yamlio._slow_load(text, path)
        assert fast.data == slow.data, path
        assert all(fast.line(k) == n for k, n in slow.lines.items()), path


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2.5, true, yes, null, ~, '', \"x\", 0x1f, 1_000, -1e300, 2017-01-01]\n"
    "c:\n  - {x: 1}\n  -\n    y: |\n      block\n    z: >\n      folded\n  - - n\n    - 'q'\n",
    "d: !!str 5\n", "a: &x {b: 1}\nc: *x\n", "<<: {a: 1}\nb: 2\n", "e: ''\nf:\n",
])
def test_fast_yaml_edge_cases(text):
    path = Path("edge.yaml")
    doc, slow = yamlio.load_yaml_text(text, path), yamlio._slow_load(text, path)
    assert doc.data == slow.data and doc.lines.keys() <= slow.lines.keys()
    assert all(doc.line(k) == n for k, n in slow.lines.items())


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "x: [1\n", "a: 1\n---\nb: 2\n", "a: =\n"])
def test_yaml_errors_are_those_of_the_composer(text):
    path = Path("bad.yaml")
    with pytest.raises(Exception) as fast:
        yamlio.load_yaml_text(text, path)
    with pytest.raises(Exception) as slow:
        yamlio._slow_load(text, path)
    assert str(fast.value) == str(slow.value)


def _mutations(data, rng, n):
    values = [None, True, 0, -1, 1.5, "", "Bad Id", "2017-13", "x", [], {}, ["a"],
              {"fact": "x"}, {"all": []}, "allows-only-when", 10**6]
    paths = []

    def walk(x, pre):
        paths.append(pre)
        items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else ()
        for k, v in items:
            walk(v, (*pre, k))
    walk(data, ())
    for _ in range(n):
        d = copy.deepcopy(data)
        path = rng.choice(paths[1:])
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        roll = rng.random()
        if roll < 0.6:
            parent[path[-1]] = rng.choice(values)
        elif roll < 0.8:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "when", "effect", "is", "in"])] = rng.choice(values)
        yield d


def test_fast_schema_check_never_accepts_an_invalid_document(generated):
    rng = random.Random(7)
    for folder in (MINI, generated):
        for kind, name, _ in FILES:
            path = folder / name
            if not path.is_file():
                continue
            data = yamlio.load_yaml(path).data
            assert fast_valid(kind, data)
            for bad in _mutations(data, rng, 60):
                valid = not any(True for _ in validator(kind).iter_errors(bad))
                assert not fast_valid(kind, bad) or valid, (kind, bad)


# --- routes: streaming, counting, top-k and pruning agree with the full run ----------------


def _packs(gen_pack, gen_engine):
    mini = load_pack(MINI)
    return [(gen_pack, gen_engine, CASES), (mini, EmbeddedEngine(mini), [
        ("clean", dt.date(2017, 3, 1)), ("wanted", dt.date(2017, 3, 1)),
        ("summons", dt.date(2009, 1, 1)), ("unknown", dt.date(2017, 3, 1))])]


def test_streaming_and_count_agree_with_the_full_run(gen_pack, gen_engine):
    seen = set()
    for pack, engine, cases in _packs(gen_pack, gen_engine):
        for profile, as_of in cases:
            full = run_query(pack, engine, _query(pack, profile, as_of))
            streamed = list(iter_routes(pack, engine, _query(pack, profile, as_of)))
            assert sorted(streamed, key=lambda r: r.id) == sorted(full.routes, key=lambda r: r.id)
            assert count_routes(pack, engine, _query(pack, profile, as_of)) == full.summary
            walked = {f: s for f, s in walk_statuses(pack, engine, _query(pack, profile, as_of))}
            assert walked == {r.flows: r.status for r in full.routes}
            seen |= {r.status for r in full.routes}
    assert seen == set(Status), "the cases cover every status"


def test_walked_routes_are_what_build_route_builds(gen_pack, gen_engine):
    """The walker's folded status is the built route's, which is where the information stops
    (the first hop, in path order, that stops it; else the worst hop), and routes built from
    prefixes folded on the search stack equal routes built flow by flow."""
    for profile, as_of in CASES[:2]:
        query = _query(gen_pack, profile, as_of)
        evaluator = StatusEvaluator(gen_pack, query.facts, query.as_of)
        for flows, status in walk_statuses(gen_pack, gen_engine, query):
            route = build_route(gen_pack, evaluator, flows)
            hops = [h.status for h in route.hops]
            first_stop = next((h for h in hops if h in STOPPING), None)
            assert status is route.status is (first_stop or max(
                hops, key=[Status.OPEN, Status.CONDITIONAL].index))
        for route in iter_routes(gen_pack, gen_engine, query):  # prefixes folded on the stack
            assert route == build_route(gen_pack, evaluator, route.flows)


STOPPING = (Status.NOT_TRIGGERED, Status.BLOCKED, Status.INACTIVE)


@pytest.mark.parametrize("statuses", [(Status.OPEN,), (Status.OPEN, Status.CONDITIONAL),
                                      (Status.BLOCKED,), (Status.NOT_TRIGGERED, Status.INACTIVE)])
def test_status_pruning_returns_exactly_the_filtered_routes(gen_pack, gen_engine, statuses):
    for pack, engine, cases in _packs(gen_pack, gen_engine):
        for profile, as_of in cases:
            full = run_query(pack, engine, _query(pack, profile, as_of))
            query = _query(pack, profile, as_of, statuses=statuses)
            pruned = list(iter_routes(pack, engine, query))
            expected = [r for r in full.routes if r.status in statuses]
            assert sorted(pruned, key=lambda r: r.id) == sorted(expected, key=lambda r: r.id)
            counts = count_routes(pack, engine, query)
            assert sum(counts.values()) == len(expected)


@pytest.mark.parametrize("order", ORDERS)
def test_top_k_is_the_head_of_the_sorted_list(gen_pack, gen_engine, order):
    for pack, engine, cases in _packs(gen_pack, gen_engine):
        for profile, as_of in cases:
            for statuses in ((), (Status.OPEN, Status.CONDITIONAL)):
                full = run_query(pack, engine, _query(pack, profile, as_of, order=order,
                                                      statuses=statuses))
                for k in (1, 7, 100, len(full.routes) + 5):
                    query = _query(pack, profile, as_of, order=order, statuses=statuses,
                                   limit=k)
                    assert top_routes(pack, engine, query, k) == full.routes[:k]
                    limited = run_query(pack, engine, query)
                    assert limited.routes == full.routes[:k]
                    assert limited.summary == full.summary
                keys = [sort_key(r, order, pack) for r in full.routes]
                assert keys == sorted(keys)


def test_engines_without_walk_give_the_same_answers(gen_pack, gen_engine):
    basic = RoutesOnly(gen_engine)
    for profile, as_of in CASES[:3]:
        for order in ("ranked", "confidence"):
            query = _query(gen_pack, profile, as_of, order=order)
            full = run_query(gen_pack, gen_engine, query)
            other = run_query(gen_pack, basic, query)
            assert other.routes == full.routes and other.summary == full.summary
            limited = _query(gen_pack, profile, as_of, order=order, limit=9)
            assert run_query(gen_pack, basic, limited).routes == full.routes[:9]
        open_only = _query(gen_pack, profile, as_of, statuses=(Status.OPEN,))
        assert (sorted(r.id for r in iter_routes(gen_pack, basic, open_only))
                == sorted(r.id for r in iter_routes(gen_pack, gen_engine, open_only)))


def test_walk_bounds_match_the_plain_search(gen_pack, gen_engine):
    """Exact lengths and caps partition the full route set; longer bounds only add routes."""
    targets = frozenset(gen_pack.descendants("ice"))
    src = gen_pack.default_trigger
    every = {tuple(r) for r in gen_engine.routes(src, targets, 8)}
    by_length = set()
    for n in range(1, 9):
        part = {f for f, _, _ in gen_engine.walk(src, targets, 8, length=n)}
        assert all(len(f) == n for f in part)
        by_length |= part
    assert by_length == every
    assert {tuple(r) for r in gen_engine.routes(src, targets, 5)} == {
        f for f in every if len(f) <= 5}
    for flows in every:  # simple routes that stop at their first target
        nodes = [gen_pack.flows[flows[0]].source, *(gen_pack.flows[f].target for f in flows)]
        assert len(set(nodes)) == len(nodes) and not targets & set(nodes[:-1])


def test_no_route_and_unknown_source():
    mini = load_pack(MINI)
    engine = EmbeddedEngine(mini)
    assert list(engine.routes("feds-desk", frozenset({"arrest"}), 8)) == []  # no hop out
    assert list(engine.routes("nobody", frozenset({"feds"}), 8)) == []
    assert list(engine.routes("feds", frozenset({"feds"}), 8)) == []  # already there
    query = _query(mini, "clean", dt.date(2017, 3, 1), source="state", target="police")
    assert count_routes(mini, engine, query) == dict.fromkeys(run_query(
        mini, engine, query).summary, 0)
    assert top_routes(mini, engine, query, 5) == []


# --- the command line ---------------------------------------------------------------------


def test_cli_count_and_ranked_limit(run_cli, generated, gen_pack, gen_engine):
    args = ("--data", str(generated), "--profile", "fare-evasion", "--as-of", "2018-06-01")
    code, out, err = run_cli("routes", *args, "--count", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    full = run_query(gen_pack, gen_engine, _query(gen_pack, "fare-evasion",
                                                  dt.date(2018, 6, 1), order="ranked"))
    assert data["summary"] == full.summary and data["total"] == len(full.routes)
    code, out, err = run_cli("routes", *args, "--order", "ranked", "--limit", "5",
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["id"] for r in data["routes"]] == [r.id for r in full.routes[:5]]
    assert data["summary"] == full.summary
    code, out, _ = run_cli("leaks", *args, "--count")
    assert code == 0 and f"{full.summary['open']} open" in out


def _descendants_by_scan(pack, actor_id):
    """The part_of closure computed afresh from the actors (no index)."""
    out, frontier = {actor_id}, {actor_id}
    while frontier:
        frontier = {a.id for a in pack.actors.values()
                    if a.part_of in frontier and a.id not in out}
        out |= frontier
    return out


@pytest.mark.parametrize("which", ["nyc", "generated"])
def test_descendants_index_matches_a_fresh_scan(which, nyc, gen_pack):
    pack = nyc if which == "nyc" else gen_pack
    parents = {a.part_of for a in pack.actors.values() if a.part_of}
    assert parents, "the pack has part_of links to check"
    for actor_id in sorted(parents | {pack.default_target, next(iter(pack.actors))}):
        assert pack.descendants(actor_id) == _descendants_by_scan(pack, actor_id), actor_id
    # a what-if copy shares the actors, so its own index gives the same closure
    copy_ = pack.with_changes(closed_flows=[next(iter(pack.flows))])
    assert copy_.descendants(pack.default_target) == _descendants_by_scan(
        pack, pack.default_target)
