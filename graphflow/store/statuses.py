"""Hop and route statuses for ``neo4j load --with-statuses``, computed by the domain core.

Nothing here decides a status: hops come from ``StatusEvaluator`` and routes from
``graphflow.audit.run_query`` on the embedded engine, exactly as the command line computes
them. This module only turns them into rows of the graph model.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from graphflow.audit import RouteQuery, run_query
from graphflow.core.model import Pack
from graphflow.core.status import StatusEvaluator
from graphflow.engines.embedded import EmbeddedEngine

if TYPE_CHECKING:  # pragma: no cover
    from graphflow.store.rows import _Builder


def triggers(pack: Pack) -> list[str]:
    """Route starts for stored statuses: every `kind: event` actor, else the default trigger."""
    events = [a.id for a in pack.actors.values() if a.kind == "event"]
    return events or [pack.default_trigger]


def add_statuses(b: _Builder, pack: Pack, dates: Sequence[dt.date], max_hops: int) -> None:
    """Add (:Profile)-[:HOP_STATUS]->(:Flow) and (:Route) rows for every profile and date."""
    engine = EmbeddedEngine(pack)
    target = pack.default_target
    for as_of in sorted(set(dates)):
        day = as_of.isoformat()
        for profile in pack.profiles.values():
            facts = {k: v for k, v in profile.facts.items() if v is not None}
            evaluator = StatusEvaluator(pack, facts, as_of)
            for flow_id in pack.flows:
                hop = evaluator.hop(flow_id)
                b.rel("HOP_STATUS", ("Profile", {"id": profile.id}), ("Flow", {"id": flow_id}), {
                    "as_of": day, "status": hop.status.value,
                    "reasons": [r.text for r in hop.reasons],
                    "reasons_json": json.dumps([r.as_dict() for r in hop.reasons],
                                               ensure_ascii=False, default=str),
                    "touched_by": hop.touched_by, "missing_facts": hop.missing,
                    "evidence_state": hop.evidence.state,
                    "last_evidenced": hop.evidence.last_evidenced,
                    "evidence_note": hop.evidence.note or None,
                })
            for source in triggers(pack):
                if source == target or source in pack.descendants(target):
                    continue
                query = RouteQuery(source=source, target=target, profile=profile.id,
                                   facts=facts, as_of=as_of, max_hops=max_hops)
                for route in run_query(pack, engine, query).routes:
                    key = {"profile": profile.id, "as_of": day, "id": route.id}
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
                    b.rel("FOR_PROFILE", ("Route", key), ("Profile", {"id": profile.id}))
                    for i, (flow_id, hop) in enumerate(zip(route.flows, route.hops,
                                                           strict=True)):
                        b.rel("HOP", ("Route", key), ("Flow", {"id": flow_id}),
                              {"position": i, "status": hop.status.value})
