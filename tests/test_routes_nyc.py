"""The audit questions of the NYC pack, computed from the data (nothing hard-coded)."""

from __future__ import annotations

from graphflow.core.status import Status
from tests.conftest import SEED_DAY, TODAY, nyc_routes, routes_through

FINGERPRINT = "fbi-prints-to-dhs"
DETAINER = "nypd-detainer-custody-transfer"
DOC_NOTICE = "doc-release-notice-to-ice"
WARRANT = "warrant-check-contacts-ice"
COURTHOUSE = "ice-courthouse-arrest"


def statuses(routes):
    return {r.status for r in routes}


def test_nyc_pack_loads_with_stable_ids(nyc):
    assert nyc.default_trigger == "nypd-arrest" and nyc.default_target == "ice"
    for pid in ("fare-evasion", "prior-removal-order", "violent-felony-warrant",
                "victim-witness", "civil-summons"):
        assert pid in nyc.profiles
    for fid in (FINGERPRINT, DETAINER, DOC_NOTICE, WARRANT, COURTHOUSE):
        assert fid in nyc.flows


def test_fare_evasion_fingerprint_route_is_an_untouched_leak(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion")
    prints = routes_through(report, FINGERPRINT)
    assert prints, "the fingerprint pipeline must reach ICE"
    open_prints = [r for r in prints if r.status is Status.OPEN]
    assert open_prints
    route = min(open_prints, key=lambda r: len(r.flows))
    assert route.nodes[0] == "nypd-arrest" and route.nodes[-1] in nyc.descendants("ice")
    assert "nys-dcjs" in route.nodes  # the state hop the seeds skip
    assert route.leak_kind == "untouched"
    sanctuary = set(nyc.sanctuary_jurisdictions)
    for hop in route.hops:
        for reason in hop.reasons:
            if reason.kind == "rule" and reason.jurisdiction in sanctuary:
                assert reason.effect == "does-not-touch", (hop.flow, reason.rule)
    assert "fingerprints" in {d for f in route.flows for d in nyc.flows[f].data}


def test_fare_evasion_detainer_and_doc_routes_are_blocked(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion")
    for flow in (DETAINER, DOC_NOTICE):
        found = routes_through(report, flow)
        assert found, flow
        assert statuses(found) == {Status.BLOCKED}, flow
        hop = next(h for h in found[0].hops if h.flow == flow)
        assert hop.status is Status.BLOCKED
        blocking = [r for r in hop.reasons if r.status is Status.BLOCKED and r.kind == "rule"]
        assert blocking and all(r.facts for r in blocking)  # names the deciding facts


def test_prior_removal_order_warrant_check_is_open(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "prior-removal-order")
    found = routes_through(report, WARRANT)
    assert Status.OPEN in statuses(found)
    # and the same route does not fire for someone with no removal order
    other = routes_through(nyc_routes(nyc, nyc_engine, "fare-evasion"), WARRANT)
    assert Status.OPEN not in statuses(other)


def test_violent_felony_with_warrant_detainer_route_is_open(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "violent-felony-warrant")
    found = routes_through(report, DETAINER)
    assert Status.OPEN in statuses(found)
    route = next(r for r in found if r.status is Status.OPEN)
    assert route.leak_kind == "conditions-met"


def test_civil_summons_fingerprint_route_not_triggered(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "civil-summons")
    found = routes_through(report, FINGERPRINT)
    assert found and statuses(found) == {Status.NOT_TRIGGERED}
    assert report.summary["open"] == 0


def test_victim_witness_no_route_carries_immigration_status(nyc, nyc_engine):
    carriers = [f.id for f in nyc.flows.values() if "immigration-status" in f.data]
    assert carriers, "the pack must model where immigration status could move"
    events = [a.id for a in nyc.actors.values() if a.kind == "event"]
    seen_status_routes = 0
    for event in events:
        report = nyc_routes(nyc, nyc_engine, "victim-witness", source=event)
        for r in report.routes:
            if any("immigration-status" in nyc.flows[f].data for f in r.flows):
                seen_status_routes += 1
                assert r.status not in (Status.OPEN, Status.CONDITIONAL), r.id
    assert seen_status_routes > 0, "some route carrying status exists and is closed"


def test_date_matters_for_courthouse_route(nyc, nyc_engine):
    then = routes_through(nyc_routes(nyc, nyc_engine, "fare-evasion", SEED_DAY), COURTHOUSE)
    now = routes_through(nyc_routes(nyc, nyc_engine, "fare-evasion", TODAY), COURTHOUSE)
    assert then and now
    by_id_then = {r.id: r.status for r in then}
    changed = [r for r in now if by_id_then.get(r.id) not in (None, r.status)]
    assert changed, "a later courthouse rule must change a route's status"
    hop_now = next(h for h in changed[0].hops if h.flow == COURTHOUSE)
    assert hop_now.status is Status.BLOCKED
    rules_now = {r.rule for r in hop_now.reasons if r.kind == "rule"}
    assert rules_now and all(nyc.rules[r].starts > SEED_DAY for r in rules_now)


def test_unknown_facts_give_conditional_and_name_the_fact(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, None, sets=["arrest-type=custodial-arrest"])
    found = routes_through(report, DETAINER)
    cond = [r for r in found if r.status is Status.CONDITIONAL]
    assert cond
    missing = set(cond[0].missing)
    assert "judicial-warrant" in missing or "detainer-lodged" in missing


def test_routes_stop_at_the_first_target_unit(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", max_hops=10)
    targets = nyc.descendants("ice")
    for r in report.routes:
        assert r.nodes[-1] in targets
        assert not set(r.nodes[:-1]) & targets
        assert len(set(r.nodes)) == len(r.nodes)


def test_max_hops_bounds_routes(nyc, nyc_engine):
    short = nyc_routes(nyc, nyc_engine, "fare-evasion", max_hops=3)
    full = nyc_routes(nyc, nyc_engine, "fare-evasion", max_hops=8)
    assert all(len(r.flows) <= 3 for r in short.routes)
    assert {r.id for r in short.routes} < {r.id for r in full.routes}


def test_confidence_is_the_weakest_hop(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion")
    for r in report.routes:
        assert r.confidence.rank == min(nyc.flows[f].confidence.rank for f in r.flows)


def test_practice_leak_is_flagged_but_status_stays_the_rules(nyc, nyc_engine):
    practiced = [f.id for f in nyc.flows.values() if f.practice]
    assert practiced and all(nyc.flows[f].practice_citations for f in practiced)
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", sets=["in-doc-custody=true"])
    leaks = [r for r in report.routes if r.practice_leak]
    assert leaks
    for r in leaks:
        assert r.status is Status.BLOCKED  # the rule's verdict is not overridden
        closed = [h for h in r.hops if h.status is not Status.OPEN]
        assert closed and all(h.flow in practiced and h.practice_reported for h in closed)
    # with custody unknown the remand hop is conditional and has no reported practice
    unknown = nyc_routes(nyc, nyc_engine, "fare-evasion")
    assert not any(r.practice_leak for r in unknown.routes)
