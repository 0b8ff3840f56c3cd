"""The NYC pack's evidence over time: the routes whose evidence stops (warrant check 2017, DCJS
alerts 2019-05, listed-offense notice 2017-02, DOC e-mails) never read as current leaks on
2026-12-01, and the warrant check is current in 2017. Expected states come from the pack's own
evidence claims and the horizon, not from the code under test."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from graphflow.core.dates import parse_date
from graphflow.core.evidence import add_months
from graphflow.packs.loader import load_pack
from tests.conftest import SEED_DAY

QUERY_DAY = dt.date(2026, 12, 1)
STOPPED = ("warrant-check-contacts-ice", "dcjs-prior-deportation-alert",
           "dcjs-deportee-alert-to-ero", "ice-deportation-data-to-dcjs",
           "listed-offense-notification", "doc-unsolicited-info-to-ice")
PROFILES = sorted(load_pack("nyc").profiles)


def test_every_stopped_flow_states_when_its_evidence_stops(nyc):
    for fid in STOPPED:
        ev = nyc.flows[fid].evidence
        assert ev is not None and ev.unverified_after and ev.note, fid
        assert parse_date(ev.unverified_after, end=True) < QUERY_DAY, fid


@pytest.mark.parametrize("profile", PROFILES)
def test_no_route_through_a_stopped_flow_reads_as_a_current_leak_today(nyc, run_cli, profile):
    code, out, err = run_cli("routes", "--profile", profile, "--as-of", QUERY_DAY.isoformat(),
                             "--format", "json")
    assert code == 0, err
    for route in json.loads(out)["routes"]:
        for hop in route["hops"]:
            if hop["flow"] in STOPPED:
                assert hop["evidence"]["state"] != "current", (route["id"], hop["flow"])
                assert route["evidence"]["state"] != "current", route["id"]


def test_warrant_check_is_current_in_2017_and_unverified_today(nyc, run_cli):
    flow = nyc.flows["warrant-check-contacts-ice"]
    last = parse_date(flow.evidence.last_verified, end=True)
    assert add_months(last, nyc.evidence_horizon_months) >= SEED_DAY
    for day, state in ((SEED_DAY, "current"), (QUERY_DAY, "unverified")):
        code, out, err = run_cli("routes", "--profile", "prior-removal-order", "--as-of",
                                 day.isoformat(), "--format", "json")
        assert code == 0, err
        routes = [r for r in json.loads(out)["routes"] if flow.id in r["flows"]]
        assert routes and all(r["status"] == "open" for r in routes)  # the rules' verdict
        hops = [h for r in routes for h in r["hops"] if h["flow"] == flow.id]
        assert {h["evidence"]["state"] for h in hops} == {state}, day
        if state == "unverified":
            assert {h["evidence"]["note"] for h in hops} == {flow.evidence.note}


def test_dcjs_alert_is_current_in_2019_and_not_after(nyc, run_cli):
    flow = nyc.flows["dcjs-prior-deportation-alert"]
    stop = parse_date(flow.evidence.unverified_after, end=True)
    for day, current in ((stop, True), (stop + dt.timedelta(days=1), False)):
        code, out, err = run_cli("routes", "--profile", "previously-deported", "--as-of",
                                 day.isoformat(), "--format", "json")
        assert code == 0, err
        states = [h["evidence"]["state"] for r in json.loads(out)["routes"]
                  for h in r["hops"] if h["flow"] == flow.id]
        assert states and all((s == "current") == current for s in states), (day, states)


def test_ll59_amends_ll21(nyc):
    assert "nyc-ll21-2013" in nyc.rules["nyc-ll59-2014"].amends
    assert ("nyc-ll59-2014", "amends") in nyc.overridden_by("nyc-ll21-2013")
    assert ("nyc-ll58-2014", "supersedes") in nyc.overridden_by("nyc-ll22-2013")


def test_the_fingerprint_route_is_an_open_leak_with_current_evidence_in_march_2017(nyc, run_cli):
    """The journalist's headline case: a turnstile jumper's prints reach ICE in March 2017, and
    every hop of that route has evidence within the pack's horizon of the query date."""
    day = dt.date(2017, 3, 1)
    code, out, err = run_cli("leaks", "--profile", "fare-evasion", "--as-of", day.isoformat(),
                             "--format", "json")
    assert code == 0, err
    chain = ["booking-prints-to-dcjs", "dcjs-prints-to-fbi", "fbi-prints-to-dhs",
             "ident-match-to-ice"]
    routes = [r for r in json.loads(out)["routes"] if r["flows"][1:] == chain]
    assert len(routes) == 1
    horizon = nyc.evidence_horizon_months
    for hop in routes[0]["hops"]:
        last = parse_date(hop["evidence"]["last_evidenced"], end=True)
        assert add_months(last, horizon) >= day, hop["flow"]
        assert hop["evidence"]["state"] == "current", hop["flow"]
    assert routes[0]["evidence"]["state"] == "current"
