"""Policy analysis a council analyst can act on (issue 14), checked on the bundled packs:
sensible cuts (weights, essential flows, one meaning of --controllable-by), exact or honest
minimums, authority-checked what-ifs, precedents, exposure latencies and Markdown output."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from graphflow.analysis.cuts import (
    BASIS_WEIGHTS,
    controllable,
    hitting_set,
    minimum_cut,
    resolve_controller,
)
from graphflow.analysis.timeline import timeline
from graphflow.analysis.whatif import Scenario, apply, prepare
from graphflow.audit import iter_routes, make_query, run_query
from graphflow.core.status import Status
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs.loader import load_pack

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CITY_ON_STATE = str(EXAMPLES / "city-blocks-booking-prints.yaml")
DATES = (dt.date(2017, 3, 1), dt.date(2026, 12, 1))
WHO = (None, "state", "city", "nypd", "federal")


def _trigger(pack, query):
    return frozenset(f.id for f in pack.flows.values() if f.source == query.source)


def _routes(pack, engine, profile, day, wanted=(Status.OPEN,), **kw):
    query = make_query(pack, source=None, target=None, profile=profile, as_of=day, **kw)
    query = replace(query, statuses=tuple(wanted))
    return query, list(iter_routes(pack, engine, query))


def _cases(pack, engine):
    """(profile, date, include, routes, query) for every NYC profile at both dates."""
    for profile in sorted(pack.profiles):
        for day in DATES:
            for wanted in ((Status.OPEN,), (Status.OPEN, Status.CONDITIONAL)):
                query, routes = _routes(pack, engine, profile, day, wanted)
                yield profile, day, wanted, routes, query


@pytest.fixture(scope="module")
def cases(nyc, nyc_engine):
    return list(_cases(nyc, nyc_engine))


def _stops_all(routes, closed):
    return all(set(r.flows) & closed for r in routes)


# ------------------------------------------------------------------ sensible defaults

def test_no_cut_proposes_an_essential_flow_by_default(nyc, cases):
    essential = {f.id for f in nyc.flows.values() if f.essential}
    assert "arraignment-scheduling" in essential
    proposed = 0
    for _profile, _day, _wanted, routes, query in cases:
        for who in WHO:
            cut = minimum_cut(nyc, routes, who, protect=_trigger(nyc, query))
            assert not set(cut.flows) & essential
            proposed += len(cut.flows)
    assert proposed  # the cuts are not all empty


def test_allow_essential_lets_a_cut_use_essential_flows(nyc, cases):
    """Somewhere in the data an essential flow is the only one DCJS could close; allowing
    essential flows then stops routes that no default cut stops."""
    helped = 0
    for _p, _d, _w, routes, query in cases:
        default = minimum_cut(nyc, routes, "DCJS", protect=_trigger(nyc, query))
        allowed = minimum_cut(nyc, routes, "DCJS", protect=_trigger(nyc, query),
                              allow_essential=True)
        assert allowed.remaining_count <= default.remaining_count
        helped += allowed.remaining_count < default.remaining_count
    assert helped


def test_weights_follow_the_basis_and_are_reported(nyc, nyc_engine, run_cli):
    code, out, err = run_cli("cut", "--profile", "fare-evasion", "--controllable-by", "state",
                             "--as-of", "2017-03-01", "--format", "json")
    assert code == 0, err
    before = json.loads(out)["before"]
    assert before["weights"] == BASIS_WEIGHTS
    for f in before["cut"]:
        assert f["weight"] == BASIS_WEIGHTS[nyc.flows[f["flow"]].basis]
    assert before["cost"] == sum(f["weight"] for f in before["cut"])
    code, out, _ = run_cli("cut", "--profile", "fare-evasion", "--controllable-by", "state",
                           "--as-of", "2017-03-01", "--unweighted", "--format", "json")
    plain = json.loads(out)["before"]
    assert plain["weights"] is None and all(f["weight"] == 1 for f in plain["cut"])
    assert plain["cost"] == len(plain["cut"])


def test_each_cut_flow_says_what_closing_means_and_who_has_the_power(nyc, run_cli):
    code, out, err = run_cli("cut", "--profile", "fare-evasion", "--controllable-by", "state",
                             "--as-of", "2017-03-01", "--format", "json")
    assert code == 0, err
    cut = json.loads(out)["before"]["cut"]
    assert cut
    for f in cut:
        flow = nyc.flows[f["flow"]]
        assert f["sentence"].startswith(f"If {flow.id} were closed, ")
        assert nyc.actors[flow.target].name in f["sentence"]
        assert f["power"] and all(p["jurisdiction"] in nyc.controllers_of(flow)
                                  for p in f["power"])
        for p in f["power"]:
            assert p["source"]["source"] in nyc.sources
            if p["basis"] == "rule":  # a rule of that jurisdiction really governs the flow
                rule = nyc.rules[p["rule"]]
                assert rule.jurisdiction == p["jurisdiction"]
                assert any(e.flow == flow.id for e in rule.effects)


# ------------------------------------------------------------------ --controllable-by

def test_controllable_by_nypd_is_within_the_city_for_every_profile_and_date(nyc, cases):
    for fid in nyc.flows:  # the flows first: nypd's are the city's
        if controllable(nyc, fid, "nypd"):
            assert controllable(nyc, fid, "city")
            assert "nyc" in nyc.controllers_of(nyc.flows[fid])
    for profile, day, wanted, routes, query in cases:
        protect = _trigger(nyc, query)
        nypd = minimum_cut(nyc, routes, "nypd", protect=protect)
        city = minimum_cut(nyc, routes, "city", protect=protect)
        assert all(controllable(nyc, f, "city") for f in nypd.flows), (profile, day)
        remaining_city = {r.id for r in city.remaining}
        assert remaining_city <= {r.id for r in nypd.remaining}, (profile, day, wanted)
        if nypd.exists:
            assert city.exists and city.cost <= nypd.cost, (profile, day, wanted)


@pytest.mark.parametrize(("typed", "kind", "ident"), [
    ("New York State", "jurisdiction", "nys"), ("nys", "jurisdiction", "nys"),
    ("state", "level", "nys"), ("CITY", "level", "nyc"), ("New York City", "jurisdiction", "nyc"),
    ("DCJS", "actor", "nys-dcjs"), ("NYPD", "actor", "nypd"), ("nypd", "actor", "nypd"),
])
def test_names_and_aliases_for_controllable_by(nyc, run_cli, typed, kind, ident):
    ctrl = resolve_controller(nyc, typed)
    assert (ctrl.kind, ctrl.id) == (kind, ident)
    code, out, err = run_cli("cut", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--controllable-by", typed, "--format", "json")
    assert code == 0, err
    data = json.loads(out)["before"]
    assert data["controllable_by"] == ident
    by_id = json.loads(run_cli("cut", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                               "--controllable-by", ident, "--format", "json")[1])["before"]
    if kind != "level":
        assert [f["flow"] for f in data["cut"]] == [f["flow"] for f in by_id["cut"]]


def test_unknown_controller_is_a_one_line_error_with_a_hint(run_cli):
    code, out, err = run_cli("cut", "--controllable-by", "New York Stat", "--as-of",
                             "2017-03-01")
    assert code != 0 and out == ""
    assert "did you mean" in err and "Traceback" not in err


# ------------------------------------------------------------------ exact or honest

def test_reported_cuts_stop_every_route_when_rerun_and_none_smaller_exists(nyc, nyc_engine,
                                                                          cases):
    """Each cut is verified by running the query again with its flows closed; each cut
    claimed exact is checked by exhaustive search: no cheaper set (weighted) and no smaller
    set (unweighted) of closable flows stops the same routes."""
    checked = 0
    for profile, _day, wanted, routes, query in cases:
        for who in (None, "state", "city"):
            protect = _trigger(nyc, query)
            for weighted in (True, False):
                cut = minimum_cut(nyc, routes, who, weighted, protect)
                if not cut.exists or not cut.flows:
                    continue
                assert cut.exact and cut.method == "exact"
                closed = apply(nyc, Scenario(closed=tuple(cut.flows)))
                again = run_query(closed, EmbeddedEngine(closed), query)
                assert not [r for r in again.routes if r.status in wanted], (profile, who)
                candidates = sorted({f for r in routes for f in r.flows
                                     if f not in cut.blocked_by})
                weight = {f: BASIS_WEIGHTS[nyc.flows[f].basis] if weighted else 1
                          for f in candidates}
                for n in range(len(cut.flows) + (1 if weighted else 0)):
                    for subset in itertools.combinations(candidates, n):
                        if sum(weight[f] for f in subset) < cut.cost:
                            assert not _stops_all(routes, set(subset)), (profile, subset)
                checked += 1
    assert checked > 20


def _needs_search(nyc, cases):
    for _p, _d, _w, routes, query in cases:
        for who in WHO:
            for weighted in (True, False):
                for allow in (False, True):
                    cut = minimum_cut(nyc, routes, who, weighted, _trigger(nyc, query),
                                      allow_essential=allow)
                    if cut.exists and cut.search.get("nodes", 0) > 1:
                        return routes, query, cut, who, weighted, allow
    return None


def test_fallback_is_labelled_an_upper_bound_and_still_stops_every_route(nyc, cases):
    found = _needs_search(nyc, cases)
    assert found, "some NYC case needs the exact search beyond the greedy start"
    routes, query, exact, who, weighted, allow = found
    bound = minimum_cut(nyc, routes, who, weighted, _trigger(nyc, query),
                        allow_essential=allow, budget=0)
    assert not bound.exact and bound.method == "upper-bound"
    assert bound.cost >= exact.cost >= bound.lower_bound
    assert _stops_all(routes, set(bound.flows))


def test_greedy_fallback_on_a_classic_trap_is_reported_as_upper_bound():
    # greedy takes "hub" (it hits 4 sets) and then needs two more; {a, b} hits all
    sets = [frozenset(s) for s in (("a", "hub"), ("a", "x"), ("b", "hub"), ("b", "y"),
                                   ("a", "hub2"), ("b", "hub2"))]
    weight = dict.fromkeys(("a", "b", "hub", "hub2", "x", "y"), 1.0)
    chosen, cost, exact, lower, _ = hitting_set(sets, weight)
    assert (sorted(chosen), cost, exact) == (["a", "b"], 2.0, True)
    chosen, cost, exact, lower, _ = hitting_set(sets, weight, budget=0)
    assert all(set(chosen) & s for s in sets)
    assert cost >= 2.0 and lower <= 2.0 and (exact is False or cost == 2.0)


# ------------------------------------------------------------------ authority-checked what-ifs

def test_city_rule_on_a_state_flow_is_flagged_and_not_applied(nyc, nyc_engine):
    flow = "booking-prints-to-dcjs"
    assert nyc.controllers_of(nyc.flows[flow]) == ("nys",)
    query = make_query(nyc, source=None, target=None, profile="fare-evasion", as_of=DATES[0])
    plain = run_query(nyc, nyc_engine, query).summary
    checked = prepare(nyc, Scenario(rule_files=(CITY_ON_STATE,)))
    assert [f.text.split(";")[0] for f in checked.findings] == [
        f"hypothetical-city-no-prints-to-dcjs on {flow}: outside nyc's authority: "
        "controlled by nys"]
    assert run_query(checked.pack, EmbeddedEngine(checked.pack), query).summary == plain
    forced = prepare(nyc, Scenario(rule_files=(CITY_ON_STATE,), ignore_authority=True))
    after = run_query(forced.pack, EmbeddedEngine(forced.pack), query)
    assert after.summary != plain
    through = [r for r in after.routes if flow in r.flows]
    assert through and all(r.status is Status.BLOCKED for r in through)
    assert forced.findings[0].applied


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "md"])
@pytest.mark.parametrize("command", ["routes", "leaks", "cut", "exposure", "timeline"])
def test_authority_flag_is_in_every_format(run_cli, command, fmt):
    args = [command, "--profile", "fare-evasion", "--assume-rule", CITY_ON_STATE,
            "--format", fmt]
    if command != "timeline":
        args += ["--as-of", "2017-03-01"]
    code, out, err = run_cli(*args)
    assert code == 0, err
    if fmt == "csv" and command in ("routes", "leaks"):
        return  # route CSV is one row per route; the what-if is in every other format
    assert "outside nyc's authority: controlled by nys" in out


def test_hypothetical_rules_need_no_citation_and_are_marked(run_cli):
    code, out, err = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                             "2026-12-01", "--set", "in-doc-custody=true", "--set",
                             "judicial-warrant=false", "--assume-rule",
                             str(EXAMPLES / "city-release-notices-need-judicial-warrant.yaml"),
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    rules = data["what_if"]["hypothetical_rules"]
    assert rules and all(r["hypothetical"] and not r["cited"] for r in rules)
    assert not data["what_if"]["outside_authority"]  # the city controls DOC notices
    marked = [w for r in data["routes"] for h in r["hops"] for w in
              json.dumps(h).split('"') if "[hypothetical]" in w]
    assert marked  # the rule's effect shows up in the hops, marked hypothetical


# ------------------------------------------------------------------ what-ifs everywhere

@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
@pytest.mark.parametrize("command", [
    ("routes", "--as-of", "2017-03-01"), ("leaks", "--as-of", "2017-03-01"),
    ("cut", "--as-of", "2017-03-01"), ("exposure", "--as-of", "2017-03-01"),
    ("diff", "--as-of", "2017-03-01", "--as-of", "2026-12-01"), ("timeline",),
    ("explain", "booking-prints-to-dcjs"),
])
def test_every_analysis_command_takes_example_what_ifs_with_before_and_after(
        run_cli, command, example):
    rule = str(EXAMPLES / example)
    code, out, err = run_cli(*command, "--profile", "fare-evasion", "--assume-rule", rule,
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["scenario"]["assume_rules"] == [rule]
    assert data["what_if"]["hypothetical_rules"]
    assert ("after" in data) or ("before_summary" in data and "changes" in data)
    code, out, err = run_cli(*command, "--profile", "fare-evasion", "--assume-rule", rule)
    assert code == 0, err
    assert "What-if: rules from" in out
    assert "after" in out.lower()


# ------------------------------------------------------------------ precedents

def test_precedents_come_from_other_packs_by_flow_kind(nyc, nyc_engine):
    ct = load_pack("connecticut")
    ct_kinds = {ct.flows[e.flow].kind for r in ct.rules.values() for e in r.effects
                if e.effect != "does-not-touch"}
    from graphflow.analysis.cuts import precedents

    shown = 0
    for fid, flow in nyc.flows.items():
        got = precedents(nyc, fid)
        assert all(p["pack"] != "nyc" for p in got)
        want = sorted(r.id for r in ct.rules.values() for e in r.effects
                      if e.effect != "does-not-touch" and ct.flows[e.flow].kind == flow.kind)
        assert sorted(p["rule"] for p in got if p["pack"] == "connecticut") == want
        shown += bool(got)
        if flow.kind in ct_kinds:
            assert got
    assert shown


# ------------------------------------------------------------------ exposure and Markdown

def test_exposure_gives_the_fastest_latency_or_says_why_none_is_known(nyc, nyc_engine):
    from graphflow.analysis.exposure import exposure

    query = make_query(nyc, source=None, target=None, profile="prior-removal-order",
                       as_of=DATES[1])
    routes = run_query(nyc, nyc_engine, query).routes
    items = exposure(nyc, routes)
    assert items
    for e in items:
        carrying = [r for r in routes if e["data"] in r.data]
        timed = [sum(nyc.flows[f].latency_hours for f in r.flows) for r in carrying
                 if all(nyc.flows[f].latency_hours is not None for f in r.flows)]
        if timed:
            assert e["fastest_hours"] == min(timed) and e["latency_unknown_why"] is None
        else:
            assert e["fastest_hours"] is None
            missing = {f for r in carrying for f in r.flows
                       if nyc.flows[f].latency_hours is None}
            assert f"{len(missing)} hop(s) record none" in e["latency_unknown_why"]


@pytest.mark.parametrize("command", [
    ("cut", "--as-of", "2017-03-01", "--controllable-by", "state"),
    ("exposure", "--as-of", "2017-03-01"),
    ("diff", "--as-of", "2017-03-01", "--as-of", "2026-12-01"),
    ("timeline",),
])
def test_markdown_has_a_query_header_named_tables_and_sources(run_cli, command):
    code, out, err = run_cli(*command, "--profile", "fare-evasion", "--format", "md")
    assert code == 0, err
    assert out.startswith("# ")
    assert "| Query | Value |" in out and "| Profile | fare-evasion |" in out
    assert "not legal advice" in out
    assert "| before |" not in out.split("\n")[0]
    if command[0] != "timeline":
        assert "### Sources" in out or "### Sources (" in out
    if command[0] == "cut":
        assert "| Flow | Name |" in out and "What closing it means" in out


# ------------------------------------------------------------------ timeline

@pytest.mark.parametrize("pack_id", ["nyc", "connecticut"])
def test_streamed_timeline_matches_run_query_on_every_probe_date(pack_id):
    pack = load_pack(pack_id)
    engine = EmbeddedEngine(pack)
    for profile in sorted(pack.profiles):
        query = make_query(pack, source=None, target=None, profile=profile, as_of=DATES[1])
        data = timeline(pack, engine, query)
        assert data["routes"]
        days = list(data["routes"][0]["statuses"])
        truth = {}
        for d in days:
            for r in run_query(pack, engine, replace(query, as_of=dt.date.fromisoformat(d))
                               ).routes:
                truth[r.id, d] = (r.status.value, r.evidence.state)
        for row in data["routes"]:
            state = (row["before"]["status"], row["before"]["evidence"])
            changes = iter(row["changes"])
            nxt = next(changes, None)
            labels = [f"before {row['before']['until']}", *data["dates"]]
            for d, label in zip(days, labels, strict=True):
                if nxt is not None and nxt["date"] == label:
                    state = (nxt["status"], nxt["evidence"])
                    nxt = next(changes, None)
                assert row["statuses"][d] == truth[row["route"], d][0]
                assert state == truth[row["route"], d], (profile, row["route"], d)


# ------------------------------------------------------------------ the text views read as words

def _said(value) -> str:
    """How a reader says a fact value (written here, not taken from graphflow)."""
    return {True: "yes", False: "no", None: "unknown"}.get(value, str(value).replace("-", " ")) \
        if not isinstance(value, str) else value.replace("-", " ")


@pytest.mark.parametrize("command", [
    ("cut", "--as-of", "2026-12-01"),
    ("exposure", "--as-of", "2026-12-01"),
    ("timeline", "--as-of", "2026-12-01", "--since", "2014-01-01"),
])
@pytest.mark.parametrize("profile", ["fare-evasion", "prior-removal-order"])
def test_text_views_name_the_case_in_words_on_short_lines(nyc, run_cli, command, profile):
    code, out, err = run_cli(*command, "--profile", profile)
    assert code == 0, err
    lines = out.split("\n")
    assert lines[0].startswith(command[0].capitalize() + ": nypd-arrest → ice, pack nyc, "
                               f"profile {profile}")
    assert lines[1].startswith("  Case: ")
    case = [lines[1]] + list(itertools.takewhile(lambda s: s.startswith("    "), lines[2:]))
    assert all(len(line) <= 100 for line in [lines[0], *case])
    for fact, value in nyc.profiles[profile].facts.items():
        said = f"{fact.replace('-', ' ')}: {_said(value)}"
        assert sum(said in line for line in case) == 1, said  # each fact once, never split
    assert "=True" not in out and "=False" not in out


def test_cut_prints_each_citation_once_per_flow_with_every_role(run_cli):
    args = ("cut", "--profile", "fare-evasion", "--as-of", "2026-12-01")
    code, out, err = run_cli(*args)
    assert code == 0, err
    _, js, _ = run_cli(*args, "--format", "json")
    cut = json.loads(js)["before"]["cut"]
    assert len(cut) >= 2
    text = " ".join(out.split())
    blocks = [" ".join(b.split()) for b in out.split("\n  - ")[1:]]  # one per cut flow
    for f in cut:
        block = next(b for b in blocks if b.startswith(f["flow"] + ":"))
        quotes = [s["quote"] for s in f["sources"][:2]]
        quotes += [p["source"]["quote"] for p in f["power"] if p.get("source")]
        for quote in set(quotes):
            assert block.count(" ".join(quote.split())) == 1, (f["flow"], quote)
        for p in f["power"]:
            if p.get("source"):
                assert f"power of {p['jurisdiction']}" in block
    # a cut flow's own source that also proves a jurisdiction's power names both roles
    assert any(s["quote"] == p["source"]["quote"] for f in cut for s in f["sources"][:2]
               for p in f["power"] if p.get("source"))
    assert "source, power of" in text


def test_diff_never_explains_a_change_by_a_rule_that_does_not_touch_the_flow(nyc, run_cli):
    code, out, err = run_cli("diff", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--as-of", "2026-12-01", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    untouched = 0
    explained = 0
    for change in data["changed"]:
        for hop in change["hops"]:
            idle = [nyc.rules[e.rule].name for e in nyc.effects_on(hop["flow"])
                    if e.effect == "does-not-touch"]
            untouched += bool(idle)
            assert not [w for w in hop["why"] for name in idle if name in w], hop
            if hop["before"] != hop["after"]:
                assert hop["why"], hop  # a status that changed is still explained
                explained += 1
    # the data has both: hops with a rule that does not touch them, and status changes
    assert untouched and explained


def test_timeline_says_when_evidence_grows_old_in_words(nyc, run_cli):
    from graphflow.core.dates import add_months, parse_date
    from graphflow.core.evidence import flow_span

    code, out, err = run_cli("timeline", "--profile", "fare-evasion", "--as-of", "2026-12-01",
                             "--since", "2014-01-01", "--format", "json")
    assert code == 0, err
    months = nyc.evidence_horizon_months
    old = 0
    for row in json.loads(out)["routes"]:
        for change in row["changes"]:
            day = parse_date(change["date"])
            for cause in change["causes"]:
                if not cause.startswith("the latest evidence for flow "):
                    continue
                fid = next(f for f in nyc.flows if f"flow {f} (" in cause)
                said = cause.split(f"flow {fid} (", 1)[1].split(")", 1)[0]
                assert said == flow_span(nyc, fid).last_text  # the flow's latest evidence
                # stale the day after that date's last day plus the horizon
                assert add_months(parse_date(said, end=True), months) + dt.timedelta(days=1) \
                    == day, cause
                assert cause.endswith(f"is now more than {months} months old")
                old += 1
    assert old
    assert "(+" not in out and "(-" not in out


def test_exposure_table_prints_why_a_latency_is_unknown_whole(run_cli):
    args = ("exposure", "--profile", "fare-evasion", "--as-of", "2026-12-01")
    code, out, err = run_cli(*args)
    assert code == 0, err
    items = json.loads(run_cli(*args, "--format", "json")[1])["before"]
    why = [r for r in items if r.get("latency_unknown_why")]
    assert why
    text = " ".join(out.split())
    for r in why:  # each reason whole (never cut to a column's width), with its data item
        assert f"{r['data']}: {' '.join(r['latency_unknown_why'].split())}" in text
    assert "…" not in out


@pytest.mark.parametrize("command", [
    ("cut", "--as-of", "2026-12-01"),
    ("diff", "--as-of", "2017-03-01", "--as-of", "2026-12-01"),
    ("timeline", "--as-of", "2026-12-01", "--since", "2014-01-01"),
])
def test_analysis_text_views_wrap_at_100_characters(run_cli, command):
    code, out, err = run_cli(*command, "--profile", "prior-removal-order")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) > 10
    # only a single token longer than the width (a URL) may stand alone on a longer line
    assert [line for line in lines if len(line) > 100 and len(line.split()) > 1] == []
    assert " to now" not in out  # a rule in force says "since ..."
