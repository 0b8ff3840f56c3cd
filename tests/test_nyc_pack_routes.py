"""Routes that start after the arrest (dispositions, probation) and the 2025 Rikers order, with
their rules' statuses before, in 2017 and today. Expected values come from the pack's own rules and
flows (dates, conditions), not from copies of the engine's output."""

from __future__ import annotations

import datetime as dt

import pytest

from graphflow.core.status import StatusEvaluator
from tests.conftest import SEED_DAY, nyc_routes, routes_through

QUERY_DAY = dt.date(2026, 12, 1)
BEFORE_PROBATION_LAW = dt.date(2016, 6, 1)


def _rule_reasons(route, rule_id):
    return [r for h in route.hops for r in h.reasons if r.rule == rule_id]


def test_conviction_reaches_ice_through_the_state_record_and_the_fbi_index(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", SEED_DAY, source="court-conviction")
    chain = ["conviction-recorded-at-dcjs", "dcjs-criminal-history-to-iii", "ice-queries-iii"]
    found = [r for r in report.routes if list(r.flows) == chain]
    assert len(found) == 1
    route = found[0]
    assert nyc.actors[route.nodes[-1]].part_of == "ice"
    assert "criminal-history" in route.data
    # no rule restricts these hops: the route is open on both dates
    for day in (SEED_DAY, QUERY_DAY):
        again = nyc_routes(nyc, nyc_engine, "fare-evasion", day, source="court-conviction")
        (same,) = [r for r in again.routes if list(r.flows) == chain]
        assert same.status.value == "open"
    # its weakest hop rests on a lead, so it cannot claim more than "alleged"
    assert route.confidence.value == "alleged"


def test_clean_slate_is_on_the_disposition_route_today_and_does_not_stop_it(nyc, nyc_engine):
    rule = nyc.rules["nys-clean-slate-act-2023"]
    assert not rule.in_force_on(SEED_DAY) and rule.in_force_on(QUERY_DAY)
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", QUERY_DAY, source="court-conviction")
    (route,) = routes_through(report, "dcjs-criminal-history-to-iii")
    reasons = _rule_reasons(route, rule.id)
    assert reasons and all(r.status is None for r in reasons)  # does-not-touch: reason only
    assert route.status.value == "open"


def test_one_day_act_conditions_the_consequence_not_the_record(nyc, nyc_engine):
    rule = nyc.rules["nys-one-day-act-2019"]
    assert [e.effect for e in rule.effects] == ["does-not-touch"]
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", QUERY_DAY, source="court-conviction")
    (route,) = routes_through(report, "dcjs-criminal-history-to-iii")
    today = _rule_reasons(route, rule.id)
    assert today and all(r.kind != "rule-not-in-force" and r.status is None for r in today)
    early = nyc_routes(nyc, nyc_engine, "fare-evasion", SEED_DAY, source="court-conviction")
    (route,) = routes_through(early, "dcjs-criminal-history-to-iii")
    assert all(r.kind == "rule-not-in-force" for r in _rule_reasons(route, rule.id))
    assert route.status.value == "open"  # a route with no restricting rule, before and after


ORDER = ("open", "conditional", "not-triggered", "blocked")  # least to most restrictive


def _outcome(cond, facts, day=None, named=None) -> str:
    """true / false / unknown for a condition, from the profile's facts (unknown if a fact is
    missing), evaluated here from the condition's own structure (a named condition is looked
    up in the pack; ``within`` is taken back from ``day`` by whole years)."""
    if "condition" in cond:
        return _outcome(named[cond["condition"]].when, facts, day, named)
    if "fact" in cond:
        value = facts.get(cond["fact"])
        if value is None:
            return "unknown"
        if "within" in cond:
            if value == "none":
                return "false"
            when = dt.date.fromisoformat(str(value))
            years = cond["within"]["years"]
            start = day.replace(year=day.year - years)
            return "true" if start <= when <= day else "false"
        return "true" if value == cond["is"] else "false"
    parts = [_outcome(c, facts, day, named) for c in cond.get("all", cond.get("any", []))]
    if "all" in cond:
        return "false" if "false" in parts else "unknown" if "unknown" in parts else "true"
    return "true" if "true" in parts else "unknown" if "unknown" in parts else "false"


@pytest.mark.parametrize("profile", ["fare-evasion", "violent-felony-warrant", "dat-dismissed"])
def test_probation_route_follows_the_1558a_conditions(nyc, nyc_engine, profile):
    rule = nyc.rules["nyc-int-1558a-2017"]
    flow = nyc.flows["probation-detainer-compliance"]
    (effect,) = [e for e in rule.effects if e.flow == flow.id]
    facts = nyc.profiles[profile].facts
    for day in (BEFORE_PROBATION_LAW, SEED_DAY, QUERY_DAY):
        report = nyc_routes(nyc, nyc_engine, profile, day, source="probation-sentence")
        (route,) = routes_through(report, flow.id)
        fires = {"true": "open", "false": "not-triggered", "unknown": "conditional"}[
            _outcome(flow.when, facts)]
        statuses = [fires]
        if rule.in_force_on(day):
            statuses.append({"true": "open", "false": "blocked", "unknown": "conditional"}[
                _outcome(effect.when, facts, day, nyc.conditions)])
            assert _rule_reasons(route, rule.id)
        else:
            assert not [r for r in _rule_reasons(route, rule.id) if r.status is not None]
        assert route.status.value == max(statuses, key=ORDER.index), (profile, day)


def test_probation_route_is_only_reached_from_a_probation_sentence(nyc, nyc_engine):
    arrest = nyc_routes(nyc, nyc_engine, "fare-evasion", QUERY_DAY)
    assert routes_through(arrest, "probation-detainer-compliance") == []
    conviction = nyc_routes(nyc, nyc_engine, "fare-evasion", QUERY_DAY, source="court-conviction")
    assert routes_through(conviction, "ice-queries-iii")
    assert routes_through(conviction, "probation-detainer-compliance") == []


def test_rikers_office_of_2025_never_opens(nyc, nyc_engine):
    eo = nyc.rules["nyc-eo-50-2025"]
    court = nyc.rules["nys-court-orders-eo-50-2025"]
    assert court.starts > eo.starts and court.starts > eo.ended
    flow = nyc.flows["rikers-federal-office-2025"]
    before = flow.valid_from - dt.timedelta(days=1)
    during = eo.starts + dt.timedelta(days=2)
    for day, blockers in ((during, {"nyc-ll58-2014"}),
                          (QUERY_DAY, {"nyc-ll58-2014", court.id})):
        hop = StatusEvaluator(nyc, nyc.profiles["fare-evasion"].facts, day).hop(flow.id)
        assert hop.status.value == "blocked"
        assert {r.rule for r in hop.reasons if r.status and r.status.value == "blocked"} == blockers
    hop = StatusEvaluator(nyc, nyc.profiles["fare-evasion"].facts, before).hop(flow.id)
    assert hop.status.value == "inactive"
    assert flow.confidence.value == "alleged"
