"""Every command's --help shows an example; shell completion offers the pack's real ids."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest

from graphflow.cli.main import cli


def _commands(cmd: click.Command, path: tuple[str, ...] = ()):
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _commands(cmd.get_command(ctx, name), (*path, name))
    else:
        yield path, cmd


COMMANDS = list(_commands(cli))


def test_every_command_is_found():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"routes", "leaks", "explain", "list", "validate", "export html", "query run"} <= names


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_help_has_an_example(run_cli, path):
    code, out, err = run_cli(*path, "--help")
    assert code == 0, err
    text = " ".join(out.split())
    assert "Example: " in text, " ".join(path)
    words = text[text.index("Example: "):].split()
    at = words.index("graphflow")  # after any VAR=value environment settings
    assert all("=" in w for w in words[1:at])
    assert words[at + 1:at + 1 + len(path)] == list(path)  # the example runs this command


def _complete(words: str, env_extra: dict | None = None) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(cword),
               _GRAPHFLOW_COMPLETE="bash_complete", **(env_extra or {}))
    proc = subprocess.run([sys.executable, "-m", "graphflow"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]


def test_completion_offers_the_packs_ids(nyc):
    assert _complete("graphflow routes --profile fare") == sorted(
        p for p in nyc.profiles if p.startswith("fare"))
    assert _complete("graphflow routes --from nypd-c") == sorted(
        a for a in nyc.actors if a.startswith("nypd-c"))
    assert _complete("graphflow leaks --close fbi-") == sorted(
        f for f in nyc.flows if f.startswith("fbi-"))
    assert "nyc" in _complete("graphflow routes --data n")
    assert _complete("graphflow routes --set judicial-w") == ["judicial-warrant="]


def test_completion_reads_the_pack_given_with_data(nyc):
    from graphflow.packs.loader import load_pack
    from tests.conftest import MINI

    mini = load_pack(MINI)
    got = _complete(f"graphflow routes --data {MINI} --profile ")
    assert got == sorted(mini.profiles) and set(got) != set(nyc.profiles)
    assert _complete(f"graphflow routes --data {MINI}-missing --profile ") == []


def test_readme_validate_examples_run_as_written_from_a_fresh_clone(tmp_path):
    """Clone the repository, put the shared sources beside the clone as the README says, and
    run every `graphflow validate` line of the README's command list as written."""
    import re
    import shlex

    from tests.conftest import ROOT, SHARED

    lines = re.findall(r"^graphflow (validate [^#\n]*?)\s*(?:#.*)?$",
                       (ROOT / "README.md").read_text(), re.M)
    assert lines and any("--sources-dir" not in line for line in lines)
    clone = tmp_path / "graphflow"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    without = [line for line in lines if "../shared" not in line]
    for line in without:  # needs nothing but the clone
        proc = subprocess.run([sys.executable, "-m", "graphflow", *shlex.split(line)],
                              cwd=clone, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (line, proc.stderr)
        assert "OK" in proc.stdout
    (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    for line in lines:
        proc = subprocess.run([sys.executable, "-m", "graphflow", *shlex.split(line)],
                              cwd=clone, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, (line, proc.stderr)


# Commands that write a file or change a database, not print data; and the neo4j engineer's
# commands (graphflow/cli/neo4j_cmd.py), checked there.
NO_DATA = {"brief", "export", "neo4j", "query", "cypher"}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS if p[0] not in NO_DATA], ids=" ".join)
def test_every_command_that_prints_data_offers_every_format(path):
    cmd = dict(COMMANDS)[path]
    fmt = next((p for p in cmd.params if p.name == "fmt"), None)
    assert fmt is not None, f"{' '.join(path)} has no --format"
    assert {"table", "json", "csv", "md"} <= set(fmt.type.choices), " ".join(path)
