"""The short default view, plain language, the impact order, what would change the answer,
the trigger hint, and citable Markdown: all checked on the NYC pack, computed from its data."""

from __future__ import annotations

import json
import re

import pytest

from graphflow.analysis.unknowns import deciding_facts, trigger_hint
from graphflow.audit import make_query, run_query
from graphflow.core.routes import AUTOMATIC, ORDERS, sort_key
from graphflow.core.status import STOP, Status, StatusEvaluator
from tests.conftest import SEED_DAY, nyc_routes

CASE = ("--profile", "fare-evasion", "--as-of", SEED_DAY.isoformat())
REPRS = re.compile(r"\b(True|False|None)\b|… to now|to now\b|rules from -|\{'|\['")


def _fingerprint_route(nyc, report):
    """The open route on which every hop runs by itself (automatic or routine) and every hop
    is documented: the fingerprint route, found from the pack's data."""
    found = [r for r in report.routes if r.status is Status.OPEN
             and all(nyc.flows[f].mechanism in AUTOMATIC for f in r.flows)
             and all(nyc.flows[f].confidence.value == "documented" for f in r.flows)]
    assert len(found) == 1, [r.id for r in found]
    return found[0]


def test_default_leaks_table_fits_in_80_lines_with_the_fingerprint_route_first(
        nyc, nyc_engine, run_cli):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion")
    fingerprint = _fingerprint_route(nyc, report)
    assert "fbi-prints-to-dhs" in fingerprint.flows
    code, out, err = run_cli("leaks", *CASE)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) <= 80, len(lines)
    blocks = [i for i, line in enumerate(lines) if re.match(r"\d+\. ", line)]
    opened = [r for r in report.routes if r.status is Status.OPEN]
    assert len(blocks) == len(opened)  # one block per open route
    first = "\n".join(lines[blocks[0]:blocks[1]])
    assert fingerprint.id in first
    for actor in fingerprint.nodes:  # the path in actor names
        name = nyc.actors[actor].name.split(" (")[0]
        assert name in " ".join(first.split())
    assert max(len(line) for line in lines) <= 110


def test_route_ids_are_the_same_in_every_order(nyc, nyc_engine):
    ids = None
    for order in ORDERS:
        report = nyc_routes(nyc, nyc_engine, "fare-evasion", order=order)
        keys = [sort_key(r, order, nyc) for r in report.routes]
        assert keys == sorted(keys)
        got = {r.id for r in report.routes}
        ids = ids or got
        assert got == ids


def test_impact_order_puts_the_fingerprint_route_first_and_is_the_default(
        nyc, nyc_engine, run_cli):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", order="impact")
    assert report.routes[0].id == _fingerprint_route(nyc, report).id
    code, out, _ = run_cli("routes", *CASE, "--format", "json")
    data = json.loads(out)
    assert data["query"]["order"] == "impact"
    assert [r["id"] for r in data["routes"]] == [r.id for r in report.routes]
    limited = nyc_routes(nyc, nyc_engine, "fare-evasion", order="impact", limit=3)
    assert [r.id for r in limited.routes] == [r.id for r in report.routes[:3]]


@pytest.mark.parametrize("profile", ["fare-evasion", "unknown-history", "prior-removal-order",
                                     "victim-witness", "civil-summons"])
def test_plain_language_everywhere(run_cli, profile):
    for view in ((), ("--detail",), ("--verbose",)):
        code, out, err = run_cli("routes", "--profile", profile, "--as-of",
                                 SEED_DAY.isoformat(), *view)
        assert code == 0, err
        bad = [line for line in out.splitlines() if REPRS.search(line)]
        assert not bad, bad[:3]
        assert "fires: " not in out and "arrest-type in (" not in out
        assert "weakest evidence: verified" not in out  # grade and state no longer clash


def test_fires_for_every_custodial_arrest_in_words(nyc, run_cli):
    cond = nyc.flows["arrest-booking"].when
    values = [v.replace("-", " ") for v in cond["in"]]
    code, out, _ = run_cli("routes", *CASE, "--detail")
    assert code == 0
    assert (f"fires for every {values[0]} or {values[1]} (this person: "
            f"{nyc.profiles['fare-evasion'].facts['arrest-type'].replace('-', ' ')})") in out


def test_detail_folds_shared_hops_and_verbose_adds_the_rules_that_do_not_apply(
        nyc, nyc_engine, run_cli):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", order="impact",
                        statuses=(Status.OPEN,))
    first_hop = report.routes[0].flows[0]
    assert all(r.flows[0] == first_hop for r in report.routes)
    _, detail, _ = run_cli("leaks", *CASE, "--detail")
    assert detail.count(f"[open] {first_hop}:") == 1  # printed once, folded afterwards
    assert detail.count("as in route 1") >= 1
    _, verbose, _ = run_cli("leaks", *CASE, "--verbose")
    quiet = [e for e in nyc.effects_on(first_hop) if e.effect == "does-not-touch"]
    assert quiet
    name = nyc.rules[quiet[0].rule].name
    assert f"{name} does not restrict this channel" in verbose
    assert f"{name} does not restrict this channel" not in detail
    assert len(detail.splitlines()) < len(verbose.splitlines())


def test_siblings_are_told_apart_by_their_flow(nyc, nyc_engine, run_cli):
    report = nyc_routes(nyc, nyc_engine, "fare-evasion", statuses=(Status.OPEN,))
    by_path: dict = {}
    for r in report.routes:
        by_path.setdefault(r.nodes, []).append(r)
    twins = next(g for g in by_path.values() if len(g) > 1)
    differ = {r.flows[-1] for r in twins}
    assert len(differ) == len(twins)
    _, out, _ = run_cli("leaks", *CASE)
    for flow in differ:
        assert f"via {flow} ({nyc.flows[flow].name})" in out


def test_what_would_change_the_answer_is_computed_from_the_data(nyc, nyc_engine, run_cli):
    """Each deciding fact, re-run with each of its values as a known fact, changes the status
    of exactly the routes it names; closed routes are never named."""
    profile = "unknown-history"
    base = nyc_routes(nyc, nyc_engine, profile)
    status = {r.id: r.status for r in base.routes}
    query = make_query(nyc, source="nypd-arrest", target="ice", profile=profile, as_of=SEED_DAY)
    found = deciding_facts(nyc, nyc_engine, query)
    assert found and [d.count for d in found] == sorted((d.count for d in found), reverse=True)
    conditional = {r.id for r in base.routes if r.status is Status.CONDITIONAL}
    for d in found:
        assert set(d.routes) <= conditional  # never on routes already open or closed
        if not d.tested:
            continue
        settled = set()
        for value, tally in d.outcomes.items():
            again = nyc_routes(nyc, nyc_engine, profile, sets=[f"{d.fact}={value}"])
            now = {r.id: r.status for r in again.routes}
            changed = {rid for rid in conditional if now[rid] is not status[rid]}
            settled |= changed
            opened = sum(now[rid] is Status.OPEN for rid in changed)
            assert opened == tally.get("open", 0), (d.fact, value)
        assert len(settled) == d.count, d.fact
    code, out, _ = run_cli("leaks", "--profile", profile, "--as-of", SEED_DAY.isoformat())
    assert code == 0 and "What would change the answer" in out
    assert f"{found[0].fact.replace('-', ' ')}: decides {found[0].count} routes" in out
    code, out, _ = run_cli("leaks", "--profile", profile, "--as-of", SEED_DAY.isoformat(),
                           "--format", "json")
    data = json.loads(out)
    assert [d["fact"] for d in data["what_would_change"]] == [d.fact for d in found]


def test_no_unknown_fact_when_the_case_settles_every_route(nyc, nyc_engine):
    query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                       as_of=SEED_DAY)
    report = run_query(nyc, nyc_engine, query)
    assert report.summary["conditional"] == 0
    assert deciding_facts(nyc, nyc_engine, query) == []


def test_a_case_that_cannot_fire_the_trigger_is_told_which_triggers_apply(
        nyc, nyc_engine, run_cli):
    facts = nyc.profiles["victim-witness"].facts
    ev = StatusEvaluator(nyc, facts, SEED_DAY)
    out_of = [f.id for f in nyc.flows.values() if f.source == nyc.default_trigger]
    assert all(ev.hop(f).status.severity >= STOP for f in out_of)
    contact = [f.id for f in nyc.flows.values() if f.source == "police-contact"]
    assert any(ev.hop(f).status.severity < STOP for f in contact)
    query = make_query(nyc, source=None, target=None, profile="victim-witness", as_of=SEED_DAY)
    hint = trigger_hint(nyc, nyc_engine, query)
    assert hint and hint["try"][0]["from"] == "police-contact"
    code, out, _ = run_cli("leaks", "--profile", "victim-witness", "--as-of",
                           SEED_DAY.isoformat())
    assert code == 0 and "Try --from police-contact" in " ".join(out.split())
    assert trigger_hint(nyc, nyc_engine, make_query(
        nyc, source=None, target=None, profile="fare-evasion", as_of=SEED_DAY)) is None


def test_markdown_cites_a_url_for_every_hop_whose_source_has_one(run_cli):
    code, out, _ = run_cli("routes", *CASE, "--format", "json")
    data = json.loads(out)
    code, md, _ = run_cli("routes", *CASE, "--format", "md")
    assert code == 0
    checked = 0
    for r in data["routes"]:
        for h in r["hops"]:
            urls = [s.get("url") or (s.get("original") or {}).get("url") for s in h["sources"]]
            urls = [u for u in urls if u]
            if urls:
                checked += 1
                assert any(f"<{u}>" in md for u in urls), h["flow"]
    assert checked >= 10
    tail = md[md.index("## Sources"):]
    numbered = re.findall(r"^(\d+)\. ", tail, re.M)
    assert numbered == [str(i) for i in range(1, len(numbered) + 1)] and len(numbered) > 5
    for r in data["routes"]:
        for h in r["hops"]:
            for s in h["sources"]:
                assert f"`{s['source']}`" in tail
                if s.get("original"):
                    assert f"`{s['original']['id']}`" in tail
    assert "research tool, not legal advice" in md


def test_a_pack_note_reads_as_one_clause_in_the_status_line(nyc, run_cli):
    """A flow's own 'unverified after' note is quoted in the route's status line as written,
    without a stray full stop before the rest of the line (it may hold commas, so ';' follows)."""
    as_of = "2026-12-01"
    noted = {f.id: f.evidence.note for f in nyc.flows.values()
             if f.evidence is not None and f.evidence.unverified_after is not None
             and str(f.evidence.unverified_after) < as_of and f.evidence.note}
    assert noted
    code, out, err = run_cli("leaks", "--profile", "prior-removal-order", "--as-of", as_of,
                             "--format", "json")
    assert code == 0, err
    routes = [r for r in json.loads(out)["routes"]
              if r["evidence"]["state"] == "unverified" and r["evidence"]["note"] in noted.values()]
    assert routes
    code, table, err = run_cli("leaks", "--profile", "prior-removal-order", "--as-of", as_of)
    assert code == 0, err
    text = " ".join(table.split())  # undo the table's wrapping
    for r in routes:
        note = " ".join(r["evidence"]["note"].split()).rstrip(". ")
        at = text.index(note) + len(note)
        assert text[at:at + 2] in ("; ", " ("), text[at - 20:at + 40]
