"""Packs that compose (extends:, override:) and rule effects by selector, on the layer
fixtures (tests/fixtures/layers: fed <- state <- county, county2 <- both)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from graphflow.audit import make_query, run_query
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs.layers import sender_jurisdictions
from graphflow.packs.loader import check_pack, load_pack

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "tests" / "fixtures" / "layers"
DAY = dt.date(2017, 3, 1)
ONE_LINE = re.compile(r"^(?P<file>[^\s:]+\.yaml):(?P<line>\d+): error: (?P<what>.+)$")


@pytest.fixture()
def layers(tmp_path: Path) -> Path:
    """A writable copy of the layer fixtures."""
    dst = tmp_path / "layers"
    shutil.copytree(LAYERS, dst)
    return dst


def _edit(path: Path, fn) -> None:
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _errors(run_cli, pack: Path) -> list[re.Match]:
    code, out, err = run_cli("validate", str(pack))
    assert code == 1
    assert "Traceback" not in err
    lines = [ONE_LINE.match(x) for x in err.splitlines() if ": error: " in x]
    assert lines and all(lines), err
    return lines


def test_county_without_federal_actors_finds_the_fingerprint_route():
    own = yaml.safe_load((LAYERS / "county" / "actors.yaml").read_text())["actors"]
    assert {a["level"] for a in own} == {"county"}  # no federal actor of its own
    pack = load_pack(LAYERS / "county")
    assert pack.layering.layers[-1]["id"] == "county"
    assert [x["id"] for x in pack.layering.layers] == ["fed", "state", "county"]
    query = make_query(pack, source=None, target=None, as_of=DAY)
    report = run_query(pack, EmbeddedEngine(pack), query)
    prints = [r for r in report.routes if r.status.value == "open"]
    assert [r.flows for r in prints] == [
        ("c1-booking", "c1-prints-to-repo", "repo-to-bureau", "bureau-to-idb", "idb-to-agency")]
    assert pack.layering.layer_of("flows", "bureau-to-idb") == "fed"
    assert pack.layering.layer_of("flows", "repo-to-bureau") == "state"


def test_selector_effect_governs_the_flows_it_should():
    pack = load_pack(LAYERS / "both")
    expected = [f.id for f in pack.flows.values()
                if "release" in f.data and pack.actors[f.source].kind == "facility"
                and "st" in sender_jurisdictions(pack, f.source)]
    assert len(expected) == 2  # one jail per county fixture
    rule = pack.rules["state-release-law"]
    assert [e.flow for e in rule.effects] == expected
    assert all(e.effect == "blocks" for e in rule.effects)
    assert {e.flow for e in pack.effects_on("c2-release-notice")} == {"c2-release-notice"}
    (record,) = pack.layering.selectors
    assert record["matched"] == expected
    assert record["where"].endswith("state/rules.yaml:9")
    query = make_query(pack, source="c2-arrest", target="agency", as_of=DAY)
    report = run_query(pack, EmbeddedEngine(pack), query)
    jail = [r for r in report.routes if "c2-release-notice" in r.flows]
    assert jail and all(r.status.value == "blocked" for r in jail)


def test_diamond_counts_each_base_once():
    pack = load_pack(LAYERS / "both")
    assert [x["id"] for x in pack.layering.layers] == ["fed", "state", "county", "county2",
                                                       "both"]
    assert pack.layering.overrides == []
    assert pack.default_trigger == "c2-arrest"  # the last base that sets one


def test_validate_and_explain_report_selectors(run_cli):
    code, out, err = run_cli("validate", str(LAYERS / "both"), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["layers"]["layers"][-1] == "both"
    assert data["layers"]["selectors"][0]["matched"] == ["c1-release-notice",
                                                         "c2-release-notice"]
    code, out, err = run_cli("validate", str(LAYERS / "both"))
    assert code == 0
    assert "blocks 2 flow(s): c1-release-notice, c2-release-notice" in out
    code, out, err = run_cli("explain", "state-release-law", "--data", str(LAYERS / "both"),
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [e["flow"] for e in data["effects"]] == ["c1-release-notice", "c2-release-notice"]
    assert data["selectors"][0]["matched"] == 2
    assert data["layer"] == "state"


def test_abstract_layer_alone_warns_on_an_empty_selector():
    result = check_pack(LAYERS / "state")
    assert not result.errors
    (warn,) = result.warnings
    assert "matches no flow" in warn.what and warn.where.endswith("state/rules.yaml:9")


def test_override_is_explicit_and_reported(layers, run_cli):
    def add(data):
        data["flows"].append({
            "id": "idb-to-agency", "override": True, "from": "idb", "to": "agency",
            "data": ["prints"], "mechanism": "on-request", "confidence": "documented",
            "citations": [{"source": "doc", "locator": "line 2",
                           "quote": "The immigration database tells the immigration agency"}]})
    _edit(layers / "county" / "flows.yaml", add)
    pack = load_pack(layers / "county")
    assert pack.flows["idb-to-agency"].mechanism == "on-request"
    (o,) = pack.layering.overrides
    assert (o["kind"], o["id"], o["layer"], o["replaces"]) == ("flows", "idb-to-agency",
                                                              "county", "fed")
    code, out, err = run_cli("validate", str(layers / "county"))
    assert code == 0, err
    assert re.search(r"county/flows\.yaml:\d+: override: flow 'idb-to-agency' of layer 'fed' "
                     r"replaced by 'county'", out)
    code, out, err = run_cli("explain", "idb-to-agency", "--data", str(layers / "county"),
                             "--format", "json")
    data = json.loads(out)
    assert data["overrides"]["layer"] == "county"
    assert data["overrides"]["replaces"].startswith("fed (")


# -- bad input: one line each, with file:line -------------------------------------------------

def test_extends_cycle(layers, run_cli):
    _edit(layers / "fed" / "pack.yaml", lambda d: d.update(extends=["county"]))
    (e,) = [m for m in _errors(run_cli, layers / "county") if "cycle" in m["what"]]
    assert e["file"].endswith("fed/pack.yaml") and int(e["line"]) > 1
    assert "extends cycle: county -> state -> fed -> county" in e["what"] or \
        "extends cycle: county -> fed -> county" in e["what"]


def test_unknown_base(layers, run_cli):
    _edit(layers / "county" / "pack.yaml", lambda d: d.update(extends=["fed", "sate"]))
    (e,) = _errors(run_cli, layers / "county")
    assert e["file"].endswith("county/pack.yaml")
    assert "unknown base pack 'sate'" in e["what"] and "did you mean 'state'" in e["what"]
    code, out, err = run_cli("routes", "--data", str(layers / "county"), "--as-of",
                             "2017-03-01")
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_selector_matching_nothing(layers, run_cli):
    def sel(data):
        data["rules"][0]["effects"][0]["select"] = {"data": "release", "from_kind": "court"}
    _edit(layers / "state" / "rules.yaml", sel)
    (e,) = _errors(run_cli, layers / "county")
    assert e["file"].endswith("state/rules.yaml")
    assert "selector (data=release, from_kind=court) matches no flow" in e["what"]


def test_selector_unknown_value(layers, run_cli):
    def sel(data):
        data["rules"][0]["effects"][0]["select"] = {"data": "releas"}
    _edit(layers / "state" / "rules.yaml", sel)
    (e,) = _errors(run_cli, layers / "county")
    assert "selector data: 'releas' is not known" in e["what"] and "'release'" in e["what"]


def test_override_of_missing_id(layers, run_cli):
    def add(data):
        data["actors"].append({"id": "burea", "override": True, "name": "x", "kind": "agency",
                               "level": "federal", "jurisdiction": "us"})
    _edit(layers / "county" / "actors.yaml", add)
    (e,) = _errors(run_cli, layers / "county")
    assert e["file"].endswith("county/actors.yaml")
    assert "override of actor 'burea', which no base pack defines" in e["what"]
    assert "did you mean 'bureau'" in e["what"]


def test_same_id_in_a_layer_without_override(layers, run_cli):
    def add(data):
        data["actors"].append({"id": "bureau", "name": "x", "kind": "agency",
                               "level": "federal", "jurisdiction": "us"})
    _edit(layers / "county" / "actors.yaml", add)
    (e,) = _errors(run_cli, layers / "county")
    assert "actor 'bureau' is already defined by layer 'fed'" in e["what"]
    assert "override: true" in e["what"]


def test_two_layers_same_id_without_override(layers, run_cli):
    # county2 defines the actor repo too: `both` extends county (repo from state) and county2
    def add(data):
        data["actors"].append({"id": "c1-jail", "name": "x", "kind": "facility",
                               "level": "county", "jurisdiction": "c2"})
    _edit(layers / "county2" / "actors.yaml", add)
    (e,) = _errors(run_cli, layers / "both")
    assert e["file"].endswith("county2/actors.yaml")
    assert "actor 'c1-jail' is defined by two layers: 'county'" in e["what"]
    assert "and 'county2'" in e["what"]
    # ... and an override in the pack that extends both settles it
    _edit(layers / "both" / "actors.yaml", lambda d: d.update(actors=[{
        "id": "c1-jail", "override": True, "name": "County 1 jail", "kind": "facility",
        "level": "county", "jurisdiction": "c1"}]))
    assert not check_pack(layers / "both").errors


# -- the bundled layers ------------------------------------------------------------------------

def test_county_on_the_bundled_federal_layer_finds_the_fingerprint_route():
    own = yaml.safe_load((LAYERS / "us-county" / "actors.yaml").read_text())["actors"]
    assert {a["level"] for a in own} == {"county"}
    federal = load_pack("us-federal")
    pack = load_pack(LAYERS / "us-county")
    query = make_query(pack, source=None, target="ice", as_of=DAY)
    report = run_query(pack, EmbeddedEngine(pack), query)
    (route,) = [r for r in report.routes if r.status.value == "open"]
    assert route.flows[:3] == ("cty-booking", "cty-prints-to-repo", "st-repo-to-ngi")
    rest = route.flows[3:]
    assert rest and all(f in federal.flows for f in rest)
    assert pack.actors[route.nodes[-1]].jurisdiction == "us"


def test_bundled_packs_are_layered():
    nyc = load_pack("nyc")
    assert [x["id"] for x in nyc.layering.layers] == ["us-federal", "new-york-state", "nyc"]
    assert nyc.layering.layer_of("rules", "nys-green-light-law-2019") == "new-york-state"
    assert nyc.layering.layer_of("rules", "us-8-usc-1373") == "us-federal"
    assert nyc.layering.layer_of("flows", "fbi-prints-to-dhs") == "us-federal"
    # a federal law's effect on a city flow is written in the city layer
    eff = [e for e in nyc.effects_on("officer-voluntary-tip") if e.rule == "us-8-usc-1373"]
    assert eff and "data/nyc/rules.yaml" in eff[0].where
    assert nyc.layering.overrides == []
    ct = load_pack("connecticut")
    assert [x["id"] for x in ct.layering.layers] == ["us-federal", "connecticut"]
    assert [(o["kind"], o["id"], o["replaces"]) for o in ct.layering.overrides] == [
        ("rules", "us-dhs-kelly-memo-2017", "us-federal")]
    for name in ("us-federal", "new-york-state"):
        assert not check_pack(name).problems, name


def test_added_effect_on_an_unknown_rule(layers, run_cli):
    path = layers / "county" / "rules.yaml"
    path.write_text("rules: []\neffects:\n  - rule: state-release-lw\n    flow: c1-custody\n"
                    "    effect: does-not-touch\n")
    (e,) = _errors(run_cli, layers / "county")
    assert e["file"].endswith("county/rules.yaml") and e["line"] == "3"
    assert "rule 'state-release-lw' is not defined" in e["what"]
    assert "did you mean 'state-release-law'" in e["what"]


def test_jurisdiction_parts_follow_parent():
    from graphflow.packs.layers import jurisdiction_and_parents, jurisdiction_parts

    nyc = load_pack("nyc")
    assert jurisdiction_parts(nyc, "nys") == {"nys", "nyc"}
    assert jurisdiction_parts(nyc, "us") == set(nyc.jurisdictions)
    assert jurisdiction_and_parents(nyc, "nyc") == ["nyc", "nys", "us"]
    county = load_pack(LAYERS / "us-county")
    assert county.jurisdictions["cty"].level == "county"
    assert jurisdiction_parts(county, "st") == {"st", "cty"}
    assert sender_jurisdictions(county, "cty-police") == ["cty", "st", "us"]
