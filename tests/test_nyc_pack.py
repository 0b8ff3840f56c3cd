"""The NYC and Connecticut packs' provenance: every research-note citation names the primary
document it quotes, with the note's grade; sources nothing cites are flagged; a flow's confidence
never exceeds its evidence; every output shows the original document. Computed from the data."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from graphflow.audit import make_query, run_query
from graphflow.core.model import GRADE_CAP, GRADES, Confidence
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs.loader import check_pack, load_pack
from graphflow.packs.quotes import all_citations
from graphflow.packs.references import flow_grade
from graphflow.store.rows import build_graph
from tests.conftest import SEED_DAY, SHARED
from tests.test_pack_validation import edit

QUERY_DAY = dt.date(2026, 12, 1)
PACKS = ("nyc", "connecticut")
SOURCES_DIRS = ("--sources-dir", str(SHARED / "seeds"), "--sources-dir", str(SHARED / "research"))


def _research_citations(pack):
    return [c for c in all_citations(pack) if pack.sources[c.source].kind == "research"]


@pytest.mark.parametrize("name", PACKS)
def test_every_research_note_citation_names_a_primary_original_and_a_grade(name):
    pack = load_pack(name)
    cites = _research_citations(pack)
    assert cites, "the pack cites the research notes"
    for c in cites:
        assert c.original in pack.sources, c.where
        original = pack.sources[c.original]
        assert original.kind != "research", c.where
        assert original.title and original.publisher, c.where
        # a URL or a local text for the document, or the title says the notes give no URL
        assert original.url or original.file or "no URL" in original.title, c.where
        assert c.grade in GRADES, c.where


@pytest.mark.parametrize("name", PACKS)
def test_strict_validation_passes_with_quotes_checked(run_cli, name):
    code, out, err = run_cli("validate", f"data/{name}", *SOURCES_DIRS, "--strict")
    assert code == 0, err
    assert "0 not checked" in out and "OK" in out


@pytest.mark.parametrize("name", PACKS)
def test_every_source_is_cited(name):
    pack = load_pack(name)
    used = {c.source for c in all_citations(pack)} | {
        c.original for c in all_citations(pack) if c.original}
    assert set(pack.sources) == used


@pytest.mark.parametrize("name", PACKS)
def test_no_flow_claims_more_confidence_than_its_best_evidence(name):
    pack = load_pack(name)
    for f in pack.flows.values():
        best = flow_grade(pack, f.citations)
        cap = Confidence(GRADE_CAP[best]) if best else Confidence.ALLEGED
        assert f.confidence.rank <= cap.rank, f.id


# -- bad input: one line, file:line, a hint ---------------------------------------------------

def _add_research_source(folder: Path) -> None:
    edit(folder / "sources.yaml", "kind: other}",
         "kind: other}\n  - {id: notes, title: Notes, publisher: us, kind: research}")


def test_unknown_original_is_an_error_with_line_and_did_you_mean(mini_copy):
    _add_research_source(mini_copy)
    edit(mini_copy / "flows.yaml", "{source: doc, locator: line 1,",
         "{source: notes, original: dox, grade: verified, locator: line 1,")
    errors = check_pack(mini_copy).errors
    assert len(errors) == 1
    err = errors[0]
    assert err.where.startswith(str(mini_copy / "flows.yaml") + ":9")
    assert "citation original 'dox' does not exist" in err.what
    assert err.hint == "did you mean 'doc'?"


def test_research_note_without_original_or_grade_is_a_warning_and_strict_fails(
        mini_copy, run_cli):
    _add_research_source(mini_copy)
    edit(mini_copy / "flows.yaml", "{source: doc, locator: line 2,",  # alleged flow police-call
         "{source: notes, locator: line 2,")
    result = check_pack(mini_copy)
    assert result.errors == []
    assert [w.what for w in result.warnings] == [
        "citation of research notes 'notes' has no original or grade"]
    code, _, err = run_cli("validate", str(mini_copy), "--strict")
    assert code == 1 and "flows.yaml:31: warning" in err


def test_uncited_source_warns_and_strict_fails(mini_copy, run_cli):
    edit(mini_copy / "sources.yaml", "kind: other}",
         "kind: other}\n  - {id: spare, title: Nobody cites this, kind: news}")
    result = check_pack(mini_copy)
    assert result.errors == []
    assert [(w.where, w.what) for w in result.warnings] == [
        (f"{mini_copy / 'sources.yaml'}:3", "source 'spare' is not cited anywhere")]
    assert run_cli("validate", str(mini_copy))[0] == 0
    code, _, err = run_cli("validate", str(mini_copy), "--strict")
    assert code == 1 and "'spare' is not cited anywhere" in err


def test_documented_flow_resting_only_on_a_lead_is_an_error(mini_copy):
    _add_research_source(mini_copy)  # flow 'book' (documented) cites doc once, at line 9
    edit(mini_copy / "flows.yaml", "{source: doc, locator: line 1,",
         "{source: notes, original: doc, grade: lead, locator: line 1,")
    errors = check_pack(mini_copy).errors
    assert [(e.what, e.hint) for e in errors] == [
        ("flow 'book' is 'documented', but its best evidence is graded 'lead'",
         "at most 'alleged'")]
    assert errors[0].where.startswith(str(mini_copy / "flows.yaml") + ":")


def test_secondary_evidence_caps_a_flow_at_reported(mini_copy):
    _add_research_source(mini_copy)
    edit(mini_copy / "flows.yaml", "{source: doc, locator: line 1,",
         "{source: notes, original: doc, grade: secondary, locator: line 1,")
    assert [e.hint for e in check_pack(mini_copy).errors] == ["at most 'reported'"]


def test_channel_evidenced_only_as_barred_cannot_be_documented(mini_copy):
    edit(mini_copy / "flows.yaml", "{source: doc, locator: line 1,",
         "{source: doc, shows: barred, locator: line 1,")
    assert [e.what for e in check_pack(mini_copy).errors] == [
        "flow 'book' is 'documented', but its citations only document that it is barred"]
    edit(mini_copy / "flows.yaml", "    confidence: documented\n    when:",
         "    confidence: alleged\n    when:")
    assert check_pack(mini_copy).errors == []


# -- the NYC pack's barred channels do not read as documented channels ------------------------

BARRED = ("nypd-civil-immigration-arrest", "victim-status-inquiry", "nys-agency-status-inquiry",
          "ice-administrative-warrant-to-nypd")


@pytest.mark.parametrize("flow_id", BARRED)
def test_channels_evidenced_only_as_forbidden_are_not_documented(nyc, flow_id):
    flow = nyc.flows[flow_id]
    assert any(c.shows for c in flow.citations), "the evidence of the bar is marked as such"
    operating = [c for c in flow.citations if not c.shows]
    if flow.confidence is Confidence.DOCUMENTED:  # then other, verified evidence shows it
        assert flow_grade(nyc, operating) == "verified", flow_id
    else:
        assert flow.confidence is Confidence.ALLEGED or operating, flow_id


# -- every output shows the original document -------------------------------------------------

def _first_original(pack, flow_id):
    cit = next(c for c in pack.flows[flow_id].citations if c.original)
    return cit, pack.sources[cit.original]


def test_route_outputs_name_the_original_with_title_publisher_date_url(nyc, run_cli):
    cit, original = _first_original(nyc, "arrest-booking")
    args = ("routes", "--profile", "fare-evasion", "--as-of", SEED_DAY.isoformat())
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    hop = next(h for r in data["routes"] for h in r["hops"] if h["flow"] == "arrest-booking")
    shown = next(s for s in hop["sources"] if s.get("original"))
    assert shown["original"] == {k: v for k, v in {
        "id": original.id, "title": original.title, "publisher": original.publisher,
        "date": original.date, "url": original.url, "kind": original.kind}.items() if v}
    assert shown["grade"] == cit.grade
    for fmt in ("table", "md", "csv"):  # the table's hop-by-hop view lists every hop's sources
        code, text, err = run_cli(*args, "--format", fmt, *(("--detail",) if fmt == "table"
                                                           else ()))
        assert code == 0, err
        text = " ".join(text.split())  # the table wraps its lines at 100 characters
        assert f"original: {' '.join(original.title.split())}" in text, fmt
        assert original.url in text and original.publisher in text, fmt


def test_route_grade_is_the_weakest_hop_grade(nyc, nyc_engine):
    query = make_query(nyc, source="nypd-arrest", target="ice", profile="fare-evasion",
                       as_of=SEED_DAY)
    from graphflow.report.routes import route_dict
    report = run_query(nyc, nyc_engine, query)
    for route in report.routes:
        d = route_dict(nyc, route)
        grades = [flow_grade(nyc, nyc.flows[f].citations) or "lead" for f in route.flows]
        assert d["grade"] == max(grades, key=GRADES.index)
        cap = Confidence(GRADE_CAP[d["grade"]])
        assert route.confidence.rank <= cap.rank, route.id


def test_html_and_store_carry_the_original(nyc, run_cli, tmp_path):
    cit, original = _first_original(nyc, "arrest-booking")
    out = tmp_path / "p.html"
    code, _, err = run_cli("export", "html", "-o", str(out), "--profile", "fare-evasion",
                           "--as-of", SEED_DAY.isoformat())
    assert code == 0, err
    html = out.read_text("utf-8")
    assert original.url in html and f"original: {original.title}" in html
    graph = build_graph(nyc, loaded_at="x")
    rows = [row for rb in graph.rels if rb.spec.type == "SUPPORTED_BY" for row in rb.rows]
    assert any(row["p"].get("original") == original.id and row["p"].get("grade") == cit.grade
               for row in rows)


# -- DMV data -------------------------------------------------------------------------------

def test_dcjs_holds_no_dmv_records(nyc):
    assert not [f.id for f in nyc.flows.values()
                if f.target == "nys-dcjs" and "dmv-record" in f.data]


@pytest.mark.parametrize("profile", sorted(load_pack("nyc").profiles))
def test_no_dmv_data_reaches_ice_from_an_arrest_today(nyc, profile):
    engine = EmbeddedEngine(nyc)
    query = make_query(nyc, source="nypd-arrest", target="ice", profile=profile,
                       as_of=QUERY_DAY)
    report = run_query(nyc, engine, query)
    leaking = [r.id for r in report.routes if "dmv-record" in r.data and r.status.value == "open"]
    assert leaking == []
    from graphflow.analysis.exposure import exposure
    items = {e["data"]: e for e in exposure(nyc, report.routes)}
    assert "open" not in items.get("dmv-record", {}).get("statuses", [])


def test_exposure_command_lists_no_dmv_record_today(run_cli):
    code, out, err = run_cli("exposure", "--profile", "fare-evasion", "--as-of",
                             QUERY_DAY.isoformat(), "--format", "json")
    assert code == 0, err
    assert "dmv-record" not in out


# -- seed 002 mixes February (RT) and April (Daily News) 2017 text ----------------------------

def _seed_002_blocks() -> dict[str, str]:
    """The seed's paragraphs by the outlet marker that opens their block ("RT", "NY DAILY
    NEWS"); paragraphs before the first marker are left out."""
    text = (SHARED / "seeds" / "002_93201fcdd183e6ed.txt").read_text("utf-8")
    blocks: dict[str, str] = {}
    current = None
    for para in (" ".join(p.split()) for p in text.split("\n\n") if p.strip()):
        if para.startswith("NY DAILY NEWS"):
            current = "2017-04-03"
        elif para.startswith("RT "):
            current = "2017-02-27"
            blocks[para] = current  # only the RT paragraph itself: later ones mix outlets
            continue
        if current == "2017-04-03":
            blocks[para] = current
    return blocks


def test_seed_002_passages_carry_their_own_outlets_dates(nyc):
    blocks = _seed_002_blocks()
    checked = 0
    for c in all_citations(nyc):
        if c.source != "seed-002":
            continue
        quote = " ".join(c.quote.split())
        dates = {d for para, d in blocks.items() if quote in para}
        if dates:
            assert c.date in dates, c.where
            checked += 1
    assert checked >= 5


def test_evidence_dates_come_from_the_primary_document_not_the_notes(nyc):
    from graphflow.core.model import citation_date

    notes = nyc.sources["research-factbase"]
    for c in _research_citations(nyc):
        original = nyc.sources[c.original]
        got = citation_date(nyc.sources, c)
        assert got == (c.date or (str(original.date) if original.date else None)), c.where
        assert got != str(notes.date) or str(original.date) == str(notes.date), c.where
    rt = [c for c in all_citations(nyc) if c.source == "seed-002" and c.date == "2017-02-27"]
    assert rt and all(citation_date(nyc.sources, c) == "2017-02-27" for c in rt)


def test_explain_and_cut_name_the_original(nyc, run_cli):
    actor = nyc.actors["nyc-probation"]
    original = nyc.sources[actor.citations[0].original]
    code, out, err = run_cli("explain", actor.id)
    assert code == 0, err
    assert f"original: {original.title}" in out and original.url in out
    code, out, err = run_cli("explain", original.id)
    assert code == 0, err
    assert "cited_as_original" in out and actor.citations[0].locator in out
    code, out, err = run_cli("cut", "--profile", "fare-evasion", "--as-of", SEED_DAY.isoformat())
    assert code == 0, err
    # each cited source (wrapped: its later lines indented deeper) ends with its grade, and a
    # research note's with the original it quotes
    shown: list[str] = []
    inside = False
    for line in out.splitlines():
        if re.match(r"^ {6}(source|power of)[^:]*: ", line):
            shown.append(line.strip())
            inside = True
        elif inside and line.startswith(" " * 8):
            shown[-1] += " " + line.strip()
        else:
            inside = False
    assert shown and all("[grade: " in s for s in shown)
    notes = [s for s in shown if "[research-factbase]" in s]
    assert notes and all("original: " in s for s in notes)


def test_route_resting_on_a_lead_says_so_in_every_format(nyc, run_cli):
    args = ("routes", "--from", "court-conviction", "--profile", "fare-evasion",
            "--as-of", SEED_DAY.isoformat())
    code, out, err = run_cli(*args, "--format", "json")
    assert code == 0, err
    lead = [r for r in json.loads(out)["routes"] if r["grade"] == "lead"]
    assert lead, "the disposition route rests on leads"
    for r in lead:
        weakest = next(h for h in r["hops"] if h["flow"] == r["weakest_evidence"])
        assert weakest["grade"] == "lead"
        assert r["confidence"] == "alleged"
    _, table, _ = run_cli(*args, "--format", "table")
    assert f"EVIDENCE: hop {lead[0]['weakest_evidence']} rests only on a lead" in table
    _, md, _ = run_cli(*args, "--format", "md")
    assert "rests only on a lead" in md
    _, text, _ = run_cli(*args, "--format", "csv")
    import csv as csvmod
    rows = list(csvmod.DictReader(text.splitlines()))
    assert {row["route_grade"] for row in rows if row["route"] == lead[0]["id"]} == {"lead"}
