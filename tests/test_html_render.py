"""HTML renderer: static checks, then real headless-Chromium checks of the drawn page."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from graphflow.export.html import render_html, write_html

try:  # works whether or not tests/ is a package
    from tests.browser import Recorded  # noqa: F401
except ModuleNotFoundError:
    from browser import Recorded  # type: ignore[no-redef]  # noqa: F401

EVIL_IMG = "<img src=x onerror=alert(1)>"
EVIL_CLOSE = "</script><script>window.pwned=1</script>"
EVIL_SCRIPT = "<script>alert(1)</script>"
STATUSES = ["open", "conditional", "blocked", "not-triggered", "inactive", None]
KINDS = ["agency", "office", "system", "program", "court", "facility", "role",
         "organization", "event"]
# The only http(s) strings the inlined vis-network 9.1.2 carries: licence comment, SVG
# namespace identifier (never fetched), core-js metadata and a uuid error message.
VIS_URLS = {
    "https://visjs.github.io/vis-network/", "http://almende.com", "https://github.com/visjs",
    "http://www.apache.org/licenses/LICENSE-2.0", "http://opensource.org/licenses/MIT",
    "http://www.w3.org/2000/svg", "https://github.com/zloirock/core-js",
    "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE",
    "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
}


def small_view(layout: str = "hierarchical") -> dict[str, Any]:
    """A small arrest -> ICE graph with hostile strings in labels, ids, tooltips and quotes."""
    chain = ["nypd-arrest", "booking", "dcjs", "fbi-ngi", "ice"]
    nodes = [{"id": n, "label": n.upper(), "kind": KINDS[i], "level": "city",
              "tooltip": [f"actor {n}"]} for i, n in enumerate(chain)]
    nodes += [
        {"id": "court", "label": "Criminal Court", "kind": "court", "level": "state",
         "tooltip": ['quote: "detainers are not warrants"']},
        {"id": "x\"'></b>", "label": EVIL_IMG, "kind": "role", "level": "federal",
         "tooltip": [EVIL_CLOSE, EVIL_SCRIPT, "\u2028line-sep & ampersand"]},
    ]
    edges = [{"id": f"e{i}", "from": a, "to": b, "label": "fingerprints", "status": "open",
              "tooltip": ["data: fingerprints", "rule: NY CPL 160.20"]}
             for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False))]
    edges += [
        {"id": "c1", "from": "booking", "to": "court", "label": "case", "status": "conditional",
         "tooltip": []},
        {"id": "c2", "from": "court", "to": "ice", "label": "courthouse", "status": "blocked",
         "tooltip": ["rule: 9-131", EVIL_SCRIPT]},
        {"id": "x1", "from": "nypd-arrest", "to": "x\"'></b>", "label": EVIL_CLOSE,
         "status": "not-triggered", "tooltip": [EVIL_CLOSE]},
        {"id": "x2", "from": "x\"'></b>", "to": "ice", "label": "", "status": None,
         "tooltip": None},
    ]
    routes = [
        {"id": "r-open", "status": "open", "label": "nypd-arrest → … → ice (4 hops)",
         "edges": ["e0", "e1", "e2", "e3"]},
        {"id": "r-court", "status": "blocked", "label": "nypd-arrest → booking → court → ice",
         "edges": ["e0", "c1", "c2"]},
        {"id": "r-evil", "status": "not-triggered", "label": EVIL_IMG + EVIL_CLOSE,
         "edges": ["x1", "x2"]},
    ]
    return {
        "title": "graphflow: nypd-arrest -> ice " + EVIL_SCRIPT,
        "subtitle": "profile fare-evasion, as of 2017-03-01",
        "query": {"from": "nypd-arrest", "to": "ice", "profile": EVIL_IMG,
                  "as_of": "2017-03-01", "max_hops": 8},
        "summary": {"open": 1, "conditional": 0, "blocked": 1, "not-triggered": 1, "inactive": 0},
        "nodes": nodes, "edges": edges, "routes": routes, "layout": layout,
        "ranks": {n: i for i, n in enumerate(chain)} | {"court": 2},
    }


def big_view(n_nodes: int = 2000, layout: str = "physics") -> dict[str, Any]:
    """A 2,000-node layered graph (~3,000 edges) with 40 routes."""
    rnd = random.Random(0)
    width = 100
    ids = [f"n{i}" for i in range(n_nodes)]
    nodes = [{"id": n, "label": f"Actor {i}", "kind": KINDS[i % len(KINDS)],
              "level": ["city", "state", "federal", "other"][i % 4],
              "tooltip": [f"tooltip {i}"]} for i, n in enumerate(ids)]
    edges, succ = [], {}
    for i in range(n_nodes - width):
        for j in {i + width, (i // width + 1) * width + rnd.randrange(width)}:
            if j < n_nodes:
                eid = f"e{len(edges)}"
                edges.append({"id": eid, "from": ids[i], "to": ids[j], "label": "data",
                              "status": STATUSES[len(edges) % len(STATUSES)], "tooltip": []})
                succ.setdefault(i, []).append((j, eid))
    routes = []
    for k in range(40):
        cur, path = k, []
        while cur in succ and len(path) < 12:
            cur, eid = succ[cur][0]
            path.append(eid)
        routes.append({"id": f"r{k}", "status": "open", "label": f"route {k}", "edges": path})
    return {"title": "big", "subtitle": "2,000 nodes", "query": None, "summary": {"open": 40},
            "nodes": nodes, "edges": edges, "routes": routes, "layout": layout,
            "ranks": {n: i // width for i, n in enumerate(ids)}}


def data_block(html: str) -> str:
    """Raw text of the embedded graph-data JSON block."""
    m = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)
    assert m, "graph-data block missing"
    return m.group(1)


# --- static checks (no browser) ---------------------------------------------------------------

def test_data_block_is_escaped_json() -> None:
    view = small_view()
    html = render_html(view)
    raw = data_block(html)
    assert not set(raw) & {"<", ">", "&", "\u2028", "\u2029"}
    data = json.loads(raw)
    assert [n["label"] for n in data["nodes"]][-1] == EVIL_IMG
    assert data["edges"][-2]["tooltip"] == [EVIL_CLOSE]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.split("</h1>")[0]
    assert EVIL_IMG not in html and EVIL_CLOSE not in html and EVIL_SCRIPT not in html


def test_no_external_urls() -> None:
    html = render_html(small_view())
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<(link|iframe|object|embed|base)\b", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\b", html, re.I)
    assert set(re.findall(r"""https?://[^\s"'()<>]*""", html)) <= VIS_URLS
    assert "default-src 'none'" in html


def test_rejects_dangling_references() -> None:
    view = small_view()
    view["edges"].append({"id": "bad", "from": "nowhere", "to": "ice"})
    with pytest.raises(ValueError):
        render_html(view)
    view = small_view()
    view["nodes"].append(dict(view["nodes"][0]))
    with pytest.raises(ValueError):
        render_html(view)


def test_write_html_atomic(tmp_path: Path) -> None:
    out = write_html(small_view(), tmp_path / "g.html")
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["g.html"]


# --- headless Chromium -----------------------------------------------------------------------

def assert_clean(rec: Recorded) -> None:
    """No console errors, page errors, dialogs, or requests leaving file://."""
    assert rec.console_errors == [] and rec.page_errors == []
    assert rec.dialogs == []
    assert rec.remote_requests() == []


@pytest.mark.browser
@pytest.mark.parametrize("layout", ["hierarchical", "physics"])
def test_small_graph_drawn(recorded_page: Recorded, tmp_path: Path, layout: str) -> None:
    view = small_view(layout)
    rec = recorded_page
    rec.open(write_html(view, tmp_path / "small.html"))
    page = rec.page
    assert sorted(page.evaluate("window.graphflow.nodeIds()")) == sorted(
        n["id"] for n in view["nodes"])
    assert sorted(page.evaluate("window.graphflow.edgeIds()")) == sorted(
        e["id"] for e in view["edges"])
    assert page.evaluate("window.graphflow.highlighted()") == []
    assert_clean(rec)


@pytest.mark.browser
def test_route_highlight_and_reset(recorded_page: Recorded, tmp_path: Path) -> None:
    view = small_view()
    rec = recorded_page
    rec.open(write_html(view, tmp_path / "small.html"))
    page = rec.page
    highlighted = "window.graphflow.highlighted()"
    for route in view["routes"]:
        page.click(f'[data-route-id="{route["id"]}"]')
        assert sorted(page.evaluate(highlighted)) == sorted(route["edges"])
        assert page.get_attribute(f'[data-route-id="{route["id"]}"]', "aria-pressed") == "true"
    page.click('[data-route-id="r-evil"]')  # clicking the selected route again resets
    assert page.evaluate(highlighted) == []
    page.click('[data-route-id="r-open"]')
    page.click("#show-all")
    assert page.evaluate(highlighted) == []
    assert page.evaluate("window.graphflow.selectRoute('r-court')") is True
    assert sorted(page.evaluate(highlighted)) == ["c1", "c2", "e0"]
    page.evaluate("window.graphflow.reset()")
    assert page.evaluate(highlighted) == []
    assert_clean(rec)


@pytest.mark.browser
def test_hostile_strings_render_as_text(recorded_page: Recorded, tmp_path: Path) -> None:
    rec = recorded_page
    rec.open(write_html(small_view(), tmp_path / "evil.html"))
    page = rec.page
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 3  # data, vis-network, app
    assert EVIL_SCRIPT in page.inner_text("h1")
    assert page.inner_text("dl.query").count(EVIL_IMG) == 1
    assert page.inner_text('[data-route-id="r-evil"]').replace("\n", "").count(
        EVIL_IMG + EVIL_CLOSE) == 1
    # hover the hostile node: our tooltip box, built with textContent only
    pos = page.evaluate("""window.graphflow.nodePosition("x\\"'></b>")""")
    page.mouse.move(pos["x"] - 30, pos["y"] - 30)
    page.mouse.move(pos["x"], pos["y"], steps=5)
    page.wait_for_selector("#gf-tooltip .gf-tip", state="visible", timeout=5000)
    tip = page.text_content("#gf-tooltip")
    assert EVIL_IMG in tip and EVIL_CLOSE in tip and EVIL_SCRIPT in tip
    page.mouse.click(pos["x"], pos["y"])  # click copies the tooltip into the details panel
    assert EVIL_CLOSE in page.text_content("#details")
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert_clean(rec)


@pytest.mark.browser
@pytest.mark.parametrize("layout", ["physics", "hierarchical"])
def test_big_graph_becomes_ready_and_stops(recorded_page: Recorded, tmp_path: Path,
                                          layout: str) -> None:
    view = big_view(2000, layout)
    rec = recorded_page
    path = write_html(view, tmp_path / "big.html")
    drawn_at = rec.open(path, timeout_ms=60_000)
    page = rec.page
    print(f"\n2000-node {layout} view: {path.stat().st_size} bytes, drawn at {drawn_at:.0f} ms")
    assert len(page.evaluate("window.graphflow.nodeIds()")) == 2000
    assert sorted(page.evaluate("window.graphflow.edgeIds()")) == sorted(
        e["id"] for e in view["edges"])
    sample = "[0, 7, 555, 1999].map(i => window.graphflow.nodePosition('n' + i))"
    before = page.evaluate(sample)
    page.wait_for_timeout(1000)
    assert page.evaluate(sample) == before, "layout still moving after ready"
    page.click('[data-route-id="r3"]')
    assert sorted(page.evaluate("window.graphflow.highlighted()")) == sorted(
        view["routes"][3]["edges"])
    assert_clean(rec)


@pytest.mark.browser
def test_tooltip_prefers_highlighted_edge_and_renders_markdown_as_text(
        recorded_page: Recorded, tmp_path: Path) -> None:
    """Two arrows cross at one point: the highlighted route's arrow gives the tooltip."""
    nodes = [{"id": i, "label": i.upper(), "kind": "agency", "level": "city",
              "tooltip": ["**bold** and `code` " + EVIL_IMG]} for i in "abcd"]
    xy = {"a": [0, 0], "b": [400, 0], "c": [200, -200], "d": [200, 200]}
    edges = [{"id": "A", "from": "a", "to": "b", "label": "", "status": "open", "tooltip": []},
             {"id": "B", "from": "c", "to": "d", "label": "", "status": "open", "tooltip": []}]
    view = {"title": "cross", "nodes": nodes, "edges": edges, "layout": "layered",
            "routes": [{"id": "rA", "status": "open", "label": "A", "edges": ["A"]},
                       {"id": "rB", "status": "open", "label": "B", "edges": ["B"]}],
            "positions": {"positions": xy, "lanes": [], "smooth": {}, "radius": 45}}
    rec = recorded_page
    rec.open(write_html(view, tmp_path / "cross.html"))
    page = rec.page
    for route, want in (("rA", "A"), ("rB", "B")):
        page.evaluate("id => window.graphflow.selectRoute(id)", route)
        mid = page.evaluate("window.graphflow.canvasToClient(200, 0)")
        page.mouse.move(mid["x"] + 60, mid["y"] + 60)
        page.mouse.move(mid["x"], mid["y"], steps=6)
        page.wait_for_selector("#gf-tooltip .gf-tip", state="visible", timeout=5000)
        assert page.evaluate("window.graphflow.shownTooltip()") == {"kind": "edge", "id": want}
        page.mouse.move(5, 5)
    # markdown emphasis becomes elements holding text; the hostile string stays text
    pos = page.evaluate("window.graphflow.nodePosition('a')")
    page.mouse.move(pos["x"] + 30, pos["y"] + 30)
    page.mouse.move(pos["x"], pos["y"], steps=4)
    page.wait_for_selector("#gf-tooltip .gf-tip", state="visible", timeout=5000)
    assert "**" not in page.text_content("#gf-tooltip")
    assert page.text_content("#gf-tooltip strong") == "bold"
    assert page.text_content("#gf-tooltip code") == "code"
    assert EVIL_IMG in page.text_content("#gf-tooltip")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert_clean(rec)
