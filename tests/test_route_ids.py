"""Route ids: 64 bits, one per distinct route, the same for the same flows on every engine."""

from __future__ import annotations

import json
import re

from graphflow.audit import iter_routes, make_query
from graphflow.core.routes import build_route
from graphflow.core.status import StatusEvaluator
from tests.conftest import SEED_DAY


def test_ids_are_64_bit_and_distinct(nyc, nyc_engine):
    query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                       as_of=SEED_DAY, max_hops=12)
    routes = list(iter_routes(nyc, nyc_engine, query))
    assert len(routes) > 20
    assert all(re.fullmatch(r"r-[0-9a-f]{16}", r.id) for r in routes)
    assert len({r.id for r in routes}) == len({r.flows for r in routes}) == len(routes)
    evaluator = StatusEvaluator(nyc, query.facts, query.as_of)
    for r in routes[:20]:  # built alone, a route gets the id it got in the stream
        assert build_route(nyc, evaluator, r.flows).id == r.id


def test_json_carries_the_bumped_version_and_long_ids(run_cli):
    code, out, err = run_cli("routes", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--format", "json", "--limit", "3")
    assert code == 0, err
    data = json.loads(out)
    assert data["version"] == 2
    assert [len(r["id"]) for r in data["routes"]] == [18] * len(data["routes"])
