"""Shared fixtures: the bundled NYC pack, the mini fixture pack, and a CLI runner."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from graphflow.audit import make_query, run_query
from graphflow.engines.embedded import EmbeddedEngine
from graphflow.packs.loader import load_pack
from tests import neo4j_server
from tests.browser import chromium, recorded_page  # noqa: F401  (fixtures, one browser per run)

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
SHARED = ROOT.parent / "shared"
SEED_DAY = dt.date(2017, 3, 1)
TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def nyc():
    return load_pack("nyc")


@pytest.fixture(scope="session")
def nyc_engine(nyc):
    return EmbeddedEngine(nyc)


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini pack, to break on purpose."""
    dst = tmp_path / "mini"
    shutil.copytree(MINI, dst)
    return dst


def nyc_routes(pack, engine, profile, as_of=SEED_DAY, **kw):
    """Run a route query on the NYC pack from nypd-arrest to ice."""
    query = make_query(pack, source=kw.pop("source", "nypd-arrest"),
                       target=kw.pop("target", "ice"), profile=profile, as_of=as_of, **kw)
    return run_query(pack, engine, query)


def routes_through(report, flow_id):
    """The routes of a report that use a given flow."""
    return [r for r in report.routes if flow_id in r.flows]


@pytest.fixture()
def run_cli(capsys):
    """Run the real entry point in-process; returns (exit code, stdout, stderr)."""
    from graphflow.cli.main import main

    def run(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def pytest_report_collectionfinish(config, start_path, items):
    """Name the Bolt server the Neo4j tests run against (e.g. ``bolt server: Neo4j/5.26.0``)."""
    return neo4j_server.header(config, items)
