"""Process-wide tuning for batch runs: off unless asked for (the command line asks).

The library changes no interpreter state by itself. ``enable()``, which the CLI's ``main()``
calls (and a benchmark or a long notebook may call to get the same), turns on:

- pausing the cyclic garbage collector while a pack is read and while large acyclic results
  are built (it would rescan millions of young objects for cycles that are never there);
- ``gc.freeze()`` after a pack is loaded (the pack lives as long as the process: the collector
  then never rescans it);
- a cache of loaded packs by folder, of at most ``CACHE_SIZE`` packs (least recently used
  dropped): ``load_pack`` of the same folder returns the same Pack.

``load_pack(..., cache=True)`` asks for the cache alone, without the rest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

CACHE_SIZE = 4
_enabled = False


def enable(on: bool = True) -> None:
    """Turn batch tuning on (or off) for this process."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


@contextmanager
def paused_gc() -> Iterator[None]:
    """With tuning on, pause the cyclic collector for the block (no cycles are made in it);
    otherwise do nothing."""
    if not _enabled or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def freeze() -> None:
    """With tuning on, move every object alive now out of the collector's sight."""
    if _enabled:
        gc.freeze()
