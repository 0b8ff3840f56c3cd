"""Split the flat NYC pack into layers: data/us-federal, data/new-york-state and data/nyc.

    python scripts/split_layers.py FLAT_NYC_DIR OUT_DATA_DIR

A one-off migration kept for the record. Each item's YAML text is moved verbatim (comments
included) into the most general layer that can hold it:
- actors by jurisdiction (us -> us-federal, nys -> new-york-state, nyc -> nyc), except actors that
  are specific to New York City or New York State although run at a higher level (the ERO New
  York field office is in new-york-state; the NYC criminal court, the NYC district attorneys and
  the MTA are in nyc);
- a flow in the most specific layer of its two actors and the jurisdictions that control it;
- a rule by its jurisdiction; an effect of a rule on a flow of a more specific layer moves to that
  layer's rules.yaml, under the top-level ``effects:`` (with ``rule:``), so every layer names only
  flows it can see;
- data items, facts, named conditions and sources in the most general layer that uses them;
- profiles and conflicts stay in nyc.
Items keep their relative order, and a composed pack lists the most specific layer first, so every
flow's effects come in the same order as in the flat pack.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

LAYERS = ("us-federal", "new-york-state", "nyc")
BY_JURISDICTION = {"us": 0, "nys": 1, "nyc": 2}
ACTOR_EXCEPTIONS = {"ice-ero-new-york": 1, "nyc-criminal-court": 2, "nyc-district-attorneys": 2,
                    "mta": 2}
ITEM = re.compile(r"^  - ")


def split_blocks(text: str) -> tuple[str, list[str]]:
    """(the list key line with what precedes it, [each item's text with comments before it])."""
    lines = text.splitlines(keepends=True)
    head: list[str] = []
    blocks: list[str] = []
    pending: list[str] = []
    started = False
    for line in lines:
        if ITEM.match(line):
            started = True
            blocks.append("".join(pending) + line)
            pending = []
        elif line.startswith("  #") or not line.strip():
            pending.append(line)
        elif not started:
            head.append(line)
        else:
            blocks[-1] += "".join(pending) + line
            pending = []
    if pending and blocks:
        blocks[-1] += "".join(pending)
    return "".join(head), blocks


def split_effects(block: str) -> tuple[str, list[str], str]:
    """A rule's text before its effects, each effect's text, and the text after them."""
    lines = block.splitlines(keepends=True)
    try:
        start = next(i for i, x in enumerate(lines) if x.rstrip() == "    effects:")
    except StopIteration:
        return block, [], ""
    end = start + 1
    while end < len(lines) and (lines[end].startswith("      ") or not lines[end].strip()
                                or lines[end].startswith("      #")):
        end += 1
    effects: list[str] = []
    for x in lines[start + 1:end]:
        if x.startswith("      - "):
            effects.append(x)
        elif effects:
            effects[-1] += x
    return "".join(lines[:start]), effects, "".join(lines[end:])


def as_top_level(effect: str, rule: str) -> str:
    """An effect of ``rule`` rewritten as an item of rules.yaml's top-level effects: list."""
    out = []
    for n, line in enumerate(effect.splitlines(keepends=True)):
        if n == 0:
            out.append(f"  - rule: {rule}\n    " + line[8:])
        else:
            out.append(line[4:] if line.startswith("    ") else line)
    return "".join(out)


def _facts_in(cond: Any, out: set[str]) -> None:
    if isinstance(cond, dict):
        if "fact" in cond:
            out.add(cond["fact"])
        if "condition" in cond:
            out.add("@" + cond["condition"])
        for v in cond.values():
            _facts_in(v, out)
    elif isinstance(cond, list):
        for v in cond:
            _facts_in(v, out)


def _cites(item: Any, out: set[str]) -> None:
    if isinstance(item, dict):
        if "source" in item and "quote" in item:
            out.add(item["source"])
            if item.get("original"):
                out.add(item["original"])
        for k, v in item.items():
            if k != "effects":
                _cites(v, out)
    elif isinstance(item, list):
        for v in item:
            _cites(v, out)


def main(flat: Path, out: Path) -> None:
    files = {p.stem: p.read_text(encoding="utf-8") for p in flat.glob("*.yaml")}
    data = {k: yaml.safe_load(v) for k, v in files.items()}
    actor_layer = {}
    for a in data["actors"]["actors"]:
        actor_layer[a["id"]] = ACTOR_EXCEPTIONS.get(a["id"], BY_JURISDICTION[a["jurisdiction"]])
    flow_layer = {f["id"]: max(actor_layer[f["from"]], actor_layer[f["to"]],
                               *(BY_JURISDICTION[j] for j in f.get("controlled_by", ())))
                  for f in data["flows"]["flows"]}
    rule_layer = {r["id"]: BY_JURISDICTION[r["jurisdiction"]] for r in data["rules"]["rules"]}
    uses: dict[str, int] = {}  # fact / data item / source / @condition -> most general layer

    def use(name: str, layer: int) -> None:
        uses[name] = min(uses.get(name, 9), layer)

    for a in data["actors"]["actors"]:
        found: set[str] = set()
        _cites(a, found)
        for s in found:
            use("src:" + s, actor_layer[a["id"]])
    for f in data["flows"]["flows"]:
        lay = flow_layer[f["id"]]
        found = set()
        _facts_in(f.get("when"), found)
        _cites(f, found | set())
        cites: set[str] = set()
        _cites(f, cites)
        for x in found:
            use(x, lay)
        for d in f["data"]:
            use("data:" + d, lay)
        for s in cites:
            use("src:" + s, lay)
    for r in data["rules"]["rules"]:
        cites = set()
        _cites(r, cites)
        for s in cites:
            use("src:" + s, rule_layer[r["id"]])
        for e in r.get("effects", []):
            lay = max(rule_layer[r["id"]], flow_layer[e["flow"]])
            found = set()
            _facts_in(e.get("when"), found)
            cites = set()
            _cites(e, cites)
            for x in found:
                use(x, lay)
            for s in cites:
                use("src:" + s, lay)
    for kind in ("profiles", "conflicts"):
        for item in (data.get(kind) or {}).get(kind, []):
            found = set()
            _facts_in(item.get("facts") and [{"fact": k} for k in item["facts"]], found)
            cites = set()
            _cites(item, cites)
            for x in found:
                use(x, 2)
            for s in cites:
                use("src:" + s, 2)
    conds = {c["id"]: c for c in (data.get("conditions") or {}).get("conditions", [])}
    for cid, c in conds.items():
        lay = uses.get("@" + cid, 2)
        found = set()
        _facts_in(c["when"], found)
        for x in found:
            use(x, lay)
        cites = set()
        _cites(c, cites)
        for s in cites:
            use("src:" + s, lay)

    def layer_of(kind: str, item: dict[str, Any]) -> int:
        i = item["id"]
        if kind == "actors":
            return actor_layer[i]
        if kind == "flows":
            return flow_layer[i]
        if kind == "rules":
            return rule_layer[i]
        if kind == "facts":
            return uses.get(i, 2)
        if kind == "data_items":
            return uses.get("data:" + i, 2)
        if kind == "sources":
            return uses.get("src:" + i, 2)
        if kind == "conditions":
            return uses.get("@" + i, 2)
        return 2

    outputs: dict[int, dict[str, list[str]]] = {n: {} for n in range(3)}
    moved: dict[int, list[str]] = {n: [] for n in range(3)}
    heads: dict[str, str] = {}
    for kind in ("facts", "data_items", "sources", "actors", "flows", "rules", "profiles",
                 "conflicts", "conditions"):
        if kind not in files:
            continue
        head, blocks = split_blocks(files[kind])
        heads[kind] = head
        items = data[kind][kind]
        assert len(items) == len(blocks), (kind, len(items), len(blocks))
        for item, block in zip(items, blocks, strict=True):
            lay = layer_of(kind, item)
            if kind == "rules":
                before, effects, after = split_effects(block)
                keep = []
                for e_item, e_text in zip(item.get("effects", []), effects, strict=True):
                    where = max(lay, flow_layer[e_item["flow"]])
                    if where == lay:
                        keep.append(e_text)
                    else:
                        moved[where].append(as_top_level(e_text, item["id"]))
                if effects:
                    block = before + ("    effects:\n" + "".join(keep) if keep else "") + after
            outputs[lay].setdefault(kind, []).append(block)
    for n, name in enumerate(LAYERS):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        for kind, head in heads.items():
            blocks = outputs[n].get(kind, [])
            extra = moved[n] if kind == "rules" else []
            required = n == 0 and kind not in ("conflicts", "conditions")  # no extends:
            if not blocks and not extra and not required:
                continue
            text = head if blocks else head.rstrip("\n").rstrip() + " []\n"
            text = text.replace(f"{kind}:\n", f"{kind}: []\n") if not blocks else text
            text += "".join(blocks)
            if extra:
                text = text.rstrip("\n") + "\n" + (
                    "# Effects of rules from a base layer on this layer's flows.\n"
                    "effects:\n") + "".join(extra)
            (folder / f"{kind}.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
