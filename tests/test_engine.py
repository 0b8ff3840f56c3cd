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

