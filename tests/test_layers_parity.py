"""The layered bundled packs give every answer the flat packs gave: route ids, statuses,
reasons and evidence, for every profile and trigger at two dates (tests/parity.py; the golden
file was written from the flat nyc and connecticut packs before they were split into layers; its
nyc entries were rewritten once since, by `python -m tests.parity` after the DCJS rap-sheet hops
gained their 2018 original, a change that touched only the evidence of the routes through them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.parity import PACKS, snapshot

GOLDEN = Path(__file__).parent / "golden_layers" / "flat_routes.json"


def _golden(name: str) -> dict:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return {k.split("|", 1)[1]: v for k, v in data.items() if k.split("|", 1)[0] == name}


@pytest.fixture(scope="module")
def snapshots() -> dict:
    return {name: snapshot(name) for name in PACKS}


def test_nyc_answers_are_unchanged(snapshots):
    flat, now = _golden("nyc"), snapshots["nyc"]
    assert sorted(now) == sorted(flat)
    for key in flat:
        if key == "#flows":
            continue
        assert now[key] == flat[key], key


def test_connecticut_keeps_every_answer(snapshots):
    """Every flat route is there unchanged; the only new routes use flows the flat pack did not
    have (the federal fingerprint chain connecticut now inherits)."""
    flat, now = _golden("connecticut"), snapshots["connecticut"]
    old_flows = set(flat["#flows"])
    assert set(flat) - {"#flows"} <= set(now)
    for key, routes in flat.items():
        if key == "#flows":
            continue
        by_id = {r["id"]: r for r in now[key]}
        for r in routes:
            assert by_id.get(r["id"]) == r, (key, r["id"])
        old = {r["id"] for r in routes}
        for r in now[key]:
            if r["id"] not in old:
                assert {h["flow"] for h in r["hops"]} - old_flows, (key, r["id"])
