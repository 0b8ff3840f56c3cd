"""Hop and route statuses as rows of the graph model, for ``neo4j load --with-statuses``.

The store decides no status and walks no route: the caller hands it what the domain core
computed (``graphflow.analysis.statuses.compute``: hops from ``StatusEvaluator``, routes from
``graphflow.audit.run_query`` on the embedded engine, exactly as the command line computes
them), and this module turns those core objects into (:Profile)-[:HOP_STATUS]->(:Flow) and
(:Route) rows. It imports nothing above the core (tests/test_layering.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphflow.core.model import Pack
from graphflow.core.routes import Route
from graphflow.core.status import HopStatus

if TYPE_CHECKING:  # pragma: no cover
    from graphflow.store.rows import _Builder


@dataclass(frozen=True)
class StatusSet:
    """What the domain core says for one profile on one date: every flow's hop status, and
    the routes from each trigger (``routes``: (source, target, route) triples)."""

    profile: str
    as_of: dt.date
    hops: Sequence[HopStatus]
    routes: Sequence[tuple[str, str, Route]]


def add_statuses(b: _Builder, pack: Pack, statuses: Sequence[StatusSet]) -> None:
    """Add (:Profile)-[:HOP_STATUS]->(:Flow) and (:Route) rows for every status set."""
    for item in statuses:
        day, profile = item.as_of.isoformat(), item.profile
        for hop in item.hops:
            b.rel("HOP_STATUS", ("Profile", {"id": profile}), ("Flow", {"id": hop.flow}), {
                "as_of": day, "status": hop.status.value,
                "reasons": [r.text for r in hop.reasons],
                "reasons_json": json.dumps([r.as_dict() for r in hop.reasons],
                                           ensure_ascii=False, default=str),
                "touched_by": hop.touched_by, "missing_facts": hop.missing,
                "evidence_state": hop.evidence.state,
                "last_evidenced": hop.evidence.last_evidenced,
                "evidence_note": hop.evidence.note or None,
            })
        for source, target, route in item.routes:
            key = {"profile": profile, "as_of": day, "id": route.id}
            b.node("Route", {
                **key, "source": source, "target": target,
                "status": route.status.value, "confidence": route.confidence.value,
                "leak": route.is_leak, "leak_kind": route.leak_kind,
                "hops": len(route.flows), "flows": route.flows, "nodes": route.nodes,
                "data": route.data, "touched_by": route.touched_by,
                "missing_facts": route.missing,
                "evidence_state": route.evidence.state,
                "last_evidenced": route.evidence.last_evidenced,
                "evidence_note": route.evidence.note or None,
                "conflicts": list(dict.fromkeys(
                    c for f in route.flows for c in pack.conflicts_on(f))),
            })
            b.rel("FOR_PROFILE", ("Route", key), ("Profile", {"id": profile}))
            for i, (flow_id, hop) in enumerate(zip(route.flows, route.hops, strict=True)):
                b.rel("HOP", ("Route", key), ("Flow", {"id": flow_id}),
                      {"position": i, "status": hop.status.value})
