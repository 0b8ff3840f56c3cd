"""Evidence over time, conflicts on routes, where the information stops, and the checks on the
new pack fields. Every expectation is computed from the pack data, not copied from the code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from graphflow.core.dates import parse_date
from graphflow.core.status import Status
from graphflow.packs.loader import check_pack
from tests.conftest import SEED_DAY, nyc_routes
from tests.test_pack_validation import edit, only_error

LATE = dt.date(2026, 12, 1)
WARRANT = "warrant-check-contacts-ice"


def _route(report, flows):
    return next(r for r in report.routes if r.flows == tuple(flows))


def test_warrant_check_route_is_not_current_in_2026_with_the_packs_note(nyc, nyc_engine):
    claim = nyc.flows[WARRANT].evidence
    assert claim is not None and claim.unverified_after and claim.note
    report = nyc_routes(nyc, nyc_engine, "prior-removal-order", as_of=LATE)
    routes = [r for r in report.routes if WARRANT in r.flows and r.status is Status.OPEN]
    assert routes, "the warrant-check route is open for a prior removal order"
    for route in routes:
        hop = route.hops[route.flows.index(WARRANT)]
        assert hop.evidence.state == "unverified"
        assert hop.evidence.note == claim.note
        assert route.evidence.state != "current"
        assert not route.is_leak or route.evidence.rank >= hop.evidence.rank


def test_warrant_check_hop_is_current_in_2017(nyc, nyc_engine):
    report = nyc_routes(nyc, nyc_engine, "prior-removal-order", as_of=SEED_DAY)
    hops = [r.hops[r.flows.index(WARRANT)] for r in report.routes if WARRANT in r.flows]
    assert hops and all(h.evidence.state == "current" for h in hops)
    # the route is current when every hop's evidence is
    for r in report.routes:
        if WARRANT in r.flows:
            assert (r.evidence.state == "current") == all(h.evidence.current for h in r.hops)


def test_stale_after_the_horizon_and_the_horizon_option(nyc, nyc_engine, run_cli):
    """A flow whose latest dated source is D is current at D + horizon and stale a day later
    (computed from the flow's own sources)."""
    flow = nyc.flows["arraignment-scheduling"]
    last = max(parse_date(nyc.sources[c.source].date, end=True) for c in flow.citations
               if nyc.sources[c.source].kind != "research" and nyc.sources[c.source].date)
    from graphflow.core.evidence import add_months
    from graphflow.core.status import StatusEvaluator

    edge = add_months(last, nyc.evidence_horizon_months)
    assert StatusEvaluator(nyc, {}, edge).evidence(flow.id).state == "current"
    later = StatusEvaluator(nyc, {}, edge + dt.timedelta(days=1)).evidence(flow.id)
    assert later.state == "stale" and later.last_evidenced
    wide = StatusEvaluator(nyc, {}, edge + dt.timedelta(days=1), horizon_months=600)
    assert wide.evidence(flow.id).state == "current"
    code, out, _ = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                           LATE.isoformat(), "--format", "json", "--evidence-horizon", "600")
    assert code == 0
    data = json.loads(out)
    hops = [h for r in data["routes"] for h in r["hops"] if h["flow"] == flow.id]
    assert hops and all(h["evidence"]["state"] == "current" for h in hops)


def test_json_evidence_contract_and_summary(nyc, run_cli):
    code, out, _ = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                           LATE.isoformat(), "--format", "json")
    assert code == 0
    data = json.loads(out)
    opened = [r for r in data["routes"] if r["status"] == "open"]
    counts = {s: sum(r["evidence"]["state"] == s for r in opened)
              for s in ("current", "stale", "unverified")}
    assert data["open_by_evidence"] == counts
    for r in data["routes"]:
        for h in r["hops"]:
            assert set(h["evidence"]) >= {"state", "last_evidenced", "note"}
        ranks = ["current", "stale", "unverified"]
        assert r["evidence"]["state"] == max((h["evidence"]["state"] for h in r["hops"]),
                                             key=ranks.index)


def test_table_says_it_in_words(nyc, run_cli):
    code, out, _ = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                           LATE.isoformat(), "--status", "open")
    assert code == 0
    assert "OPEN, but its evidence" in out and f"(asked for {LATE})" in out
    assert nyc.flows[WARRANT].evidence.note.split(";")[0].strip() in " ".join(out.split())


def test_leaks_separate_current_from_possible(run_cli):
    code, out, _ = run_cli("leaks", "--profile", "prior-removal-order", "--as-of",
                           SEED_DAY.isoformat(), "--format", "json")
    assert code == 0
    routes = json.loads(out)["routes"]
    kinds = [r["leak_evidence"] for r in routes]
    assert all(k in ("current", "possible") for k in kinds)
    assert kinds == sorted(kinds, key=lambda k: k != "current")  # current first
    for r in routes:
        assert (r["leak_evidence"] == "current") == (r["evidence"]["state"] == "current")


# --- where the information stops ------------------------------------------------------------

def _first_stop(route):
    for h in route.hops:
        if h.status.severity >= 2:
            return h.status
    return max((h.status for h in route.hops), key=lambda s: s.severity)


@pytest.mark.parametrize("profile", ["civil-summons", "victim-witness"])
def test_route_whose_first_hop_does_not_fire_is_not_triggered(nyc, nyc_engine, profile):
    for day in (SEED_DAY, LATE):
        report = nyc_routes(nyc, nyc_engine, profile, as_of=day)
        first_quiet = [r for r in report.routes if r.hops[0].status is Status.NOT_TRIGGERED]
        assert first_quiet, f"{profile}: some route's first hop does not fire"
        for r in first_quiet:
            assert r.status is Status.NOT_TRIGGERED, (r.id, [h.status for h in r.hops])


def test_every_route_takes_its_first_stopping_hop(nyc, nyc_engine):
    for profile in nyc.profiles:
        for day in (dt.date(2014, 1, 1), SEED_DAY, LATE):
            report = nyc_routes(nyc, nyc_engine, profile, as_of=day)
            for r in report.routes:
                assert r.status is _first_stop(r), (profile, day, r.id)
                stop = r.stop
                if stop is not None:
                    assert r.hops[stop].status is r.status


def test_status_filters_give_the_same_routes_as_filtering_afterwards(nyc, nyc_engine):
    """The engines cut branches under a status cap; with first-stop statuses the cut must keep
    every route whose first stop is within the cap."""
    for profile in ("fare-evasion", "civil-summons", "prior-removal-order"):
        everything = nyc_routes(nyc, nyc_engine, profile)
        for wanted in ([Status.OPEN], [Status.BLOCKED], [Status.NOT_TRIGGERED, Status.BLOCKED],
                       [Status.INACTIVE]):
            got = nyc_routes(nyc, nyc_engine, profile, statuses=wanted)
            expect = {r.id: r.status for r in everything.routes if r.status in wanted}
            assert {r.id: r.status for r in got.routes} == expect, (profile, wanted)
            top = nyc_routes(nyc, nyc_engine, profile, statuses=wanted, limit=3,
                             order="ranked")
            assert {r.id for r in top.routes} <= set(expect)
            assert len(top.routes) == min(3, len(expect))


# --- conflicts and caveats ------------------------------------------------------------------

def test_route_crossing_a_conflict_shows_it_in_every_format(nyc, run_cli):
    conflict = next(c for c in nyc.conflicts.values() if any(a in nyc.flows for a in c.about))
    flow = next(a for a in conflict.about if a in nyc.flows)
    outs = {}
    for fmt in ("json", "table", "md", "csv"):
        code, out, _ = run_cli("routes", "--profile", "violent-felony-warrant", "--as-of",
                               SEED_DAY.isoformat(), "--format", fmt)
        assert code == 0
        outs[fmt] = out
    data = json.loads(outs["json"])
    crossing = [r for r in data["routes"] if flow in r["flows"]]
    assert crossing
    for r in crossing:
        assert conflict.id in r["conflicts"]
        hop = next(h for h in r["hops"] if h["flow"] == flow)
        assert conflict.id in hop["conflicts"]
    assert data["conflicts"][conflict.id]["summary"] == " ".join(conflict.summary.split())
    assert f"Sources disagree ({conflict.id})" in outs["table"]
    assert f"Sources disagree ({conflict.id})" in outs["md"]
    rows = list(csv.DictReader(io.StringIO(outs["csv"])))
    assert any(conflict.id in row["conflicts"] for row in rows if row["flow"] == flow)


def test_flow_caveat_on_routes(mini_copy, run_cli):
    edit(mini_copy / "flows.yaml", "  - id: police-call\n",
         "  - id: police-call\n    caveat: Only one case is reported.\n")
    code, out, _ = run_cli("routes", "--data", str(mini_copy), "--profile", "wanted",
                           "--as-of", "2016-01-01", "--format", "json")
    assert code == 0
    hops = [h for r in json.loads(out)["routes"] for h in r["hops"] if h["flow"] == "police-call"]
    assert hops and all(h["caveat"] == "Only one case is reported." for h in hops)
    code, out, _ = run_cli("routes", "--data", str(mini_copy), "--profile", "wanted",
                           "--as-of", "2016-01-01")
    assert "caveat: Only one case is reported." in out


# --- bad input ------------------------------------------------------------------------------

def _one_line(folder):
    errors = only_error(folder)
    text = errors[0].one_line()
    assert "\n" not in text
    return errors, text


def test_impossible_date_in_a_date_fact(mini_copy):
    edit(mini_copy / "facts.yaml", "facts:\n",
         "facts:\n  - {id: convicted-on, type: date}\n")
    edit(mini_copy / "profiles.yaml", "facts: {kind: arrest, warrant: true, priors: 2}",
         "facts: {kind: arrest, warrant: true, priors: 2, convicted-on: 2015-02-30}")
    errors, text = _one_line(mini_copy)
    assert f"{mini_copy / 'profiles.yaml'}:" in text and "2015-02-30" in text


RULE_WHEN = "when: {all: [{fact: warrant, is: true}, {fact: priors, gte: 1}]}"


def test_within_on_a_non_date_fact(mini_copy):
    edit(mini_copy / "rules.yaml", RULE_WHEN, "when: {fact: priors, within: {years: 5}}")
    errors, text = _one_line(mini_copy)
    assert f"{mini_copy / 'rules.yaml'}:" in text and "'within' needs a date fact" in text


def test_amends_cycle(mini_copy):
    rules = mini_copy / "rules.yaml"
    rules.write_text(rules.read_text() + """\
  - id: town-law-b
    name: Town law B
    jurisdiction: town
    kind: law
    effective: 2018-01-01
    amends: [town-law-c]
    citations: [{source: doc, locator: line 2, quote: when a judge signed a warrant}]
  - id: town-law-c
    name: Town law C
    jurisdiction: town
    kind: law
    effective: 2019-01-01
    amends: [town-law-b]
    citations: [{source: doc, locator: line 2, quote: when a judge signed a warrant}]
""")
    errors, text = _one_line(mini_copy)
    assert f"{rules}:" in text and "cycle" in text


def _named(folder, when):
    (folder / "conditions.yaml").write_text(f"conditions:\n  - id: has-warrant\n    when: {when}\n")
    edit(folder / "rules.yaml", RULE_WHEN, "when: {condition: has-warrant}")


def test_named_condition_that_refers_to_itself(mini_copy):
    _named(mini_copy, "{any: [{fact: warrant, is: true}, {condition: has-warrant}]}")
    errors, text = _one_line(mini_copy)
    assert f"{mini_copy / 'conditions.yaml'}:" in text and "refers to itself" in text


def test_unknown_named_condition(mini_copy):
    _named(mini_copy, "{fact: warrant, is: true}")
    edit(mini_copy / "rules.yaml", "{condition: has-warrant}", "{condition: has-warant}")
    errors, text = _one_line(mini_copy)
    assert f"{mini_copy / 'rules.yaml'}:" in text and "has-warant" in text
    assert "did you mean 'has-warrant'" in (errors[0].hint or "")


def test_named_condition_gives_the_same_answers_as_inline(mini_copy, run_cli):
    def statuses(folder):
        code, out, _ = run_cli("routes", "--data", str(folder), "--profile", "wanted",
                               "--as-of", "2016-01-01", "--format", "json")
        assert code == 0
        return {r["id"]: r["status"] for r in json.loads(out)["routes"]}
    before = statuses(mini_copy)
    _named(mini_copy, "{all: [{fact: warrant, is: true}, {fact: priors, gte: 1}]}")
    assert check_pack(mini_copy).errors == []
    from graphflow.packs import loader
    loader._CACHE.clear()
    assert statuses(mini_copy) == before


# --- facts that move with the query date ------------------------------------------------------

DETAINER = "nypd-detainer-custody-transfer"


def test_violent_felony_warrant_detainer_route_ages_out(nyc, nyc_engine):
    """The profile's conviction date is inside the laws' five-year window at 2017-03-01 and
    outside it at 2026-12-01 (computed from the data), so the detainer route is open, then not."""
    from graphflow.core.conditions import as_date, shift_back

    named = nyc.conditions["violent-or-serious-conviction-5y"].when
    fact, span = named["fact"], named["within"]
    day = as_date(nyc.profiles["violent-felony-warrant"].facts[fact])
    assert shift_back(SEED_DAY, span) <= day <= SEED_DAY
    assert day < shift_back(LATE, span)
    early = nyc_routes(nyc, nyc_engine, "violent-felony-warrant", as_of=SEED_DAY)
    late = nyc_routes(nyc, nyc_engine, "violent-felony-warrant", as_of=LATE)
    one = next(r for r in early.routes if DETAINER in r.flows)
    again = next(r for r in late.routes if r.id == one.id)
    assert one.status is Status.OPEN
    assert again.status is not Status.OPEN
    hop = again.hops[again.flows.index(DETAINER)]
    texts = " ".join(r.text for r in hop.reasons if r.rule)
    assert "within 5 years" in texts and fact in texts


def test_none_date_and_set_facts(mini_copy, run_cli):
    edit(mini_copy / "facts.yaml", "facts:\n",
         "facts:\n  - {id: convicted-on, type: date}\n"
         "  - {id: offenses, type: set, values: [theft, assault, fraud]}\n")
    edit(mini_copy / "rules.yaml", RULE_WHEN,
         "when: {all: [{fact: convicted-on, within: {years: 5}}, "
         "{fact: offenses, any_in: [assault]}]}")
    profiles = mini_copy / "profiles.yaml"
    profiles.write_text(profiles.read_text() + """\
  - {id: recent, name: Recent, facts: {kind: arrest, convicted-on: 2014-06-01, offenses: [assault]}}
  - {id: never, name: Never, facts: {kind: arrest, convicted-on: none, offenses: [assault]}}
  - {id: thief, name: Thief, facts: {kind: arrest, convicted-on: 2014-06-01, offenses: [theft]}}
""")
    assert check_pack(mini_copy).errors == []

    def call_status(profile, day):
        code, out, err = run_cli("routes", "--data", str(mini_copy), "--profile", profile,
                                 "--as-of", day, "--format", "json")
        assert code == 0, err
        hops = [h for r in json.loads(out)["routes"] for h in r["hops"]
                if h["flow"] == "police-call"]
        return hops[0]["status"]
    assert call_status("recent", "2016-01-01") == "open"
    assert call_status("recent", "2020-01-01") == "blocked"  # more than five years later
    assert call_status("never", "2016-01-01") == "blocked"
    assert call_status("thief", "2016-01-01") == "blocked"


# --- amendments, timeline and diff ----------------------------------------------------------

AMENDMENT = """\
  - id: town-law-2018
    name: Town law amendment of 2018
    jurisdiction: town
    kind: law
    effective: 2018-01-01
    amends: [town-law]
    citations: [{source: doc, locator: line 2, quote: when a judge signed a warrant}]
    effects:
      - flow: police-call
        effect: blocks
"""


def test_amendment_changes_the_status_and_timeline_names_it(mini_copy, run_cli):
    rules = mini_copy / "rules.yaml"
    rules.write_text(rules.read_text() + AMENDMENT)
    assert check_pack(mini_copy).errors == []

    def hop(day):
        code, out, err = run_cli("routes", "--data", str(mini_copy), "--profile", "wanted",
                                 "--as-of", day, "--format", "json")
        assert code == 0, err
        return next(h for r in json.loads(out)["routes"] for h in r["hops"]
                    if h["flow"] == "police-call")
    assert hop("2016-06-01")["status"] == "open"
    late = hop("2019-06-01")
    assert late["status"] == "blocked"
    assert any("amended by Town law amendment of 2018" in r["text"] for r in late["reasons"])
    code, out, err = run_cli("timeline", "--data", str(mini_copy), "--profile", "wanted",
                             "--as-of", "2016-06-01", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    row = next(r for r in data["routes"] if r["nodes"][-1] == "feds" and len(r["nodes"]) == 3)
    change = next(c for c in row["changes"] if c["date"] == "2018-01-01")
    assert change["status"] == "blocked"
    assert any("amending town-law" in c for c in change["causes"])
    # the status before the first change date is stated, with no invented date
    assert row["before"]["until"] <= "2015-01-01" and row["before"]["status"]
    code, out, _ = run_cli("timeline", "--data", str(mini_copy), "--profile", "wanted",
                           "--as-of", "2016-06-01")
    assert f"before {row['before']['until']}: {row['before']['status']}" in out
    code, out, _ = run_cli("diff", "--data", str(mini_copy), "--profile", "wanted",
                           "--as-of", "2016-06-01", "--as-of", "2019-06-01", "--format", "json")
    causes = json.loads(out)["causes"]
    amended = next(c for c in causes if c.get("rule") == "town-law-2018")
    assert amended["amends"] == ["town-law"]


def test_timeline_dates_come_from_the_data(nyc, nyc_engine):
    from graphflow.analysis.timeline import timeline
    from graphflow.audit import make_query

    query = make_query(nyc, source=None, target=None, profile="violent-felony-warrant",
                       as_of=SEED_DAY)
    data = timeline(nyc, nyc_engine, query)
    starts = {r.starts_text for r in nyc.rules.values() if r.starts_text}
    for d in data["dates"]:
        assert len(d) == 10 or d in starts  # a partial date only as the pack wrote it
    assert "1996-01-01" not in data["dates"] or "1996-01-01" in starts
    detainer = [r for r in data["routes"] if any("window" in " ".join(c["causes"])
                                                 or "5 years" in " ".join(c["causes"])
                                                 for c in r["changes"])]
    assert detainer, "the conviction date's five-year window changes some route"


def test_diff_ignores_hops_after_the_stop(nyc, nyc_engine, run_cli):
    for profile in ("victim-witness", "civil-summons"):
        code, out, err = run_cli("diff", "--profile", profile, "--as-of", "2014-01-01",
                                 "--as-of", LATE.isoformat(), "--format", "json")
        assert code == 0, err
        data = json.loads(out)
        report = nyc_routes(nyc, nyc_engine, profile, as_of=LATE)
        by_id = {r.id: r for r in report.routes}
        for change in data["changed"]:
            route = by_id[change["route"]]
            stop = route.stop if route.stop is not None else len(route.flows)
            early = nyc_routes(nyc, nyc_engine, profile, as_of=dt.date(2014, 1, 1))
            old = next(r for r in early.routes if r.id == route.id)
            ostop = old.stop if old.stop is not None else len(old.flows)
            allowed = set(route.flows[: max(stop, ostop) + 1])
            assert {h["flow"] for h in change["hops"]} <= allowed
            assert change["before"] != "not-triggered" or change["after"] != "blocked" or \
                route.hops[0].status is not Status.NOT_TRIGGERED


def test_html_export_says_evidence_and_conflicts(nyc, nyc_engine, run_cli, tmp_path):
    import html as htmllib

    out = tmp_path / "r.html"
    code, _, err = run_cli("export", "html", "-o", str(out), "--routes", "--profile",
                           "prior-removal-order", "--as-of", LATE.isoformat())
    assert code == 0, err
    text = htmllib.unescape(out.read_text("utf-8"))
    report = nyc_routes(nyc, nyc_engine, "prior-removal-order", as_of=LATE)
    stale = next(r for r in report.routes if not r.evidence.current)
    assert "but its evidence" in text and f"(asked for {LATE})" in text
    conflicted = {c for r in report.routes for f in r.flows for c in nyc.conflicts_on(f)}
    assert conflicted
    for cid in conflicted:  # the id and the start of its one-line summary, as the text views
        summary = " ".join(nyc.conflicts[cid].summary.split())[:60]
        assert f"sources disagree ({cid}): {summary}" in text, cid
    assert stale.id in text


# --- what a rule effect's evidence span means (a binding text vs agency practice) ----------

def _restricting(pack, day):
    """(rule, effect) pairs that restrict a flow and apply on ``day``."""
    from graphflow.core.status import StatusEvaluator

    ev = StatusEvaluator(pack, {}, day)
    return ev, [(pack.rules[e.rule], e) for f in pack.flows for e in pack.effects_on(f)
                if e.effect != "does-not-touch" and ev._applies(e)[0]]


def test_a_law_in_force_is_its_own_evidence_however_old(nyc):
    """LL 58/59 (2014) and EO 41 (2003) restrict flows in 2017, more than the horizon after
    their texts' dates: their effects do not make the hop stale; the flow's evidence decides."""
    from graphflow.core.evidence import assess, effect_span, flow_span
    from graphflow.core.status import BINDING_KINDS

    ev, pairs = _restricting(nyc, SEED_DAY)
    old_laws = [(r, e) for r, e in pairs if r.kind in BINDING_KINDS and e.evidence is None
                and assess(effect_span(nyc, r.id, e.flow), SEED_DAY, nyc.evidence_horizon_months
                           ).state == "stale"]
    assert {r.kind for r, _ in old_laws} >= {"law", "executive-order"}, old_laws
    for rule, eff in old_laws:
        hop = ev.evidence(eff.flow)
        assert hop.about != f"rule {rule.id}"
        flow_state = assess(flow_span(nyc, eff.flow), SEED_DAY, nyc.evidence_horizon_months)
        assert hop.rank == max([flow_state.rank, *(
            assess(effect_span(nyc, r.id, eff.flow), SEED_DAY, nyc.evidence_horizon_months).rank
            for r, e in pairs if e.flow == eff.flow and r.kind not in BINDING_KINDS)])


def test_agency_practice_evidence_still_ages(nyc):
    """A memo, policy, protocol or directive whose cited evidence ends more than the horizon
    before the query date makes the hops it restricts stale (at least)."""
    from graphflow.core.evidence import assess, effect_span
    from graphflow.core.status import BINDING_KINDS

    seen = 0
    for day in (SEED_DAY, dt.date(2020, 6, 1), LATE):
        ev, pairs = _restricting(nyc, day)
        for rule, eff in pairs:
            if rule.kind in BINDING_KINDS:
                continue
            own = assess(effect_span(nyc, rule.id, eff.flow), day, nyc.evidence_horizon_months)
            if own.state != "current":
                seen += 1
                assert ev.evidence(eff.flow).rank >= own.rank
    assert seen, "the NYC pack has aging practice evidence to check"
