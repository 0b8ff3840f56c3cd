"""Pack validation: every kind of bad pack gets a precise, one-line problem with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphflow.packs.loader import check_pack
from graphflow.packs.quotes import check_quotes
from tests.conftest import MINI


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def only_error(folder: Path):
    result = check_pack(folder)
    assert result.errors, "expected an error"
    return result.errors


def test_mini_pack_is_clean_and_quotes_verify():
    result = check_pack(MINI)
    assert result.errors == []
    problems, counts = check_quotes(result.pack, [MINI])
    assert problems == [] and counts == {"checked": 5, "unchecked": 0}


def _line_of(path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def test_broken_yaml_reports_file_and_line(mini_copy):
    flows = mini_copy / "flows.yaml"
    edit(flows, "    mechanism: discretionary", "    mechanism: [discretionary")
    err = only_error(mini_copy)[0]
    # YAML only notices the unclosed '[' on a later line; the error names the line to fix
    assert err.where == f"{flows}:{_line_of(flows, '    mechanism: [discretionary')}:16"
    assert "the '[' here is never closed" in err.what and "']'" in err.hint


@pytest.mark.parametrize(("broken", "what"), [
    ("    mechanism: {discretionary", "the '{' here is never closed"),
    ('    mechanism: "discretionary', "the quote here is never closed"),
    ("    mechanism discretionary", "this line has no ':' after its key"),
])
def test_broken_yaml_points_at_the_line_that_began_the_mistake(mini_copy, broken, what):
    flows = mini_copy / "flows.yaml"
    edit(flows, "    mechanism: discretionary", broken)
    err = only_error(mini_copy)[0]
    assert err.where.split(":")[:2] == [str(flows), str(_line_of(flows, broken))]
    assert what in err.what


def test_a_tab_in_the_indentation_says_tab_at_its_line_and_column(mini_copy):
    flows = mini_copy / "flows.yaml"
    edit(flows, "    mechanism: discretionary", "\tmechanism: discretionary")
    err = only_error(mini_copy)[0]
    assert err.where == f"{flows}:{_line_of(flows, chr(9) + 'mechanism: discretionary')}:1"
    assert "a tab here" in err.what and "spaces" in err.hint


def test_broken_yaml_elsewhere_keeps_the_parsers_position(mini_copy):
    flows = mini_copy / "flows.yaml"
    edit(flows, "    mechanism: discretionary", "    mechanism: discretionary: no")
    err = only_error(mini_copy)[0]
    line = _line_of(flows, "    mechanism: discretionary: no")
    assert err.where == f"{flows}:{line}:29" and "mapping values are not allowed" in err.what


def test_schema_error_points_at_line_and_suggests_key(mini_copy):
    edit(mini_copy / "flows.yaml", "    confidence: alleged", "    confidance: alleged")
    errors = only_error(mini_copy)
    text = " ".join(e.one_line() for e in errors)
    assert "flows.yaml:" in text and "confidence" in text
    assert any("did you mean 'confidence'" in (e.hint or "") for e in errors)


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` that contains ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_an_unknown_key_is_reported_at_its_own_line(mini_copy):
    # top level of a file and inside a list item: the key's line, not the file's or the item's
    pack_file, flows = mini_copy / "pack.yaml", mini_copy / "flows.yaml"
    pack_file.write_text(pack_file.read_text() + "evidence_horizon_month: 12\n")
    edit(flows, "    confidence: alleged", "    confidance: alleged")
    errors = {e.where.rsplit(":", 1)[0]: e for e in only_error(mini_copy)}
    top = errors[str(pack_file)]
    assert top.where == f"{pack_file}:{line_of(pack_file, 'evidence_horizon_month')}"
    assert "did you mean 'evidence_horizon_months'" in (top.hint or "")
    item = errors[str(flows)]
    assert item.where == f"{flows}:{line_of(flows, 'confidance')}"


def test_bad_enum_value_gets_did_you_mean(mini_copy):
    edit(mini_copy / "flows.yaml", "mechanism: automatic", "mechanism: automatik")
    errors = only_error(mini_copy)
    assert any("did you mean 'automatic'" in (e.hint or "") for e in errors)
    assert errors[0].where == f"{mini_copy / 'flows.yaml'}:6"


def test_dangling_reference_with_hint(mini_copy):
    edit(mini_copy / "flows.yaml", "to: feds-desk", "to: feds-dsk")
    (err,) = only_error(mini_copy)
    assert "'feds-dsk' does not exist" in err.what
    assert "did you mean 'feds-desk'" in err.hint
    assert err.where == f"{mini_copy / 'flows.yaml'}:17"


def test_unknown_fact_in_condition(mini_copy):
    edit(mini_copy / "rules.yaml", "{fact: warrant, is: true}", "{fact: warant, is: true}")
    (err,) = only_error(mini_copy)
    assert "unknown fact" in err.what and "'warant'" in err.what
    assert "did you mean 'warrant'" in err.hint
    assert err.where.startswith(str(mini_copy / "rules.yaml"))


def test_enum_value_not_declared(mini_copy):
    edit(mini_copy / "flows.yaml", "{fact: kind, is: arrest}", "{fact: kind, is: arest}")
    (err,) = only_error(mini_copy)
    assert "'arest' is not a value of fact 'kind'" in err.what


def test_duplicate_id(mini_copy):
    edit(mini_copy / "flows.yaml", "  - id: police-call", "  - id: book")
    errors = only_error(mini_copy)
    assert any("duplicate flow id 'book'" in e.what for e in errors)


def test_impossible_and_invalid_dates(mini_copy):
    edit(mini_copy / "flows.yaml", "valid_from: 2010-01", "valid_from: 2010-01\n    valid_to: 2009")
    (err,) = only_error(mini_copy)
    assert "impossible dates" in err.what
    edit(mini_copy / "rules.yaml", "effective: 2015-01-01", "effective: 2015-02-30")
    errors = only_error(mini_copy)
    assert any("'2015-02-30' is not a valid date" in e.what for e in errors)


def test_duplicate_yaml_key(mini_copy):
    edit(mini_copy / "actors.yaml", "kind: agency, level: state",
         "kind: agency, kind: office, level: state")
    (err,) = only_error(mini_copy)
    assert "duplicate key 'kind'" in err.what


def test_quote_that_is_not_verbatim(mini_copy):
    edit(mini_copy / "flows.yaml", "quote: The police call the feds directly",
         "quote: The police phone the feds directly")
    result = check_pack(mini_copy)
    problems, counts = check_quotes(result.pack, [mini_copy])
    assert counts["checked"] == 5
    (p,) = problems
    assert "quote not found verbatim in mini.txt" in p.what
    assert p.where == f"{mini_copy / 'flows.yaml'}:31"


def test_quote_whitespace_is_normalised(mini_copy):
    edit(mini_copy / "mini.txt", "The police call the feds", "The police\n   call\u00a0the feds")
    result = check_pack(mini_copy)
    problems, _ = check_quotes(result.pack, [mini_copy])
    assert problems == []


def test_missing_source_text_is_a_warning(mini_copy, tmp_path):
    result = check_pack(mini_copy)
    problems, counts = check_quotes(result.pack, [tmp_path / "elsewhere"])
    assert counts == {"checked": 0, "unchecked": 5}
    assert [p.severity for p in problems] == ["warning"]
