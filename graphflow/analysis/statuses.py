"""The statuses ``graphflow neo4j load --with-statuses`` stores, computed by the domain core.

Hop statuses come from ``StatusEvaluator`` and routes from ``graphflow.audit.run_query`` on the
embedded engine, exactly as ``graphflow routes`` computes them; the store
(``graphflow.store.statuses``) only writes them as rows. Routes start at every trigger
(`kind: event` actor, else the pack's default trigger) and end at the pack's default target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from graphflow.audit import RouteQuery, run_query
from graphflow.core.model import Pack
from graphflow.core.status import StatusEvaluator
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.store.rows import GraphData, build_graph
from graphflow.store.statuses import StatusSet


def triggers(pack: Pack) -> list[str]:
    """Route starts for stored statuses: every `kind: event` actor, else the default trigger."""
    events = [a.id for a in pack.actors.values() if a.kind == "event"]
    return events or [pack.default_trigger]


def compute(pack: Pack, dates: Sequence[dt.date], max_hops: int) -> list[StatusSet]:
    """Every profile's hop statuses and routes (from every trigger) on every date."""
    engine = EmbeddedEngine(pack)
    target = pack.default_target
    sources = [s for s in triggers(pack)
               if s != target and s not in pack.descendants(target)]
    out = []
    for as_of in sorted(set(dates)):
        for profile in pack.profiles.values():
            facts = {k: v for k, v in profile.facts.items() if v is not None}
            evaluator = StatusEvaluator(pack, facts, as_of)
            hops = [evaluator.hop(flow_id) for flow_id in pack.flows]
            routes = []
            for source in sources:
                query = RouteQuery(source=source, target=target, profile=profile.id,
                                   facts=facts, as_of=as_of, max_hops=max_hops)
                routes += [(source, target, r) for r in run_query(pack, engine, query).routes]
            out.append(StatusSet(profile.id, as_of, hops, routes))
    return out


def graph_with_statuses(pack: Pack, dates: Sequence[dt.date] = (), max_hops: int = 8,
                        loaded_at: str | None = None) -> GraphData:
    """The rows ``neo4j load`` writes: the pack, and its statuses on ``dates`` if any."""
    return build_graph(pack, statuses=compute(pack, dates, max_hops) if dates else (),
                       max_hops=max_hops, loaded_at=loaded_at)
