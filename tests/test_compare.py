"""`graphflow compare`: one case across packs (graphflow/analysis/across.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from graphflow.analysis.across import Case, compare
from graphflow.audit import make_query, run_query
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs.loader import load_pack

DAY = dt.date(2017, 3, 1)
LAYERS = Path(__file__).parent / "fixtures" / "layers"
# An arrest with no record: custodial, no conviction, no warrant, ICE asks for a detainer.
NO_RECORD = {"arrest-type": "custodial-arrest", "any-prior-conviction": "false",
             "last-violent-or-serious-conviction": "none", "prior-removal-order": "false",
             "prior-deportation": "false", "terrorist-watchlist-match": "false",
             "judicial-warrant": "false", "detainer-lodged": "true"}
ARGS = ("compare", "--data", "nyc", "--data", "connecticut", "--as-of", "2017-03-01",
        "--profile-facts", ",".join(f"{k}={v}" for k, v in NO_RECORD.items()))


@pytest.fixture(scope="module")
def result():
    return compare([load_pack("nyc"), load_pack("connecticut")], Case(settings=NO_RECORD), DAY)


def _kind(result, kind):
    (row,) = [r for r in result["kinds"] if r["kind"] == kind]
    return row["packs"]


def _route(pack, route_id, facts):
    query = make_query(pack, source=None, target=None, as_of=DAY,
                       sets=[f"{k}={v}" for k, v in facts.items()])
    (route,) = [r for r in run_query(pack, EmbeddedEngine(pack), query).routes
                if r.id == route_id]
    return route


def test_no_record_arrest_in_2017(result):
    prints = _kind(result, "fingerprint-submission")
    detainer = _kind(result, "detainer-hold")
    for pid, p in (("nyc", "nyc"), ("connecticut", "connecticut")):
        pack = load_pack(p)
        cell = prints[pid]
        assert cell["status"] == "open"
        facts = next(x["facts"] for x in result["packs"] if x["id"] == pid)
        route = _route(pack, cell["route"], facts)  # the same route `graphflow routes` gives
        assert route.status.value == "open"
        assert any(pack.flows[f].kind == "fingerprint-submission" for f in route.flows)
        d = detainer[pid]["deciding"]
        assert detainer[pid]["status"] == "blocked"
        dr = _route(pack, detainer[pid]["route"], facts)
        assert dr.status.value == "blocked"
        stop = dr.hops[dr.stop]
        assert d["rule"] in {r.rule for r in stop.reasons if r.status is stop.status}
        assert d["source"]["id"] in pack.sources
    n, c = detainer["nyc"]["deciding"], detainer["connecticut"]["deciding"]
    assert n["rule"] != c["rule"]
    assert (n["jurisdiction"], c["jurisdiction"]) == ("nyc", "ct")


def test_facts_a_pack_does_not_define_are_named(result):
    ct = next(p for p in result["packs"] if p["id"] == "connecticut")
    pack = load_pack("connecticut")
    assert ct["facts_undefined"] == sorted(k for k in NO_RECORD if k not in pack.facts)
    assert "any-prior-conviction" in ct["facts_undefined"]
    assert set(ct["facts"]) == {k for k in NO_RECORD if k in pack.facts}
    nyc = next(p for p in result["packs"] if p["id"] == "nyc")
    assert nyc["facts_undefined"] == []


def test_profile_is_matched_by_fact_ids():
    r = compare([load_pack("nyc"), load_pack("connecticut")], Case("ct-detainer-no-warrant"),
                DAY)
    assert r["profile_from"] == "connecticut"
    nyc = next(p for p in r["packs"] if p["id"] == "nyc")
    ct_facts = load_pack("connecticut").profiles["ct-detainer-no-warrant"].facts
    shared = {k for k in ct_facts if k in load_pack("nyc").facts}
    assert set(nyc["facts"]) == shared and nyc["facts_undefined"] == ["student-at-school"]


def test_formats(run_cli, result):
    code, out, err = run_cli(*ARGS, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["kinds"] == json.loads(json.dumps(result["kinds"]))
    code, out, _ = run_cli(*ARGS, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 * len(result["kinds"])
    row = next(r for r in rows if r["kind"] == "detainer-hold" and r["pack"] == "connecticut")
    assert row["deciding_rule"] == _kind(result, "detainer-hold")["connecticut"]["deciding"][
        "rule"]
    code, out, _ = run_cli(*ARGS, "--format", "md")
    assert "| kind | nyc | connecticut |" in out and "not legal advice" in out
    code, out, _ = run_cli(*ARGS)
    assert code == 0 and "does not define: any-prior-conviction" in " ".join(out.split())


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_deciding_rules_cite_title_publisher_date_and_url(run_cli, fmt):
    """Every deciding rule's citation names its document as every other command does: title,
    publisher, date, URL, and the original a research note quotes (read from the packs)."""
    code, out, err = run_cli(*ARGS, "--format", fmt)
    assert code == 0, err
    text = " ".join(out.split())
    cited = 0
    for pid in ("nyc", "connecticut"):
        pack = load_pack(pid)
        for row in json.loads(run_cli(*ARGS, "--format", "json")[1])["kinds"]:
            d = (row["packs"][pid] or {}).get("deciding") or {}
            if not d.get("source"):
                continue
            cit = next(c for e in pack.effects_on(row["packs"][pid]["deciding_flow"])
                       if e.rule == d["rule"] for c in e.citations) \
                if any(e.rule == d["rule"] and e.citations
                       for e in pack.effects_on(row["packs"][pid]["deciding_flow"])) \
                else pack.rules[d["rule"]].citations[0]
            src = pack.sources[cit.source]
            for field in (src.title, src.publisher, src.date, src.url):
                if field:
                    assert str(field) in text, (pid, d["rule"], field)
            if cit.original:
                orig = pack.sources[cit.original]
                for field in (orig.title, orig.publisher, orig.url):
                    if field:
                        assert str(field) in text, (pid, d["rule"], field)
            cited += 1
    assert cited >= 5


def test_html_is_offline_and_escaped(tmp_path, run_cli):
    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    rules = layers / "state" / "rules.yaml"
    data = yaml.safe_load(rules.read_text())
    data["rules"][0]["name"] = "<img src=x onerror=alert(1)> & \"law\""
    rules.write_text(yaml.safe_dump(data, sort_keys=False))
    page = tmp_path / "out.html"
    code, out, err = run_cli("compare", "--data", str(layers / "county"), "--data",
                             str(layers / "county2"), "--as-of", "2017-03-01", "--format",
                             "html", "-o", str(page))
    assert code == 0, err
    html = page.read_text()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;law&#34;" in html
    assert "<script" not in html.lower()
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "src=\"http" not in html and "not legal advice" in html


@pytest.mark.parametrize("args,what", [
    (("--profile-facts", "judicial-warant=false"), "fact 'judicial-warant' is defined by none"),
    (("--profile", "fare-evasio"), "no pack given has that profile"),
    (("--profile-facts", "judicial-warrant"), "is not fact=value"),
    (("--profile-facts", "judicial-warrant=maybe"), "judicial-warrant"),
])
def test_bad_input(run_cli, args, what):
    code, out, err = run_cli("compare", "--data", "nyc", "--data", "connecticut", "--as-of",
                             "2017-03-01", *args)
    assert code != 0 and out == ""
    assert what in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.browser
def test_html_page_in_chromium(run_cli, recorded_page, tmp_path, result):
    page_file = tmp_path / "compare.html"
    code, _, err = run_cli(*ARGS, "--format", "html", "-o", str(page_file))
    assert code == 0, err
    rec = recorded_page
    rec.page.goto(page_file.resolve().as_uri(), wait_until="load")
    assert rec.remote_requests() == [] and rec.console_errors == [] and rec.page_errors == []
    rows = rec.page.eval_on_selector_all(
        "tbody tr", "rs => rs.map(r => r.querySelector('th').textContent)")
    assert rows == [r["kind"] for r in result["kinds"]]
    cell = rec.page.inner_text("tbody tr:has(th:text-is('detainer-hold')) td:nth-child(3)")
    assert _kind(result, "detainer-hold")["connecticut"]["deciding"]["rule"] in cell
    # the page's own style applies (the CSP allows it by hash)
    bg = rec.page.eval_on_selector("td.blocked", "e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(220, 252, 231)"
