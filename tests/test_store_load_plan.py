"""The load's write plan without a server: the rows the statements carry (``wire_rows``,
``fuse_flows``, ``steps``) stand for exactly the rows of ``build_graph``, no more, no fewer,
and bad ``--transaction`` / ``--batch-size`` values are refused before anything connects.
The graph the plan writes is compared with the exported script's in a real Neo4j by
tests/test_neo4j_export.py and tests/test_neo4j_load.py."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.generate import Shape, write_pack
from graphflow.errors import GraphflowError
from graphflow.packs.loader import load_pack
from graphflow.store.load import (
    MAX_BATCH,
    check_batch_size,
    check_transaction,
    fuse_flows,
    steps,
)
from graphflow.store.rows import GraphData, build_graph, to_json


def _rows(data: GraphData) -> Counter:
    """Every row of a GraphData as comparable text, by label set or relationship type."""
    out: Counter = Counter()
    for nb in data.nodes:
        out.update(to_json([list(nb.labels), r]) for r in nb.rows)
    for rb in data.rels:
        out.update(to_json([rb.spec.type, rb.spec.start, rb.spec.end, r]) for r in rb.rows)
    return out


def _expand(pack: str, fused: list[list]) -> Counter:
    """The rows one fused flow row stands for, as build_graph writes them (read from
    rows.py's conventions: every key carries the pack id, SENDS/DELIVERS_TO/CARRIES have no
    other property)."""
    out: Counter = Counter()
    for source, target, flow, node_props, flow_props, items in fused:
        def key(id_: str) -> dict:
            return {"pack": pack, "id": id_}

        out[to_json([["Flow"], {"k": key(flow), "p": node_props}])] += 1
        out[to_json(["SENDS", "Actor", "Flow", {"s": key(source), "t": key(flow),
                                                "k": {"pack": pack}, "p": {}}])] += 1
        out[to_json(["DELIVERS_TO", "Flow", "Actor", {"s": key(flow), "t": key(target),
                                                      "k": {"pack": pack}, "p": {}}])] += 1
        out[to_json(["FLOWS_TO", "Actor", "Actor", {"s": key(source), "t": key(target),
                                                    "k": key(flow), "p": flow_props}])] += 1
        for item in items:
            out[to_json(["CARRIES", "Flow", "DataItem", {"s": key(flow), "t": key(item),
                                                         "k": {"pack": pack}, "p": {}}])] += 1
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> GraphData:
    folder = tmp_path_factory.mktemp("gen4")
    write_pack(Path(folder), Shape(counties=4), seed=3)
    return build_graph(load_pack(str(folder)))


@pytest.mark.parametrize("which", ["nyc", "generated"])
def test_fused_flows_and_the_rest_are_the_rows_of_the_pack(which, nyc, generated) -> None:
    data = build_graph(nyc) if which == "nyc" else generated
    rest, fused, weights = fuse_flows(data)
    flows = sum(len(b.rows) for b in data.nodes if b.labels == ("Flow",))
    assert len(fused) == flows > 0  # every flow of a valid pack takes the one-statement path
    assert _rows(rest) + _expand(data.pack, fused) == _rows(data)
    assert sum(weights) + rest.node_count() + rest.rel_count() == \
        data.node_count() + data.rel_count()
    assert not [b for b in rest.rels if b.spec.type in ("SENDS", "DELIVERS_TO", "FLOWS_TO",
                                                        "CARRIES")]


def test_a_flow_whose_rows_differ_is_not_fused(nyc) -> None:
    data = build_graph(nyc)
    sends = next(b for b in data.rels if b.spec.type == "SENDS")
    odd = sends.rows[0]["t"]["id"]
    sends.rows.append(dict(sends.rows[0]))  # a second SENDS row for that flow
    rest, fused, _ = fuse_flows(data)
    assert odd not in {row[2] for row in fused} and len(fused) == len(nyc.flows) - 1
    assert _rows(rest) + _expand(data.pack, fused) == _rows(data)


def test_steps_cover_every_row_in_batches(generated) -> None:
    total = generated.node_count() + generated.rel_count()
    plan = list(steps(generated, 50))
    assert sum(count for _, _, count, _ in plan) == total
    assert all(0 < len(rows) <= 50 for _, rows, _, _ in plan)
    no_pack = list(steps(generated, 50, pack_node=False))
    assert sum(count for _, _, count, _ in no_pack) == total - 1
    for statement, *_ in plan:  # the pack id is a parameter, not in the rows
        assert "$pack" in statement and "row.k.pack" not in statement


@pytest.mark.parametrize("size", [0, -1, MAX_BATCH + 1, "10"])
def test_bad_batch_sizes(size) -> None:
    with pytest.raises(GraphflowError, match="--batch-size must be at least 1 and at most"):
        check_batch_size(size)  # type: ignore[arg-type]


def test_bad_transaction() -> None:
    with pytest.raises(GraphflowError, match="--transaction must be one of auto, one, batches"):
        check_transaction("two")


def test_the_load_hint_names_a_folder_only_where_the_id_is_not_enough():
    from graphflow.store.load import load_command

    assert load_command("nyc") == "graphflow neo4j load --data nyc"  # bundled: the id finds it
    assert load_command("my-county") == "graphflow neo4j load --data <folder of pack my-county>"
    assert load_command("x", "/tmp/my packs/x") == "graphflow neo4j load --data '/tmp/my packs/x'"
