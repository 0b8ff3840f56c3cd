"""Policy analysis on the NYC pack: cuts, what-ifs, diffs, timelines and exposure."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from graphflow.analysis.cuts import BASIS_WEIGHTS, flow_weight, minimum_cut, resolve_controller
from graphflow.analysis.whatif import Scenario, apply
from graphflow.audit import make_query, run_query
from graphflow.core.status import Status
from tests.conftest import SEED_DAY, TODAY, nyc_routes, routes_through

FINGERPRINT = "fbi-prints-to-dhs"
WARRANT = "warrant-check-contacts-ice"
DOC_NOTICE = "doc-release-notice-to-ice"


def open_routes(report):
    return [r for r in report.routes if r.status is Status.OPEN]


def test_no_city_cut_for_fare_evasion_because_of_fingerprints(nyc, nyc_engine):
    routes = open_routes(nyc_routes(nyc, nyc_engine, "fare-evasion"))
    assert routes
    city = minimum_cut(nyc, routes, resolve_controller(nyc, "city"))
    assert not city.exists
    assert any(FINGERPRINT in r.flows for r in city.remaining)
    for r in city.remaining:  # each named route really has no city-controllable flow
        assert all("nyc" not in nyc.controllers_of(nyc.flows[f]) for f in r.flows)
    state = minimum_cut(nyc, routes, resolve_controller(nyc, "state"))
    assert state.exists and state.flows
    assert (state.exists, state.flows) != (city.exists, city.flows)
    closed = apply(nyc, Scenario(closed=tuple(state.flows)))
    after = nyc_routes(closed, nyc_engine, "fare-evasion")
    assert after.summary["open"] == 0  # the state cut really stops every open route


def test_unrestricted_cut_is_minimal_and_stops_everything(nyc, nyc_engine):
    routes = open_routes(nyc_routes(nyc, nyc_engine, "prior-removal-order"))
    cut = minimum_cut(nyc, routes)
    assert cut.exists and cut.flows
    after = nyc_routes(apply(nyc, Scenario(closed=tuple(cut.flows))), nyc_engine,
                       "prior-removal-order")
    assert after.summary["open"] == 0
    for i in range(len(cut.flows)):  # dropping any one cut flow leaves something open
        fewer = tuple(f for j, f in enumerate(cut.flows) if j != i)
        again = nyc_routes(apply(nyc, Scenario(closed=fewer)), nyc_engine, "prior-removal-order")
        assert again.summary["open"] > 0


def test_weighted_cut_prefers_discretionary_flows(nyc, nyc_engine):
    routes = open_routes(nyc_routes(nyc, nyc_engine, "prior-removal-order"))
    plain = minimum_cut(nyc, routes, weighted=False)
    weighted = minimum_cut(nyc, routes, weighted=True)
    assert weighted.exists
    # the documented preference: closing discretionary practice is cheapest, mandates dearest
    order = ["discretionary", "routine-practice", "unknown", "mandated"]
    assert sorted(BASIS_WEIGHTS, key=BASIS_WEIGHTS.get) == order
    assert {f.basis for f in nyc.flows.values()} <= set(BASIS_WEIGHTS)  # no silent fallback
    cost = sum(flow_weight(nyc, f, True) for f in weighted.flows)
    assert cost == weighted.cost
    assert cost <= sum(flow_weight(nyc, f, True) for f in plain.flows)
    # minimal: every flow of the cut is needed (without it some open route stays open)
    for drop in weighted.flows:
        rest = set(weighted.flows) - {drop}
        assert any(not (set(r.flows) & rest) for r in routes), f"{drop} is not needed"


def test_closing_warrant_check_removes_that_open_route(nyc, nyc_engine):
    before = routes_through(nyc_routes(nyc, nyc_engine, "prior-removal-order"), WARRANT)
    assert Status.OPEN in {r.status for r in before}
    closed = apply(nyc, Scenario(closed=(WARRANT,)))
    after = routes_through(nyc_routes(closed, nyc_engine, "prior-removal-order"), WARRANT)
    assert after and all(r.status is Status.BLOCKED for r in after)
    assert nyc.flows[WARRANT] is closed.flows[WARRANT]  # the pack itself is untouched
    assert "what-if-close" not in nyc.rules


def _doc_case(nyc, engine):
    """A case and date, found in the data, where the DOC release-notice route is not blocked
    and no judicial warrant is known."""
    days = sorted({r.starts for r in nyc.rules.values() if r.starts} | {SEED_DAY, TODAY})
    for profile in nyc.profiles:
        for day in days:
            sets = ["judicial-warrant=false", "in-doc-custody=true"]
            query = make_query(nyc, source="nypd-arrest", target="ice", profile=profile,
                               sets=sets, as_of=day)
            found = routes_through(run_query(nyc, engine, query), DOC_NOTICE)
            if any(r.status in (Status.OPEN, Status.CONDITIONAL) for r in found):
                return profile, sets, day
    return None


def test_hypothetical_judicial_warrant_rule_blocks_doc_route(nyc, nyc_engine, tmp_path):
    case = _doc_case(nyc, nyc_engine)
    assert case, "the data should have a date/case where DOC notices were not blocked"
    profile, sets, day = case
    rule = tmp_path / "rule.yaml"
    rule.write_text(
        "rules:\n"
        "  - id: what-if-doc-judicial-warrant\n"
        "    name: Hypothetical - release notices only with a judicial warrant\n"
        "    jurisdiction: nyc\n"
        "    kind: law\n"
        "    citations:\n"
        f"      - {{source: {nyc.flows[DOC_NOTICE].citations[0].source}, locator: what-if,\n"
        f"         quote: {json.dumps(nyc.flows[DOC_NOTICE].citations[0].quote)}}}\n"
        "    effects:\n"
        f"      - flow: {DOC_NOTICE}\n"
        "        effect: allows-only-when\n"
        "        when: {fact: judicial-warrant, is: true}\n"
    )
    changed = apply(nyc, Scenario(rule_files=(str(rule),)))
    found = routes_through(nyc_routes(changed, nyc_engine, profile, day, sets=sets), DOC_NOTICE)
    assert found and all(r.status is Status.BLOCKED for r in found)
    hop = next(h for h in found[0].hops if h.flow == DOC_NOTICE)
    assert any(r.rule == "what-if-doc-judicial-warrant" and r.status is Status.BLOCKED
               for r in hop.reasons)


def test_diff_2017_to_today_reports_courthouse_rules(run_cli):
    code, out, err = run_cli("diff", "--as-of", "2017-03-01", "--as-of", TODAY.isoformat(),
                             "--profile", "fare-evasion", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["changed"]
    changed_flows = {h["flow"] for c in data["changed"] for h in c["hops"]}
    assert "ice-courthouse-arrest" in changed_flows
    causes = {c.get("rule") for c in data["causes"]}
    courthouse_rules = {e.rule for e in _nyc().effects_on("ice-courthouse-arrest")}
    assert causes & courthouse_rules


def _nyc():
    from graphflow.packs.loader import load_pack

    return load_pack("nyc")


def test_timeline_shows_status_change_dates(run_cli, nyc, nyc_engine):
    code, out, err = run_cli("timeline", "--profile", "fare-evasion", "--as-of",
                             SEED_DAY.isoformat(), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["dates"] == sorted(data["dates"])
    # every status the timeline states is the status a query on that date finds
    probed = sorted({d for r in data["routes"] for d in r["statuses"]})
    for day in probed:
        found = {r.id: r.status.value for r in nyc_routes(
            nyc, nyc_engine, "fare-evasion", dt.date.fromisoformat(day)).routes}
        for row in data["routes"]:
            if day in row["statuses"]:
                assert row["statuses"][day] == found[row["route"]], (row["route"], day)
    # the courthouse-arrest routes change, and the change names a courthouse rule
    court = [r for r in data["routes"] if "ice-courthouse-arrest" in
             next(x for x in nyc_routes(nyc, nyc_engine, "fare-evasion").routes
                  if x.id == r["route"]).flows]
    assert court and all(r["changes"] for r in court)
    names = {nyc.rules[e.rule].name for e in nyc.effects_on("ice-courthouse-arrest")}
    causes = " ".join(c for r in court for ch in r["changes"] for c in ch["causes"])
    assert any(name in causes for name in names)


def test_exposure_lists_data_reaching_ice(run_cli):
    code, out, err = run_cli("exposure", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--format", "json")
    assert code == 0, err
    items = {e["data"]: e for e in json.loads(out)["before"]}
    assert items, "something reaches ICE for a turnstile jumper in 2017"
    for e in items.values():
        assert e["routes"] == len(e["route_ids"]) >= 1
        assert e["weakest_confidence"] in ("documented", "reported", "alleged")


ANALYSES = {
    "cut": ("cut", "--profile", "fare-evasion", "--controllable-by", "state", "--as-of",
            "2017-03-01"),
    "exposure": ("exposure", "--profile", "fare-evasion", "--as-of", "2017-03-01"),
    "diff": ("diff", "--as-of", "2017-03-01", "--as-of", "2025-01-01"),
    "timeline": ("timeline", "--profile", "civil-summons", "--as-of", "2017-03-01"),
}


def _named(name: str, data: dict) -> set[str]:
    """The ids each format must show: cut flows, data items, changed or listed routes."""
    if name == "cut":
        return {f["flow"] for f in data["before"]["cut"]}
    if name == "exposure":
        return {e["data"] for e in data["before"]}
    if name == "diff":
        return {c["route"] for c in data["changed"]}
    return {r["route"] for r in data["routes"]}


@pytest.mark.parametrize("fmt", ["table", "csv", "md"])
@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_analysis_formats(run_cli, name, fmt):
    code, out, err = run_cli(*ANALYSES[name], "--format", "json")
    assert code == 0, err
    ids = _named(name, json.loads(out))
    assert ids, f"{name} finds something for this case"
    code, out, err = run_cli(*ANALYSES[name], "--format", fmt)
    assert code == 0, err
    missing = [i for i in ids if i not in out]
    assert not missing, f"{name} --format {fmt} does not show {missing}"
    if fmt == "csv":
        import csv
        import io

        rows = list(csv.reader(io.StringIO(out)))
        assert len({len(r) for r in rows}) == 1 and len(rows) > 1
    if fmt == "md":
        assert "|---" in out


def test_whatif_shows_before_and_after(run_cli):
    code, out, err = run_cli("cut", "--profile", "prior-removal-order", "--as-of", "2017-03-01",
                             "--close", WARRANT,
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["scenario"] == {"assume_rules": [], "close": [WARRANT]}
    assert data["before"]["routes_to_stop"] > data["after"]["routes_to_stop"]


def test_what_if_never_modifies_the_pack_on_disk(run_cli, tmp_path):
    from graphflow.packs.locate import data_root

    files = sorted(Path(data_root(), "nyc").glob("*.yaml"))
    before = {p: p.read_bytes() for p in files}
    code, out, err = run_cli("exposure", "--close", WARRANT, "--profile",
                             "prior-removal-order", "--as-of", "2017-03-01", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["scenario"]["close"] == [WARRANT]
    assert {p: p.read_bytes() for p in files} == before
    assert files


BAD = [
    (("cut", "--close", "warrant-check-contacts-ise"), "unknown flow", "did you mean"),
    (("cut", "--controllable-by", "atlantis"), "no jurisdiction", None),
    (("diff", "--as-of", "2017-03-01", "--as-of", "2017-03-01"), "both --as-of dates", None),
    (("diff", "--as-of", "2017-03-01"), "exactly two", None),
    (("exposure", "--assume-rule", "/nonexistent/rule.yaml"), "file not found", None),
]


@pytest.mark.parametrize("args,what,hint", BAD)
def test_analysis_bad_input(run_cli, args, what, hint):
    code, out, err = run_cli(*args)
    assert code != 0 and out == ""
    (line,) = err.strip().splitlines()
    assert what in line and "Traceback" not in err
    if hint:
        assert hint in line


def test_bad_hypothetical_rule_file_reports_line(run_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    name: X\n    jurisdiction: nyc\n    kind: lawz\n"
                   "    citations: [{source: seed-000, locator: l, quote: qqq}]\n")
    code, out, err = run_cli("cut", "--assume-rule", str(bad))
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert f"{bad}:5" in line and "did you mean 'law'" in line


def test_cut_on_empty_route_set_is_trivial(nyc):
    assert minimum_cut(nyc, []).exists


def test_routes_and_leaks_take_what_ifs(run_cli, tmp_path):
    code, out, err = run_cli("leaks", "--profile", "prior-removal-order", "--as-of",
                             "2017-03-01", "--close", WARRANT, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["scenario"]["close"] == [WARRANT]
    _, plain, _ = run_cli("leaks", "--profile", "prior-removal-order", "--as-of",
                          "2017-03-01", "--format", "json")
    plain = json.loads(plain)
    assert data["before_summary"] == plain["summary"]
    closed = {r["id"] for r in plain["routes"] if WARRANT in r["flows"]}
    assert closed, "some open route uses the warrant check"
    assert data["before_summary"]["open"] - data["summary"]["open"] == len(closed)
    assert {c["route"] for c in data["changes"]} == closed
    (change,) = data["changes"]
    assert (change["before"], change["after"]) == ("open", "blocked")
    assert [h["flow"] for h in change["hops"]] == [WARRANT]
    assert all(WARRANT not in r["flows"] for r in data["routes"])
    code, out, _ = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                           "2017-03-01", "--close", WARRANT)
    assert code == 0 and out.startswith("What-if:")
