"""The command line: output formats, and one-line errors for bad input (no traceback)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import MINI


def test_routes_json_shape(run_cli):
    code, out, err = run_cli("routes", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"query", "routes", "summary"}
    assert data["query"]["from"] == "nypd-arrest" and data["query"]["to"] == "ice"
    r = data["routes"][0]
    assert set(r) >= {"id", "status", "confidence", "nodes", "hops"}
    h = r["hops"][0]
    assert set(h) >= {"flow", "from", "to", "status", "reasons", "data", "sources"}
    assert all({"source", "quote"} <= set(s) for s in h["sources"])
    assert sum(data["summary"].values()) >= len(data["routes"])


def test_leaks_only_open(run_cli):
    code, out, _ = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                           "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["routes"] and {r["status"] for r in data["routes"]} == {"open"}


def test_table_is_readable_hop_by_hop(run_cli):
    code, out, _ = run_cli("routes", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                           "--status", "open", "--limit", "1", "--detail")
    assert code == 0
    assert "Route r-" in out and "OPEN" in out and "1. nypd-arrest → " in out
    assert "source: " in out


def test_csv_one_row_per_hop(run_cli):
    code, out, _ = run_cli("routes", "--profile", "civil-summons", "--format", "csv",
                           "--as-of", "2017-03-01")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"route", "hop", "flow", "hop_status"} <= set(rows[0])


def test_markdown(run_cli):
    code, out, _ = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                           "--format", "md")
    assert code == 0 and out.startswith("# Routes from `nypd-arrest` to `ice`")
    _, data, _ = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                         "--format", "json")
    ids = [r["id"] for r in json.loads(data)["routes"]]
    assert ids and [re.match(r"## \d+\. Route (r-[0-9a-f]+):", line).group(1)
                    for line in out.splitlines() if line.startswith("## ")
                    and " Route r-" in line] == ids


def test_names_by_alias_and_case(run_cli):
    code, out, err = run_cli("routes", "--from", "NYPD-ARREST", "--to", "ICE", "--format",
                             "json", "--limit", "1", "--as-of", "2017-03-01")
    assert code == 0, err
    assert json.loads(out)["query"]["to"] == "ice"


def test_explain_flow_rule_actor_source(run_cli):
    for ident, word in (("fbi-prints-to-dhs", "FLOW"), ("nypd", "ACTOR"),
                        ("seed-000", "SOURCE"), ("fare-evasion", "PROFILE"),
                        ("accused-vs-convicted", "CONFLICT")):
        code, out, err = run_cli("explain", ident)
        assert code == 0, err
        assert out.startswith(f"{word} ")


def test_explain_names_conflicts_between_sources(run_cli):
    code, out, _ = run_cli("explain", "nyc-ll59-2014", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["conflicts"], "the accused/convicted disagreement concerns this law"
    conflict = data["conflicts"][0]
    assert len({s["source"] for s in conflict["sources"]}) >= 2
    assert all(s["says"] and s["quote"] for s in conflict["sources"])


def test_explain_route_by_id(run_cli):
    _, out, _ = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                        "--format", "json")
    rid = json.loads(out)["routes"][0]["id"]
    code, out, _ = run_cli("explain", rid, "--profile", "fare-evasion", "--as-of", "2017-03-01")
    assert code == 0 and f"Route {rid}" in out


LISTS = {"actors": "actors", "flows": "flows", "rules": "rules", "profiles": "profiles",
         "sources": "sources", "facts": "facts", "data-items": "data_items",
         "conflicts": "conflicts"}


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_list(run_cli, nyc, kind):
    code, out, err = run_cli("list", kind, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    things = getattr(nyc, LISTS[kind])
    assert things, f"the NYC pack has {kind}"
    assert [r["id"] for r in rows] == list(things)  # every one, in the pack's order
    for row in rows:
        thing = things[row["id"]]
        for key in ("name", "title", "kind", "summary", "type"):
            if key in row:
                value = getattr(thing, key)
                assert row[key] == getattr(value, "value", value), (row["id"], key)


def test_list_packs(run_cli):
    from graphflow.packs.locate import bundled_packs

    code, out, _ = run_cli("list", "packs", "--format", "json")
    assert code == 0 and [r["pack"] for r in json.loads(out)] == list(bundled_packs())
    assert "nyc" in bundled_packs()


def test_validate_mini(run_cli):
    code, out, _ = run_cli("validate", str(MINI), "--sources-dir", str(MINI))
    assert code == 0 and "OK" in out and "5 quotes verified" in out


BAD = [
    (("routes", "--from", "nypd-arest"), "--from: unknown actor 'nypd-arest'", "did you mean"),
    (("routes", "--to", "icee"), "--to: unknown actor 'icee'", "did you mean 'ICE'"),
    (("routes", "--profile", "fare-evasoin"), "unknown profile", "did you mean 'fare-evasion'"),
    (("routes", "--max-hops", "0"), "--max-hops must be at least 1", None),
    (("routes", "--as-of", "2017-13-45"), "is not a valid date", None),
    (("routes", "--as-of", "last tuesday"), "is not a date", "YYYY-MM-DD"),
    (("routes", "--set", "judical-warrant=true"), "unknown fact", "did you mean"),
    (("routes", "--set", "judicial-warrant=maybe"), "true or false", None),
    (("routes", "--status", "opne"), "unknown status", "did you mean 'open'"),
    (("routes", "--data", "nyk"), "no data pack", "did you mean 'nyc'"),
    (("explain", "fbi-prints-to-dsh"), "nothing called", "did you mean"),
]


@pytest.mark.parametrize("args,what,hint", BAD)
def test_bad_input_is_one_line(run_cli, args, what, hint):
    code, out, err = run_cli(*args)
    assert code != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert what in lines[0]
    if hint:
        assert hint in lines[0]
    assert "Traceback" not in err


def test_broken_pack_is_one_line_with_file_line(run_cli, mini_copy):
    p = mini_copy / "flows.yaml"
    p.write_text(p.read_text().replace("mechanism: discretionary", "mechanism: [oops"))
    code, out, err = run_cli("routes", "--data", str(mini_copy))
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert f"{p}:" in line and "broken YAML" in line


def test_unknown_fact_in_pack_condition_is_one_line(run_cli, mini_copy):
    p = mini_copy / "rules.yaml"
    p.write_text(p.read_text().replace("{fact: priors, gte: 1}", "{fact: prior, gte: 1}"))
    code, _, err = run_cli("leaks", "--data", str(mini_copy))
    assert code == 1
    (line,) = err.strip().splitlines()
    assert "unknown fact 'prior'" in line and "did you mean 'priors'" in line
    code, _, err = run_cli("validate", str(mini_copy))
    assert code == 1 and "rules.yaml:" in err


def test_help_everywhere(run_cli):
    for args in (("--help",), ("routes", "--help"), ("leaks", "--help"), ("list", "--help"),
                 ("explain", "--help"), ("validate", "--help")):
        code, out, _ = run_cli(*args)
        assert code == 0 and "Usage:" in out


def test_leaks_with_practice(run_cli):
    code, out, err = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                             "--set", "in-doc-custody=true", "--with-practice", "--format", "json")
    assert code == 0, err
    routes = json.loads(out)["routes"]
    practice = [r for r in routes if r["practice_leak"]]
    assert practice and all(r["status"] == "blocked" for r in practice)
    assert all(r["status"] == "open" for r in routes if not r["practice_leak"])
    code, out, _ = run_cli("leaks", "--profile", "fare-evasion", "--as-of", "2017-03-01",
                           "--set", "in-doc-custody=true", "--format", "json")
    assert not any(r["practice_leak"] for r in json.loads(out)["routes"])
