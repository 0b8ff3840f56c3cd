"""graphflow: a data-sharing flow audit graph.

By which routes can an arrest reach immigration authorities despite sanctuary rules,
for which person, at which date, on what evidence? A research tool, not legal advice.

    import graphflow
    audit = graphflow.open_pack("nyc")
    audit.leaks(profile="fare-evasion", as_of="2017-03-01").to_dict()

The API lives in :mod:`graphflow.api` (see docs/api.md); it is imported on first use, so that
``graphflow --help`` starts as fast as before.
"""

from typing import Any

__version__ = "0.1.0"

_API = ("open_pack", "Audit", "Routes", "WhatIf", "Counts", "Cut", "Exposure", "Diff",
        "Timeline", "Explanation")
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from graphflow import api

        return getattr(api, name)
    raise AttributeError(f"module 'graphflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
