"""Generic row output: aligned text table, JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return " ".join(str(value).split())


def render_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
                max_width: int = 60) -> str:
    """Render rows (dicts) in the chosen format."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in columns])
        return buf.getvalue()
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    if fmt == "md":
        head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n"
        return head + "".join(
            "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in cells
        )
    cut = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h), *(len(row[i]) for row in cut)]) for i, h in enumerate(columns)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in cut]
    return "\n".join(lines) + "\n"
