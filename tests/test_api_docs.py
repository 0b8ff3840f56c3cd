"""docs/api.md is executed: each ```python block runs, in order, in one namespace, and what it
prints must be the ```output block that follows it, verbatim.

After an intended change, rewrite the output blocks with

    GRAPHFLOW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_api_docs.py

and read the diff: the guide's prose must still say what the numbers say.
"""

from __future__ import annotations

import contextlib
import io
import os
import re

import pytest

from tests.conftest import ROOT

DOC = ROOT / "docs" / "api.md"
UPDATE = os.environ.get("GRAPHFLOW_UPDATE_GOLDEN") == "1"
PAIR = re.compile(r"```python\n(.*?)```\n\n```output\n(.*?)```", re.S)


def test_every_code_block_has_its_output():
    text = DOC.read_text()
    assert text.count("```python") == len(PAIR.findall(text)) >= 8


def test_api_guide_runs_and_prints_what_it_says():
    pytest.importorskip("pandas")
    text = DOC.read_text()
    namespace: dict[str, object] = {}
    pieces, last = [], 0
    for n, match in enumerate(PAIR.finditer(text), 1):
        code, want = match.group(1), match.group(2)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, f"{DOC}:block {n}", "exec"), namespace)  # noqa: S102
        got = buf.getvalue()
        if UPDATE:
            pieces += [text[last:match.start(2)], got]
            last = match.end(2)
        else:
            assert got == want, f"docs/api.md block {n} printed:\n{got}\nnot:\n{want}"
    if UPDATE:
        DOC.write_text("".join(pieces) + text[last:])


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    for n, code in enumerate(blocks, 1):
        namespace: dict[str, object] = {}
        exec(compile(code, f"README.md:python block {n}", "exec"), namespace)  # noqa: S102
        assert "audit" in namespace
