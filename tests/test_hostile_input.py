"""Hostile input cannot hurt (issue 9): every finding of the security run, as a regression test.

Bad packs and what-if files are written into a copy of the real NYC pack and run through the real
CLI entry point. Each must give one line on stderr with file:line where the input has one, exit
non-zero, and print no traceback. Bombs run in a child process with a timeout and a memory
ceiling, so a regression fails the test instead of hanging or swapping the machine.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from graphflow.cli.options import MAX_HOPS
from graphflow.packs import yamlio
from graphflow.packs.schema import MAX_CONDITION_DEPTH
from tests.conftest import ROOT

AS_OF = "2017-03-01"
NYC = ROOT / "data" / "nyc"
# the CLI's one-line error, or validate's "file:line: error: ..." problem line
ONE_LINE = re.compile(r"^(graphflow: error: .+|\S+?(:\d+)*: error: .+)$")


@pytest.fixture()
def nyc_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "nyc"
    shutil.copytree(NYC, dst)
    return dst


def one_line_error(code: int, out: str, err: str) -> str:
    assert code not in (0, 70), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and ONE_LINE.match(lines[0]), err
    return lines[0]


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def limited_child(args: list[str], timeout: float = 60) -> tuple[subprocess.CompletedProcess,
                                                                  int]:
    """The CLI in a child process with a 2 GB address-space ceiling; (result, peak KiB)."""
    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-m", "graphflow", *args], capture_output=True,
                          text=True, timeout=timeout, preexec_fn=ceiling, cwd=ROOT)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc, max(peak, before)


# --- YAML: bombs, depth, bytes, numbers -------------------------------------------------------

BOMB = """
lol: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


@pytest.mark.parametrize("command", [["validate"], ["routes", "--as-of", AS_OF, "--data"]])
def test_alias_bomb_in_a_pack_is_refused_at_its_line(nyc_copy: Path, command):
    flows = nyc_copy / "flows.yaml"
    append(flows, BOMB)
    proc, _ = limited_child([*command, str(nyc_copy)])
    line = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert f"{flows}:{line_of(flows, 'i: &i')}:" in line and "alias bomb" in line


def test_alias_bomb_in_a_what_if_file_is_refused(tmp_path: Path):
    rule = tmp_path / "bomb.yaml"
    rule.write_text("rules: []\n" + BOMB, encoding="utf-8")
    proc, _ = limited_child(["routes", "--as-of", AS_OF, "--assume-rule", str(rule)])
    line = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert f"{rule}:{line_of(rule, 'i: &i')}:" in line


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path):
    rule = tmp_path / "loop.yaml"
    rule.write_text("rules: &r\n  - *r\n", encoding="utf-8")
    proc, _ = limited_child(["routes", "--as-of", AS_OF, "--assume-rule", str(rule)])
    line = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert f"{rule}:2:" in line and "own anchor" in line


def test_a_few_honest_aliases_still_load(tmp_path: Path):
    path = tmp_path / "ok.yaml"
    path.write_text("a: &x {k: [1, 2]}\nb: *x\nc: *x\n", encoding="utf-8")
    doc = yamlio.load_yaml(path)
    assert doc.data == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}, "c": {"k": [1, 2]}}


def _deep_when(depth: int) -> str:
    cond = "{fact: judicial-warrant, is: true}"
    for _ in range(depth - 1):
        cond = "{not: " + cond + "}"
    return cond


def _hypothetical_rule(when: str) -> str:
    return ("rules:\n  - id: what-if-deep\n    name: Deep\n    jurisdiction: nyc\n"
            "    kind: law\n    effects:\n      - flow: arrest-booking\n        effect: blocks\n"
            f"        when: {when}\n        citations: []\n    citations: []\n")


@pytest.mark.parametrize("depth,flow", [(MAX_CONDITION_DEPTH + 1, True), (5000, True),
                                        (MAX_CONDITION_DEPTH + 1, False), (5000, False)])
def test_conditions_nested_too_deep_are_errors_with_file_line(nyc_copy: Path, tmp_path: Path,
                                                              run_cli, depth: int, flow: bool):
    if flow:
        flows = nyc_copy / "flows.yaml"
        text = flows.read_text(encoding="utf-8")
        old = "    when: {fact: arrest-type, in: [custodial-arrest, desk-appearance-ticket]}"
        flows.write_text(text.replace(old, "    when: " + _deep_when(depth), 1),
                         encoding="utf-8")
        line = one_line_error(*run_cli("validate", str(nyc_copy)))
        assert f"{flows}:{line_of(flows, '{not: {not:')}" in line
    else:
        rule = tmp_path / "deep.yaml"
        rule.write_text(_hypothetical_rule(_deep_when(depth)), encoding="utf-8")
        line = one_line_error(*run_cli("routes", "--as-of", AS_OF, "--assume-rule", str(rule)))
        assert f"{rule}:9" in line
    assert "nested" in line and ("64" in line or str(yamlio.MAX_DEPTH) in line)


def test_a_named_condition_nested_too_deep_is_an_error_with_file_line(nyc_copy: Path, run_cli):
    named = nyc_copy / "conditions.yaml"
    text = named.read_text(encoding="utf-8")
    old = "    when: {fact: last-violent-or-serious-conviction, within: {years: 5}}"
    assert old in text
    named.write_text(text.replace(old, "    when: " + _deep_when(MAX_CONDITION_DEPTH + 6), 1),
                     encoding="utf-8")
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert f"{named}:{line_of(named, '{not: {not:')}" in line and "nested" in line


def test_a_condition_at_the_depth_limit_is_accepted(tmp_path: Path, run_cli):
    rule = tmp_path / "ok.yaml"
    text = _hypothetical_rule(_deep_when(MAX_CONDITION_DEPTH))
    rule.write_text(text.replace("effect: blocks", "effect: blocks\n        note: x"),
                    encoding="utf-8")
    code, out, err = run_cli("routes", "--as-of", AS_OF, "--assume-rule", str(rule),
                             "--format", "json")
    # the file gets past the depth check and the schema; its missing citations are the error
    assert "nested" not in err


@pytest.mark.parametrize("raw,char", [(b"x\x00y", "U+0000"), (b"\x1b]0;pwned\x07", "U+001B")])
def test_forbidden_characters_give_file_and_line(nyc_copy: Path, run_cli, raw, char):
    actors = nyc_copy / "actors.yaml"
    data = actors.read_bytes()
    lines = data.split(b"\n")
    lines[9] = lines[9] + b" " + raw
    actors.write_bytes(b"\n".join(lines))
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert f"{actors}:10:" in line and char in line


def test_non_utf8_bytes_give_file_and_line(nyc_copy: Path, run_cli):
    sources = nyc_copy / "sources.yaml"
    lines = sources.read_bytes().split(b"\n")
    lines[4] += b" \xff\xfe"
    sources.write_bytes(b"\n".join(lines))
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert f"{sources}:5:" in line and "UTF-8" in line


@pytest.mark.parametrize("value,what", [(".nan", "not a finite number"),
                                        (".inf", "not a finite number"),
                                        ("-.Inf", "not a finite number"),
                                        ("9" * 4000, "too large"),
                                        ("9" * 6000, "too large"),
                                        (str(2**53), "too large")])
def test_nan_infinity_and_huge_integers_are_errors(nyc_copy: Path, run_cli, value, what):
    flows = nyc_copy / "flows.yaml"
    text = flows.read_text(encoding="utf-8")
    old = "    confidence: documented\n"
    flows.write_text(text.replace(old, old + f"    latency_hours: {value}\n", 1),
                     encoding="utf-8")
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert f"{flows}:{line_of(flows, 'latency_hours: ' + value[:20])}:" in line and what in line


def test_json_output_never_holds_nan(run_cli):
    code, out, _ = run_cli("routes", "--as-of", AS_OF, "--format", "json")
    assert code == 0
    json.loads(out, parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))


def test_latency_hours_is_bounded_by_the_schema(nyc_copy: Path, run_cli):
    flows = nyc_copy / "flows.yaml"
    text = flows.read_text(encoding="utf-8")
    old = "    confidence: documented\n"
    flows.write_text(text.replace(old, old + "    latency_hours: 1e300\n", 1), encoding="utf-8")
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert "latency_hours" in line


# --- dates, urls, files that are folders ------------------------------------------------------

DATE_FIELDS = [
    ("sources.yaml", '    date: "2017-04-03"', '    date: "2017-02-31"'),
    ("rules.yaml", '    enacted: "2003-09-17"', '    enacted: "2017-02-30"'),
    ("actors.yaml", None, "    valid_from: \"2017-02-29\"\n"),
    ("flows.yaml", None, "    valid_to: \"2017-04-31\"\n"),
]


@pytest.mark.parametrize("name,old,new", DATE_FIELDS)
def test_impossible_dates_are_caught_in_every_date_field(nyc_copy: Path, run_cli, name, old,
                                                         new):
    path = nyc_copy / name
    text = path.read_text(encoding="utf-8")
    if old is None:  # add the field after the first id of the file
        first = re.search(r"^  - id: [^\n]+\n", text, re.M)
        assert first
        text = text[:first.end()] + new + text[first.end():]
    else:
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    bad = new.strip().split(": ")[1]
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert f"{path}:{line_of(path, bad)}" in line and "not a valid date" in line


@pytest.mark.parametrize("url", ["a string", "javascript:alert(1)", "https://", "ftp:/x y"])
def test_a_url_must_be_a_web_address(nyc_copy: Path, run_cli, url):
    sources = nyc_copy / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    text = re.sub(r"url: \S+", f"url: '{url}'", text, count=1)
    sources.write_text(text, encoding="utf-8")
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert str(sources) in line and "url" in line


@pytest.mark.parametrize("name", ["conflicts.yaml", "flows.yaml"])
def test_a_pack_file_that_is_a_folder_is_an_error(nyc_copy: Path, run_cli, name):
    path = nyc_copy / name
    path.unlink(missing_ok=True)
    path.mkdir()
    line = one_line_error(*run_cli("validate", str(nyc_copy)))
    assert str(path) in line and "folder" in line


def test_files_over_the_size_limit_are_refused_before_reading(nyc_copy: Path, run_cli,
                                                              monkeypatch):
    monkeypatch.setattr(yamlio, "MAX_FILE_BYTES", 1000)
    line = one_line_error(*run_cli("routes", "--as-of", AS_OF, "--data", str(nyc_copy)))
    assert "more than the limit of 1,000" in line


# --- --assume-rule: regular files only ---------------------------------------------------------

@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo", "folder"])
def test_assume_rule_reads_regular_files_only(tmp_path: Path, special: str):
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "rules.yaml"
        os.mkfifo(path)
    elif special == "folder":
        path = tmp_path
    proc, _ = limited_child(["routes", "--as-of", AS_OF, "--assume-rule", str(path)],
                            timeout=30)
    line = one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert str(path) in line and ("not a regular file" in line or "folder" in line)


# --- bounded work and arguments ---------------------------------------------------------------

@pytest.mark.parametrize("hops,what", [("1000000000", f"at most {MAX_HOPS}"),
                                       (str(10**30), f"at most {MAX_HOPS}"),
                                       ("0", "at least 1"), ("-3", "at least 1"),
                                       ("many", "whole number")])
@pytest.mark.parametrize("command", [["routes", "--as-of", AS_OF], ["neo4j", "load",
                                     "--with-statuses", "--as-of", AS_OF],
                                     ["export", "cypher", "--with-statuses"]])
def test_max_hops_is_capped(run_cli, command, hops, what):
    line = one_line_error(*run_cli(*command, "--max-hops", hops))
    assert "--max-hops" in line and what in line


def test_the_cli_cap_is_the_store_cap():
    from graphflow.audit import MAX_HOPS_LIMIT as LIBRARY_CAP
    from graphflow.store.engine import MAX_HOPS_LIMIT

    assert MAX_HOPS == MAX_HOPS_LIMIT == LIBRARY_CAP


@pytest.mark.parametrize("hops,what", [(10**9, f"at most {MAX_HOPS}"), (0, "at least 1"),
                                       (True, "whole number"), ("8", "whole number"),
                                       (8.5, "whole number")])
@pytest.mark.parametrize("method", ["routes", "leaks", "count"])
def test_python_callers_get_the_same_hop_cap(method, hops, what):
    """The library bounds the search itself: a notebook cannot ask for a billion-hop walk."""
    import graphflow
    from graphflow.errors import GraphflowError

    audit = graphflow.open_pack("nyc")
    with pytest.raises(GraphflowError) as caught:
        getattr(audit, method)(profile="fare-evasion", as_of="2017-03-01", max_hops=hops)
    assert "--max-hops" in str(caught.value) and what in str(caught.value)
    assert len(getattr(audit, method)(profile="fare-evasion", as_of="2017-03-01",
                                      max_hops=MAX_HOPS).to_dict()) > 0


def test_the_ball_search_stops_when_the_frontier_is_empty(nyc):
    from graphflow.engines.embedded import EmbeddedEngine

    engine = EmbeddedEngine(nyc)
    targets = frozenset(nyc.descendants("ice"))
    # a bound far past any simple path would loop a billion times if the search did not stop
    search = engine.prepare("nypd-arrest", targets, 10**9)
    assert search is not None


def test_a_huge_integer_parameter_is_a_clean_error():
    from graphflow.store.queries import Param, convert

    param = Param("max_hops", "integer", 8, "longest route", False)
    with pytest.raises(Exception) as info:
        convert(param, "1" * 21)
    assert type(info.value).__name__ == "GraphflowError" and "too large" in str(info.value)
    assert convert(param, str(2**63 - 1)) == 2**63 - 1


@pytest.mark.parametrize("option", ["--from", "--to", "--profile", "--data", "--close"])
def test_empty_ids_are_errors_not_defaults(run_cli, option):
    line = one_line_error(*run_cli("routes", "--as-of", AS_OF, option, ""))
    assert f"{option} must not be empty" in line


def test_a_full_disk_on_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "graphflow", "routes", "--as-of", AS_OF],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
                              cwd=ROOT)
    line = one_line_error(proc.returncode, "", proc.stderr)
    assert "No space left on device" in line


def test_a_closed_pipe_is_quiet():
    proc = subprocess.Popen([sys.executable, "-m", "graphflow", "routes", "--as-of", AS_OF,
                             "--format", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.read(10)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"Exception ignored" not in err


# --- terminal output ---------------------------------------------------------------------------

OSC = "\x1b]0;owned\x07"


def test_control_characters_from_pack_data_are_escaped(nyc_copy: Path, run_cli):
    actors = nyc_copy / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    name = re.search(r"^    name: (.+)$", text, re.M)
    assert name
    hostile = '"Hostile \\e]0;owned\\a \\x9b2J \\u202e end"'
    actors.write_text(text[:name.start(1)] + hostile + text[name.end(1):], encoding="utf-8")
    actor = re.search(r"^  - id: (\S+)$", text, re.M).group(1)
    for args in (["list", "actors", "--data", str(nyc_copy)],
                 ["explain", actor, "--data", str(nyc_copy)],
                 ["list", "actors", "--data", str(nyc_copy), "--format", "md"],
                 ["list", "actors", "--data", str(nyc_copy), "--format", "csv"]):
        code, out, err = run_cli(*args)
        assert code == 0, err
        assert "Hostile" in out
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out), args
        assert "\\u001b]0;owned\\u0007" in out
    code, out, _ = run_cli("list", "actors", "--data", str(nyc_copy), "--format", "json")
    rows = json.loads(out)
    assert any(r.get("name", "").startswith("Hostile \x1b]0;owned\x07") for r in rows)


def test_an_error_naming_hostile_text_is_escaped(run_cli):
    code, out, err = run_cli("routes", "--as-of", AS_OF, "--from", f"x{OSC}")
    assert "\x1b" not in err and "\x07" not in err and code == 1


# --- -o: regular files and new paths only ------------------------------------------------------

def test_output_refuses_devices_fifos_and_folders(tmp_path: Path, run_cli):
    fifo = tmp_path / "out.html"
    os.mkfifo(fifo)
    for target, what in (("/dev/full", "device"), ("/dev/null", "device"), (str(fifo), "FIFO"),
                         (str(tmp_path), "folder")):
        for args in (["export", "html", "--as-of", AS_OF, "-o", target],
                     ["export", "graphml", "-o", target],
                     ["export", "cypher", "-o", target]):
            line = one_line_error(*run_cli(*args))
            assert what in line or (what == "folder" and "directory" in line), (args, line)
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode) and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_keeps_the_mode_and_follows_symlinks(tmp_path: Path, run_cli):
    real = tmp_path / "real.graphml"
    real.write_text("old", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.graphml"
    link.symlink_to(real)
    code, _, err = run_cli("export", "graphml", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8").startswith("<?xml")
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_new_output_file_gets_the_umask_mode(tmp_path: Path, run_cli):
    mask = os.umask(0o027)
    try:
        code, _, err = run_cli("export", "cypher", "-o", str(tmp_path / "new.cypher"))
    finally:
        os.umask(mask)
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "new.cypher").stat().st_mode) == 0o640


def test_an_over_long_output_name_is_one_line(tmp_path: Path, run_cli):
    line = one_line_error(*run_cli("export", "html", "--as-of", AS_OF,
                                   "-o", str(tmp_path / ("x" * 256 + ".html"))))
    assert "File name too long" in line
    assert list(tmp_path.iterdir()) == []


def test_dash_is_still_stdout(run_cli):
    code, out, _ = run_cli("export", "graphml", "-o", "-")
    assert code == 0 and out.startswith("<?xml")


def test_every_writer_uses_the_one_atomic_writer():
    """No module but graphflow/outfile.py renames temp files into place or opens -o paths."""
    offenders = []
    for path in (ROOT / "graphflow").rglob("*.py"):
        if path.name == "outfile.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.replace\(|tempfile\.mkstemp|os\.rename\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_neo4j_csv_refuses_a_fifo_among_its_files(tmp_path: Path, run_cli):
    out = tmp_path / "csv"
    out.mkdir()
    os.mkfifo(out / "import.sh")
    line = one_line_error(*run_cli("export", "neo4j-csv", "-o", str(out)))
    assert "import.sh" in line and "FIFO" in line
    assert stat.S_ISFIFO(os.stat(out / "import.sh").st_mode)


def test_validate_problems_are_escaped_on_the_terminal(nyc_copy: Path, run_cli):
    flows = nyc_copy / "flows.yaml"
    text = flows.read_text(encoding="utf-8")
    flows.write_text(text.replace("    from: nypd-arrest\n", '    from: "x\\e]0;owned\\a"\n', 1),
                     encoding="utf-8")
    code, out, err = run_cli("validate", str(nyc_copy))
    assert code == 1 and "\x1b" not in err and "\x07" not in err and "x" in err
