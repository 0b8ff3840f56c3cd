"""Find the bundled packs and schemas, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

from graphflow.errors import GraphflowError, did_you_mean

_PKG = Path(__file__).resolve().parent.parent
_CANDIDATES = (_PKG / "_bundled", _PKG.parent)


def _find(sub: str) -> Path:
    for base in _CANDIDATES:
        if (base / sub).is_dir():
            return base / sub
    raise GraphflowError(f"cannot find the bundled {sub!r} folder", hint="reinstall graphflow")


def data_root() -> Path:
    """The folder holding the bundled packs (data/<pack>/)."""
    return _find("data")


def schema_root() -> Path:
    """The folder holding the JSON Schemas."""
    return _find("schema")


def bundled_packs() -> list[str]:
    return sorted(p.name for p in data_root().iterdir() if (p / "pack.yaml").is_file())


def pack_path(name_or_path: str | None) -> Path:
    """A pack folder from a bundled pack name or a path (default: the nyc pack)."""
    if not name_or_path:
        name_or_path = "nyc"
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if path.is_file() and path.name == "pack.yaml":
        return path.parent
    bundled = data_root() / name_or_path
    if "/" not in name_or_path and (bundled / "pack.yaml").is_file():
        return bundled
    hint = did_you_mean(name_or_path, bundled_packs()) or (
        f"give a folder with a pack.yaml, or one of: {', '.join(bundled_packs())}"
    )
    raise GraphflowError(f"no data pack at {name_or_path!r}", hint=hint)
