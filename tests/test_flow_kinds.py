"""The flow ``kind`` vocabulary and ``essential`` marks, read from the bundled packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphflow.core.model import FlowKind
from graphflow.packs.loader import load_pack

ROOT = Path(__file__).resolve().parents[1]


def test_schema_enum_is_the_flowkind_vocabulary():
    schema = json.loads((ROOT / "schema" / "flows.schema.json").read_text(encoding="utf-8"))
    enum = schema["properties"]["flows"]["items"]["properties"]["kind"]["enum"]
    assert sorted(enum) == sorted(k.value for k in FlowKind)


@pytest.mark.parametrize("pack_id", ["nyc", "connecticut"])
def test_every_bundled_flow_has_a_kind(pack_id):
    pack = load_pack(pack_id)
    missing = [f.id for f in pack.flows.values() if not f.kind]
    assert missing == []
    assert {f.kind for f in pack.flows.values()} <= {k.value for k in FlowKind}


def test_essential_flows_carry_a_reason():
    pack = load_pack("nyc")
    essential = {f.id: f.essential_reason for f in pack.flows.values() if f.essential}
    assert "arraignment-scheduling" in essential
    assert all(essential.values())
    # the hops that carry information to immigration authorities are never essential
    assert not any(pack.flows[f].target in pack.descendants("ice") for f in essential)


def test_packs_share_kinds_for_comparison():
    nyc, ct = load_pack("nyc"), load_pack("connecticut")
    shared = {f.kind for f in nyc.flows.values()} & {f.kind for f in ct.flows.values()}
    assert {"detainer-hold", "detainer-request", "custody-intake"} <= shared
