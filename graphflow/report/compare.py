"""Table and Markdown renderings of `graphflow compare` (graphflow/analysis/across.py): one row
per flow kind, one column per pack, then each deciding rule with its full citation (title,
publisher, date, URL and the original document behind a research note)."""

from __future__ import annotations

from typing import Any

from graphflow.report.routes import Bibliography, _md, source_text, wrap
from graphflow.report.tables import render_rows
from graphflow.report.words import fact_words, value_words


def _cell_text(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "-"
    rule = (cell.get("deciding") or {}).get("rule")
    return f"{cell['status']} ({cell['evidence']}){': ' + rule if rule else ''}"


def header_lines(result: dict[str, Any]) -> list[str]:
    """The question in a few lines: the date and profile, the case facts in words, and each
    pack's trigger, target and layers (with the facts it does not define)."""
    lines = [f"Compare as of {result['as_of']}"
             + (f", profile {result['profile']} (from {result['profile_from']})"
                if result["profile"] else "")]
    said = {"true": True, "false": False}  # --profile-facts values arrive as typed text
    facts = "; ".join(f"{fact_words(k)}: {value_words(said.get(str(v).lower(), v))}"
                      for k, v in result["facts"].items()) or "(none)"
    lines.append(f"Case: {facts}")
    for p in result["packs"]:
        und = ", ".join(p["facts_undefined"])
        lines.append(f"{p['id']}: {p['from']} → {p['to']}; layers "
                     f"{' ← '.join(p['layers'])}"
                     + (f"; does not define: {und}" if und else ""))
    return lines


def _decided(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what, citation) per (flow kind, pack) that a rule decides."""
    out = []
    for r in result["kinds"]:
        for pid in (p["id"] for p in result["packs"]):
            cell = r["packs"][pid]
            d = (cell or {}).get("deciding")
            if d and d.get("source"):
                out.append((f"{r['kind']} / {pid}: {d['name']} [{d['rule']}, "
                            f"{d['jurisdiction']}] on {cell['deciding_flow']}",
                            {"source": d["source"]["id"], **d["source"]}))
    return out


def render_text(result: dict[str, Any], fmt: str) -> str:
    """table or md: one row per flow kind, one column per pack, then the deciding rules (md:
    each citation numbered, then a numbered bibliography)."""
    ids = [p["id"] for p in result["packs"]]
    rows = [{"kind": r["kind"], **{i: _cell_text(r["packs"][i]) for i in ids}}
            for r in result["kinds"]]
    head = header_lines(result)
    decided = _decided(result)
    if fmt == "md":
        bib = Bibliography()
        out = "\n".join(f"- {_md(x)}" for x in head) + "\n\n" + render_rows(
            rows, ["kind", *ids], "md", max_width=200)
        if decided:
            out += "\n## Deciding rules\n\n" + "".join(
                f"- {_md(what)}: {bib.cite(src)}\n" for what, src in decided)
            out += "\n## Sources\n\n" + "\n".join(bib.lines()) + "\n"
        return out + f"\n_{result['disclaimer']}_\n"
    lines = [line for x in head for line in wrap(x, "    ", "")]
    out = "\n".join(lines) + "\n\n" + render_rows(rows, ["kind", *ids], "table", max_width=48)
    if decided:
        out += "\nDeciding rules:\n" + "".join(
            line + "\n" for what, src in decided
            for line in wrap(f"{what}. Source: {source_text(src)}", "      ", "  - "))
    return out + result["disclaimer"] + "\n"
