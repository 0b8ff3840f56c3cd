"""`graphflow brief`: the case document in Markdown, HTML (opened offline in Chromium) and PDF
(printed by Chromium): notice, bibliography, one citation per hop, every open route."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest

from graphflow.api import open_pack
from tests.browser import Recorded, require_browser
from tests.conftest import SEED_DAY

CASE = ("--profile", "fare-evasion", "--as-of", SEED_DAY.isoformat())
NOTICE = "research tool, not legal advice"
PAPER_POINTS = {"letter": (612.0, 792.0), "a4": (595.28, 841.89)}


def _open_routes(run_cli) -> list[dict]:
    code, out, err = run_cli("leaks", *CASE, "--format", "json")
    assert code == 0, err
    routes = json.loads(out)["routes"]
    assert routes
    return routes


def _urls(hop: dict) -> list[str]:
    return [u for s in hop["sources"] for u in (s.get("url"), (s.get("original") or {}).get("url"))
            if u]


def test_markdown_brief_has_every_part(run_cli, tmp_path: Path):
    routes = _open_routes(run_cli)
    out = tmp_path / "brief.md"
    code, _, err = run_cli("brief", *CASE, "-o", str(out))
    assert code == 0, err
    md = out.read_text()
    assert NOTICE in md
    for part in ("## Open routes", "## Evidence and disagreements",
                 "## What would change the answer", "## Rules in force on 2017-03-01",
                 "## Sources"):
        assert part in md
    for r in routes:
        assert f"`{r['id']}`" in md
        for h in r["hops"]:
            for url in _urls(h):
                assert f"<{url}>" in md, h["flow"]
    numbered = re.findall(r"^(\d+)\. ", md[md.index("## Sources"):], re.M)
    assert numbered == [str(i) for i in range(1, len(numbered) + 1)] and numbered
    assert re.search(r"pack `nyc` \(sha256:[0-9a-f]{64}\)", md)


def test_brief_refuses_an_unknown_format_in_one_line(run_cli, tmp_path: Path):
    code, out, err = run_cli("brief", *CASE, "-o", str(tmp_path / "brief.docx"))
    assert code != 0 and out == "" and len(err.strip().splitlines()) == 1
    assert ".html, .md or .pdf" in err and not (tmp_path / "brief.docx").exists()


def test_pdf_without_chromium_is_a_clear_error(run_cli, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GRAPHFLOW_CHROMIUM", str(tmp_path / "no-chromium"))
    code, _, err = run_cli("brief", *CASE, "-o", str(tmp_path / "brief.pdf"))
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "no Chromium" in err and "apt-get install chromium" in err
    assert not (tmp_path / "brief.pdf").exists()


def test_hostile_text_is_escaped_in_the_html(nyc):
    from graphflow.export.brief import render_brief_html
    from graphflow.report.brief import NOTICE as TEXT

    b = {"title": "<script>alert(1)</script>", "headline": "<img src=x onerror=alert(1)>",
         "query": {"pack": "p", "from": "a", "to": "b", "profile": None, "as_of": "2017-03-01",
                   "max_hops": 8, "facts": []},
         "summary": {"open": 0}, "routes": [], "conflicts": [], "would_change": [],
         "rules": [], "sources": [{"n": 1, "id": "s", "title": "t",
                                   "url": "javascript:alert(1)"}],
         "notice": TEXT, "generated": "2026-12-02", "version": "0", "pack_hash": None}
    html = render_brief_html(b)
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.browser
def test_html_brief_opens_offline_with_a_citation_per_hop(run_cli, recorded_page: Recorded,
                                                         tmp_path: Path):
    routes = _open_routes(run_cli)
    out = tmp_path / "brief.html"
    code, _, err = run_cli("brief", *CASE, "-o", str(out))
    assert code == 0, err
    page = recorded_page.page
    page.goto(out.resolve().as_uri(), wait_until="load")
    assert recorded_page.remote_requests() == []
    assert [u for u in recorded_page.requests if u != out.resolve().as_uri()] == []
    assert recorded_page.console_errors == [] and recorded_page.page_errors == []
    assert NOTICE in page.inner_text("#notice") and NOTICE in page.inner_text("#colophon")
    assert page.locator("#bibliography li").count() >= 5
    shown = page.eval_on_selector_all("section.route", "els => els.map(e => e.dataset.route)")
    assert shown == [r["id"] for r in routes]
    for r in routes:
        steps = page.locator(f'section[data-route="{r["id"]}"] li.step')
        assert steps.count() == len(r["hops"])
        for i, h in enumerate(r["hops"]):
            step = steps.nth(i)
            assert step.get_attribute("data-flow") == h["flow"]
            assert step.locator("li.cite").count() == len(h["sources"]) >= 1
            links = step.locator("a.url").evaluate_all("els => els.map(e => e.href)")
            for url in _urls(h):
                assert url in links or url.rstrip("/") + "/" in links, h["flow"]


def _pdf_outline(pdf: bytes) -> list[str]:
    """The PDF's bookmark titles (Chromium writes one per heading, as UTF-16BE hex)."""
    chunks = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    text = b"\n".join(chunks)
    titles = [bytes.fromhex(h.decode()).decode("utf-16-be").lstrip("\ufeff")
              for h in re.findall(rb"/Title\s*<([0-9A-Fa-f]+)>", text)]
    titles += [t.decode("latin-1") for t in re.findall(rb"/Title\s*\(([^)]*)\)", text)]
    return titles


@pytest.mark.browser
@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_pdf_has_every_open_route(run_cli, tmp_path: Path, paper: str):
    routes = _open_routes(run_cli)
    out = tmp_path / "brief.pdf"
    require_browser()  # skipped loudly without Chromium; a failure when $CI is set
    code, _, err = run_cli("brief", *CASE, "--paper", paper, "-o", str(out))
    assert code == 0, err
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    width, height = PAPER_POINTS[paper]  # every page on the paper asked for
    boxes = [(float(w), float(h)) for w, h in re.findall(
        rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)]
    assert boxes and all(abs(w - width) < 2 and abs(h - height) < 2 for w, h in boxes), boxes
    titles = " ".join(_pdf_outline(pdf))
    for r in routes:
        assert f"({r['id']})" in titles, r["id"]
    assert "Sources" in titles and "What would change the answer" in titles


def test_brief_names_the_rules_in_force_that_touch_the_routes(run_cli, tmp_path: Path):
    answer = open_pack("nyc").routes(profile="fare-evasion", as_of=SEED_DAY)
    pack = answer.pack
    flows = {f for r in answer.routes for f in r.flows}
    expected = [r for r in pack.rules.values() if not r.hypothetical and r.in_force_on(SEED_DAY)
                and any(e.flow in flows and e.effect != "does-not-touch"
                        and e.in_force_on(SEED_DAY) for e in r.effects)]
    ended = [r for r in pack.rules.values() if r.ended and r.ended < SEED_DAY
             and any(e.flow in flows for e in r.effects)]
    assert expected
    out = tmp_path / "brief.md"
    code, _, err = run_cli("brief", *CASE, "-o", str(out))
    assert code == 0, err
    rules = out.read_text().split("## Rules in force on")[1].split("## Sources")[0]
    for rule in expected:
        assert f"**{rule.name}**" in rules
    for rule in ended:
        assert f"**{rule.name}**" not in rules


def test_unknown_facts_that_decide_routes_are_in_the_brief(run_cli, tmp_path: Path):
    found = open_pack("nyc").routes(profile="unknown-history", as_of=SEED_DAY).to_dict()
    deciders = found["what_would_change"]
    assert deciders
    out = tmp_path / "brief.md"
    code, _, err = run_cli("brief", "--profile", "unknown-history", "--as-of",
                           SEED_DAY.isoformat(), "-o", str(out))
    assert code == 0, err
    part = out.read_text().split("## What would change the answer")[1].split("## Rules")[0]
    assert len(re.findall(r"^- ", part, re.M)) == len(deciders)
    assert f"decides {deciders[0]['decides']} route" in part


def test_brief_help_has_an_example(run_cli):
    code, out, _ = run_cli("brief", "--help")
    assert code == 0 and "Example: graphflow brief" in out
