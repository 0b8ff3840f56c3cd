"""Hundreds of bad packs, made by breaking the real bundled packs, through the real CLI.

Each mutant is a copy of a bundled pack with one defect of a known kind: a wrong type, a missing
or unknown key, a dangling reference, a duplicate id, an impossible date, a huge integer, NaN,
a deep condition, an alias bomb, a forbidden byte, broken syntax, a file that is a folder or is
missing. Every mutant is run with ``graphflow validate`` and ``graphflow routes --as-of
2017-03-01`` through ``graphflow.cli.main.main`` in a worker process, each call with its own
timeout (a worker that does not answer in time is killed and the mutant counts as a hang). Each
must exit non-zero with only one-line errors, no traceback and no "internal error". The bombs
and deep mutants also run in a fresh process each, whose own peak memory (``wait4``) and time
are reported.
"""

from __future__ import annotations

import json
import os
import random
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

AS_OF = "2017-03-01"
TIMEOUT = 120.0  # seconds for one CLI call, generous for a loaded 2-core machine
PACKS = ("nyc", "connecticut")
LIST_KEY = {"facts": "facts", "data_items": "data_items", "sources": "sources",
            "actors": "actors", "flows": "flows", "rules": "rules", "profiles": "profiles",
            "conflicts": "conflicts"}
PROBLEM = re.compile(r"^(graphflow: error: .+|\S+?(:\d+)*: (error|warning): .+)$")

BOMB = "".join(
    f"{k}: &{k} [{', '.join([f'*{p}'] * 9 if p else ['lol'] * 9)}]\n"
    for k, p in zip("abcdefghi", ["", *"abcdefgh"], strict=True))

WORKER = r"""
import contextlib, io, json, sys
from graphflow.cli.main import main
for line in sys.stdin:
    args = json.loads(line)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:
            import traceback
            err.write("Traceback (uncaught)\n" + traceback.format_exc())
            code = 99
    print(json.dumps({"code": code, "out": out.getvalue(), "err": err.getvalue()}), flush=True)
"""


def _yaml_dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


class Mutant:
    def __init__(self, pack: str, label: str, apply: Callable[[Path], None], bomb: bool = False):
        self.pack, self.label, self.apply, self.bomb = pack, label, apply, bomb


def _data_mutant(pack: str, file: str, label: str,
                 change: Callable[[object], None]) -> Mutant:
    def apply(folder: Path) -> None:
        path = folder / f"{file}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        text = _yaml_dump(data)  # a deep condition is spliced in as text (dump recurses)
        text = text.replace("__DEEP__", "{not: " * 5000 + "{fact: x, is: true}" + "}" * 5000)
        path.write_text(text, encoding="utf-8")
    return Mutant(pack, f"{pack}/{file}: {label}", apply)


def _text_mutant(pack: str, file: str, label: str, change: Callable[[bytes], bytes],
                 bomb: bool = False) -> Mutant:
    def apply(folder: Path) -> None:
        path = folder / f"{file}.yaml"
        path.write_bytes(change(path.read_bytes()))
    return Mutant(pack, f"{pack}/{file}: {label}", apply, bomb)


def _at_line(raw: bytes, n: int, insert: bytes) -> bytes:
    lines = raw.split(b"\n")
    n = min(n, len(lines) - 1)
    lines[n] = lines[n] + insert
    return b"\n".join(lines)


def _setter(key: str, i: int, field: str, value: object) -> Callable[[object], None]:
    def change(data: object) -> None:
        data[key][i][field] = value  # type: ignore[index]
    return change


def _deep(depth: int) -> dict:
    cond: dict = {"fact": "x", "is": True}
    for _ in range(depth):
        cond = {"not": cond}
    return cond


def mutants() -> Iterator[Mutant]:
    rng = random.Random(20170301)
    for pack in PACKS:
        folder = ROOT / "data" / pack
        for file, key in LIST_KEY.items():
            if not (folder / f"{file}.yaml").is_file():
                continue
            items = yaml.safe_load((folder / f"{file}.yaml").read_text(encoding="utf-8"))[key]
            for i in [rng.randrange(len(items))]:
                for label, field, value in (("id is a list", "id", [1]),
                                            ("id is a number", "id", 5),
                                            ("id is not kebab-case", "id", "Bad Id"),
                                            ("unknown key", "colour", "red"),
                                            ("huge int", "id", 10**4000)):
                    yield _data_mutant(pack, file, f"{label} [{i}]", _setter(key, i, field,
                                                                            value))
                yield _data_mutant(pack, file, f"id missing [{i}]",
                                   lambda d, key=key, i=i: d[key][i].pop("id"))
                yield _data_mutant(pack, file, f"item is a string [{i}]",
                                   lambda d, key=key, i=i: d[key].__setitem__(i, "oops"))
                if len(items) > 1:
                    yield _data_mutant(pack, file, f"duplicate id [{i}]",
                                       lambda d, key=key, i=i: d[key][i].__setitem__(
                                           "id", d[key][(i + 1) % len(d[key])]["id"]))
            yield _data_mutant(pack, file, "top level is a list", lambda d: d.clear())
            yield _data_mutant(pack, file, "list is a mapping",
                               lambda d, key=key: d.__setitem__(key, {"a": 1}))
            fresh = file in ("flows", "rules")  # these also run alone, to measure them
            yield _text_mutant(pack, file, "alias bomb", lambda raw: raw + b"\n" +
                               BOMB.encode(), bomb=fresh)
            yield _text_mutant(pack, file, "recursive alias",
                               lambda raw: raw + b"\nloop: &l [1, *l]\n")
            yield _text_mutant(pack, file, "deep list", lambda raw: raw + b"\nx: " +
                               b"[" * 5000 + b"]" * 5000 + b"\n", bomb=fresh)
            for n in (1, 7):
                yield _text_mutant(pack, file, f"NUL byte line {n + 1}",
                                   lambda raw, n=n: _at_line(raw, n, b" \x00"))
                yield _text_mutant(pack, file, f"non-UTF-8 line {n + 1}",
                                   lambda raw, n=n: _at_line(raw, n, b" \xff\xfe"))
            yield _text_mutant(pack, file, "raw OSC escape",
                               lambda raw: _at_line(raw, 3, b" \x1b]0;x\x07"))
            yield _text_mutant(pack, file, "broken syntax",
                               lambda raw: _at_line(raw, 2, b"\n  - {id: [unclosed"))
            yield _text_mutant(pack, file, "NaN value", lambda raw: raw.replace(
                b"\n  - id: ", b"\n  - latency_hours: .nan\n    id: ", 1))
            yield Mutant(pack, f"{pack}/{file}: is a folder",
                         lambda f, file=file: _replace_with_dir(f / f"{file}.yaml"))
            # a pack that extends others needs only its pack.yaml (docs/pack-format.md); its
            # other files may be missing when nothing else in the pack needs their items
            optional = file in ("profiles", "rules", "conflicts") and "extends:" in (
                ROOT / "data" / pack / "pack.yaml").read_text(encoding="utf-8")
            if file != "conflicts" and not optional:
                yield Mutant(pack, f"{pack}/{file}: missing",
                             lambda f, file=file: (f / f"{file}.yaml").unlink())
        for date in ("2017-02-31", "2017-13-01", "2019-02-29", "yesterday"):
            yield _data_mutant(pack, "sources", f"bad date {date}",
                               lambda d, date=date: d["sources"][0].__setitem__("date", date))
            yield _data_mutant(pack, "flows", f"bad valid_from {date}",
                               lambda d, date=date: d["flows"][0].__setitem__("valid_from",
                                                                              date))
            yield _data_mutant(pack, "rules", f"bad effective {date}",
                               lambda d, date=date: d["rules"][0].__setitem__("effective",
                                                                              date))
            yield _data_mutant(pack, "actors", f"bad valid_to {date}",
                               lambda d, date=date: d["actors"][0].__setitem__("valid_to",
                                                                               date))
        for field in ("from", "to"):
            yield _data_mutant(pack, "flows", f"dangling {field}",
                               lambda d, field=field: d["flows"][1].__setitem__(
                                   field, "no-such-actor"))
        yield _data_mutant(pack, "flows", "dangling data item",
                           lambda d: d["flows"][0].__setitem__("data", ["no-such-item"]))
        yield _data_mutant(pack, "flows", "citation of an unknown source",
                           lambda d: d["flows"][0]["citations"][0].__setitem__(
                               "source", "no-such-source"))
        yield _data_mutant(pack, "rules", "effect on an unknown flow",
                           lambda d: d["rules"][0]["effects"][0].__setitem__(
                               "flow", "no-such-flow"))
        yield _data_mutant(pack, "flows", "condition 5000 deep",
                           lambda d: d["flows"][0].__setitem__("when", "__DEEP__"))
        yield _data_mutant(pack, "flows", "condition 65 deep",
                           lambda d: d["flows"][0].__setitem__("when", _deep(65)))
        yield _data_mutant(pack, "flows", "condition on an unknown fact",
                           lambda d: d["flows"][0].__setitem__(
                               "when", {"fact": "no-such-fact", "is": True}))
        yield _data_mutant(pack, "flows", "latency infinite",
                           lambda d: d["flows"][0].__setitem__("latency_hours", float("inf")))
        yield _data_mutant(pack, "flows", "latency negative",
                           lambda d: d["flows"][0].__setitem__("latency_hours", -1))
        yield _data_mutant(pack, "flows", "wrong enum",
                           lambda d: d["flows"][0].__setitem__("mechanism", "telepathy"))
        yield _data_mutant(pack, "sources", "url is a phrase",
                           lambda d: d["sources"][0].__setitem__("url", "a string"))
        yield _data_mutant(pack, "pack", "default target unknown",
                           lambda d: d.__setitem__("default_target", "no-such-actor"))
        yield _data_mutant(pack, "pack", "jurisdictions a number",
                           lambda d: d.__setitem__("jurisdictions", 3))


def _replace_with_dir(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


class Worker:
    """A child process running graphflow's entry point on request, killed on a timeout."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)

    def run(self, args: list[str]) -> dict | None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:  # a hang or a crash of the whole process
            self.stop()
            return None
        return json.loads(line)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _fresh_run(args: list[str]) -> tuple[int | None, float, int]:
    """One CLI call in its own process: (exit code or None on timeout, seconds, peak KiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "graphflow", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + TIMEOUT
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, time.perf_counter() - start, usage.ru_maxrss
        if time.perf_counter() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            return None, time.perf_counter() - start, usage.ru_maxrss
        select.select([], [], [], 0.05)


def test_mutated_packs_fail_cleanly(tmp_path: Path) -> None:
    all_mutants = list(mutants())
    assert len(all_mutants) >= 200
    worker = Worker()
    tally = {"mutants": 0, "runs": 0, "tracebacks": 0, "internal_errors": 0, "hangs": 0,
             "bad_exit": 0, "not_one_line": 0}
    failures: list[str] = []
    worst = {"seconds": 0.0, "peak_mib": 0.0, "label": ""}
    try:
        for n, mutant in enumerate(all_mutants):
            folder = tmp_path / f"m{n}"
            shutil.copytree(ROOT / "data" / mutant.pack, folder)
            mutant.apply(folder)
            tally["mutants"] += 1
            for args in (["validate", str(folder)],
                         ["routes", "--data", str(folder), "--as-of", AS_OF]):
                tally["runs"] += 1
                result = worker.run(args)
                if result is None:
                    tally["hangs"] += 1
                    failures.append(f"{mutant.label}: {args[0]} hung")
                    continue
                err, code = result["err"], result["code"]
                problem = None
                if "Traceback" in err:
                    tally["tracebacks"] += 1
                    problem = "traceback"
                elif "internal error" in err:
                    tally["internal_errors"] += 1
                    problem = "internal error"
                elif code == 0 or code >= 70:
                    tally["bad_exit"] += 1
                    problem = f"exit {code}"
                else:
                    lines = err.strip().splitlines()
                    if not lines or not all(PROBLEM.match(x) for x in lines) or (
                            args[0] == "routes" and len(lines) != 1):
                        tally["not_one_line"] += 1
                        problem = "not one-line errors"
                if problem:
                    failures.append(f"{mutant.label}: {args[0]}: {problem}: {err[:300]!r}")
            if mutant.bomb:
                for args in (["routes", "--data", str(folder), "--as-of", AS_OF],):
                    code, took, peak = _fresh_run(args)
                    if code is None:
                        tally["hangs"] += 1
                        failures.append(f"{mutant.label}: {args[0]} hung in a fresh process")
                    if took > worst["seconds"]:
                        worst["seconds"] = round(took, 2)
                    if peak / 1024 > worst["peak_mib"]:
                        worst.update(peak_mib=round(peak / 1024, 1), label=mutant.label)
            shutil.rmtree(folder)
    finally:
        worker.stop()
    print("\nmutants:", json.dumps({**tally, "worst_bomb": worst}))
    assert failures == [], "\n".join(failures[:20])
    assert tally["mutants"] >= 200 and tally["hangs"] == 0 and tally["tracebacks"] == 0


@pytest.mark.parametrize("pack", PACKS)
def test_the_unbroken_packs_pass(pack: str) -> None:
    """The control: the same worker and checks accept the packs as bundled."""
    worker = Worker()
    try:
        result = worker.run(["validate", str(ROOT / "data" / pack)])
        routes = worker.run(["routes", "--data", pack, "--as-of", AS_OF, "--format", "json"])
    finally:
        worker.stop()
    assert result and result["code"] == 0, result
    assert routes and routes["code"] == 0 and json.loads(routes["out"])["routes"]


def test_mutants_are_really_broken_copies() -> None:
    """Each mutation changes the pack (a mutant equal to the original would prove nothing)."""
    originals = {p: {f.name: f.read_bytes() for f in (ROOT / "data" / p).glob("*.yaml")}
                 for p in PACKS}
    base = Path(os.environ.get("TMPDIR", "/tmp"))
    for n, mutant in enumerate(mutants()):
        folder = base / f"graphflow-mutant-check-{os.getpid()}-{n}"
        shutil.copytree(ROOT / "data" / mutant.pack, folder)
        try:
            mutant.apply(folder)
            now = {f.name: f.read_bytes() for f in folder.glob("*.yaml") if f.is_file()}
            assert now != originals[mutant.pack], mutant.label
        finally:
            shutil.rmtree(folder)
