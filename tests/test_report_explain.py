"""Plain language in `explain`, `list` and the reason text, conflicts with their summaries in
every text view, and --format table|json|csv|md on explain and validate: checked on the NYC
pack, the expected words computed from its data."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.conftest import SEED_DAY

CASE = ("--profile", "fare-evasion", "--as-of", SEED_DAY.isoformat())
TECHNICAL = re.compile(r" in \(|[a-z]=[a-z]|\b(True|False|None)\b|… to now|to now\b|from …")
NOTICE = "research tool, not legal advice"


def words(text: str) -> str:
    return " ".join(text.split())


def _flow_with(nyc, test):
    return next(f for f in nyc.flows.values() if f.when is not None and test(f.when))


def test_explain_fires_when_reads_as_words_and_keeps_the_condition(nyc, run_cli):
    enum = _flow_with(nyc, lambda c: "in" in c)
    boolean = _flow_with(nyc, lambda c: c.get("is") is True)
    always = next(f for f in nyc.flows.values() if f.when is None)
    values = [v.replace("-", " ") for v in enum.when["in"]]
    want = {
        enum.id: "fires for every " + ", ".join(values[:-1]) + " or " + values[-1],
        boolean.id: "fires when " + boolean.when["fact"].replace("-", " "),
        always.id: "fires every time (no condition)",
    }
    for flow_id, sentence in want.items():
        code, out, err = run_cli("explain", flow_id, "--format", "json")
        assert code == 0, err
        data = json.loads(out)
        assert data["fires_when"] == sentence
        assert data["condition"] == nyc.flows[flow_id].when  # the machine field, as written
        code, out, err = run_cli("explain", flow_id)
        assert code == 0, err
        assert f"\n  {sentence}\n" in out
        assert not TECHNICAL.search(out.split("\n  description:")[0]), out[:400]
        assert "\n  condition" not in out  # the machine field is JSON only


def test_explain_rule_effect_conditions_read_as_words(nyc, run_cli):
    rule = next(r for r in nyc.rules.values() if any(
        e.when and "all" in e.when for e in r.effects))
    code, out, err = run_cli("explain", rule.id, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    for eff, got in zip(rule.effects, data["effects"], strict=True):
        assert got["condition"] == eff.when
        if eff.when is None:
            assert got["when"] is None
            continue
        assert got["when"].startswith("only when ")
        for part in eff.when["all"]:  # every fact of the condition, named in words
            if "fact" in part:
                assert part["fact"].replace("-", " ") in got["when"]
        assert not TECHNICAL.search(got["when"]), got["when"]
    code, out, _ = run_cli("explain", rule.id)
    effects = out.split("\n  effects:\n")[1].split("\n  sources:")[0]
    heads = [line for line in effects.splitlines() if line.startswith("    - ")]
    assert len(heads) == len(rule.effects)
    assert not any(TECHNICAL.search(h) for h in heads), heads


@pytest.mark.parametrize("ident", ["arrest-booking", "nyc-ll58-2014", "nypd", "fare-evasion",
                                   "accused-vs-convicted"])
def test_explain_markdown_and_csv(nyc, run_cli, ident):
    code, md, err = run_cli("explain", ident, "--format", "md")
    assert code == 0, err
    assert md.startswith("# ") and ident in md.splitlines()[0]
    assert NOTICE in md
    code, js, _ = run_cli("explain", ident, "--format", "json")
    data = json.loads(js)
    cited = {s["source"] for s in data.get("sources", [])}
    cited |= {s["source"] for item in data.get("rules", []) + data.get("effects", [])
              + data.get("conflicts", []) for s in item.get("sources", [])}
    if cited:  # a numbered bibliography naming every source cited, with its URL
        bib = md.split("\n## Sources\n")[1]
        for sid in cited:
            assert f"`{sid}`" in bib
            url = nyc.sources[sid].url
            if url:
                assert url in bib
    code, out, err = run_cli("explain", ident, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["field", "item", "value"]
    got = {r["field"]: r["value"] for r in rows if not r["item"]}
    assert got["id"] == ident and got["type"] == data["type"]
    listed = [r for r in rows if r["item"]]
    assert len(listed) == sum(len(v) for k, v in data.items()
                              if isinstance(v, list) and k != "condition")


def test_explain_route_in_markdown_and_csv(run_cli):
    code, out, _ = run_cli("leaks", *CASE, "--format", "json")
    route = json.loads(out)["routes"][0]
    code, md, err = run_cli("explain", route["id"], *CASE, "--format", "md")
    assert code == 0, err
    assert f"Route {route['id']}" in md and "\n## Sources\n" in md
    code, out, err = run_cli("explain", route["id"], *CASE, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["flow"] for r in rows] == [h["flow"] for h in route["hops"]]


def test_explain_what_if_in_csv_says_before_and_after(run_cli):
    code, out, err = run_cli("explain", "booking-prints-to-dcjs", "--close",
                             "booking-prints-to-dcjs", "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["case", "field", "item", "value"]
    assert {r[0] for r in rows[1:]} == {"before", "after"}


def test_reasons_say_rule_dates_in_words(nyc, run_cli):
    code, out, err = run_cli("routes", *CASE, "--format", "json")
    assert code == 0, err
    assert not re.search(r"to now|… to|from …", out)
    seen = 0
    for r in json.loads(out)["routes"]:
        for h in r["hops"]:
            for x in h["reasons"]:
                if x["kind"] != "rule-not-in-force":
                    continue
                rule = nyc.rules[x["rule"]]
                if rule.starts and rule.ended:
                    want = f"in force from {rule.starts} until {rule.ended}"
                elif rule.starts:
                    want = f"in force since {rule.starts}"
                else:
                    want = f"in force until {rule.ended}"
                assert x["text"].endswith(want), x["text"]
                seen += 1
    assert seen


def test_list_says_conditions_and_dates_in_words(nyc, run_cli):
    code, out, _ = run_cli("list", "rules", "--format", "json")
    rules = {r["id"]: r for r in json.loads(out)}
    for rule in nyc.rules.values():
        got = rules[rule.id]["in_force"]
        assert "now" not in got and "…" not in got
        for day in (rule.starts, rule.ended):
            if day:
                assert str(day) in got
    code, out, _ = run_cli("list", "flows", "--format", "json")
    for row in json.loads(out):
        assert row["when"].startswith("fires ") and not TECHNICAL.search(row["when"])


def _case_conflicts(nyc, data):
    return list(dict.fromkeys(c for r in data["routes"] for c in r["conflicts"]))


def test_conflicts_show_their_summary_in_every_text_view(nyc, run_cli):
    code, out, _ = run_cli("leaks", *CASE, "--format", "json")
    data = json.loads(out)
    used = _case_conflicts(nyc, data)
    assert used, "the fare-evasion leaks touch recorded disagreements"
    for r in data["routes"]:  # JSON keeps the ids
        assert r["conflicts"] == list(dict.fromkeys(
            c for f in (h["flow"] for h in r["hops"]) for c in nyc.conflicts_on(f)))
    views = {"summary": run_cli("leaks", *CASE)[1],
             "detail": run_cli("leaks", *CASE, "--detail")[1],
             "md": run_cli("leaks", *CASE, "--format", "md")[1]}
    for name, text in views.items():
        flat = words(text).replace("\\", "")
        for cid in used:
            summary = words(nyc.conflicts[cid].summary)
            assert re.search(rf"[Ss]ources disagree \({re.escape(cid)}[,)][^:]*: "
                             + re.escape(summary), flat), (name, cid)
    # the detail view says it on the hop too (shared hops are folded, so once at least)
    detail = words(views["detail"])
    for cid in {c for r in data["routes"] for h in r["hops"] for c in h["conflicts"]}:
        assert f"sources disagree ({cid}): {words(nyc.conflicts[cid].summary)}" in detail
    assert len(views["summary"].splitlines()) <= 80


def test_validate_offers_csv_and_markdown(run_cli, tmp_path):
    code, out, err = run_cli("validate", "nyc", "--format", "csv")
    assert code == 0, err
    assert out.splitlines() == ["where,severity,what,hint"]
    code, out, err = run_cli("validate", "nyc", "--format", "md")
    assert code == 0, err
    assert out.startswith("# Pack check: ") and "**OK**" in out
    code, out, err = run_cli("validate", "data/nyc", "--sources-dir", str(tmp_path),
                             "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["severity"] == "warning" and r["where"] for r in rows)
    code, md, _ = run_cli("validate", "data/nyc", "--sources-dir", str(tmp_path),
                          "--format", "md")
    assert md.count("| warning |") == len(rows)


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_explain_profile_says_yes_and_no_never_true_and_false(nyc, run_cli, fmt):
    for pid, profile in sorted(nyc.profiles.items()):
        code, out, err = run_cli("explain", pid, "--format", fmt)
        assert code == 0, err
        assert not re.search(r"\b(True|False)\b", out), pid
        for fact, value in profile.facts.items():
            said = {True: "yes", False: "no"}[value] if isinstance(value, bool) else value
            want = f"    {fact}: {said}" if fmt == "table" else f"- **{fact}:** {said}"
            assert want in out.split("\n"), (pid, want)
