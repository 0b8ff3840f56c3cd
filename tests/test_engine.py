"""The embedded engine and the evaluator: what they leave behind in the process."""

from __future__ import annotations

import gc
import weakref

from graphflow.core.status import StatusEvaluator
from tests.conftest import SEED_DAY


def test_a_finished_evaluator_is_freed_without_the_cyclic_gc(nyc):
    """Hop statuses point to no evaluator: dropping the evaluator frees it and its cached
    statuses by reference counting alone (a cycle would keep them until a full collection)."""
    facts = dict(nyc.profiles["prior-removal-order"].facts)
    enabled = gc.isenabled()
    gc.disable()
    try:
        evaluator = StatusEvaluator(nyc, facts, SEED_DAY)
        hops = [evaluator.hop(f) for f in nyc.flows]
        assert any(h.evidence.state != "current" for h in hops)  # evidence was computed
        ref, hop_ref = weakref.ref(evaluator), weakref.ref(hops[0])
        del evaluator, hops
        assert ref() is None and hop_ref() is None
    finally:
        if enabled:
            gc.enable()



def test_the_library_changes_no_interpreter_state_unless_tuned():
    """A fresh process: loading a pack and running a query leave the GC as they found it and
    cache nothing; with graphflow.tuning on (what the CLI's main() does) the pack is frozen
    out of the collector's sight and cached, at most CACHE_SIZE packs."""
    import json
    import subprocess
    import sys

    code = """
import datetime as dt, gc, json
from graphflow import tuning
from graphflow.audit import make_query, open_engine, run_query
from graphflow.packs import loader
out = {}
pack = loader.load_pack("nyc")
with open_engine("embedded", pack) as engine:
    run_query(pack, engine, make_query(pack, source=None, target=None,
                                       as_of=dt.date(2017, 3, 1)))
out["plain"] = [gc.isenabled(), gc.get_freeze_count(), len(loader._CACHE),
                loader.load_pack("nyc") is pack]
tuning.enable()
pack = loader.load_pack("nyc")
out["tuned"] = [gc.isenabled(), gc.get_freeze_count() > 0, len(loader._CACHE),
                loader.load_pack("nyc") is pack, tuning.CACHE_SIZE]
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    out = json.loads(done.stdout)
    assert out["plain"] == [True, 0, 0, False]
    assert out["tuned"][:4] == [True, True, 1, True] and out["tuned"][4] >= 1


def test_each_actors_flows_are_found_where_the_run_starts_say(nyc):
    """The engine's flat adjacency: for every actor of the NYC pack, the flows out of it and
    into it (read through _out_at/_out_order and _in_at/_in_order) are exactly the pack's, in
    pack order; computed from the pack's flows, not from the engine."""
    from graphflow.engines.embedded import EmbeddedEngine

    engine = EmbeddedEngine(nyc)
    ids = engine._fids
    for actor, i in engine._index.items():
        out = [ids[k] for k in engine._out_order[engine._out_at[i]:engine._out_at[i + 1]]]
        into = [ids[k] for k in engine._in_order[engine._in_at[i]:engine._in_at[i + 1]]]
        assert out == [f.id for f in nyc.flows.values() if f.source == actor], actor
        assert into == [f.id for f in nyc.flows.values() if f.target == actor], actor
    assert len(engine._out_at) == len(engine._in_at) == engine._nodes + 1
