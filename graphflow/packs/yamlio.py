"""Read YAML keeping the line of every value, so errors can say file:line.

The fast path builds the data and the line map in one pass over libyaml's events (the C
parser PyYAML wheels ship), resolving scalars like ``SafeLoader`` with a per-text cache, and
stores a value's line only where it differs from its parent's (``YamlDoc.line`` answers the
same either way). Anything unusual (anchors, aliases, explicit tags, merge keys, several
documents) and every syntax error goes through the original composer path, so results and
error messages are exactly those of ``SafeLoader``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from graphflow.errors import GraphflowError

PathKey = tuple[str | int, ...]
# Files larger than this report libyaml's own syntax message instead of re-parsing slowly.
EXACT_ERROR_BYTES = 4_000_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (the schema checks their form)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # PyYAML without libyaml: the same events, from the pure-Python parser
    _Parser = _Loader


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects (no cycles made)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class YamlDoc:
    """A parsed YAML file: its data and the line of each value by path."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, key: PathKey) -> int:
        """The line of the value at ``key``, or of its nearest parent that has one."""
        k = tuple(key)
        while k and k not in self.lines:
            k = k[:-1]
        return self.lines.get(k, 1)

    def where(self, key: PathKey) -> str:
        return f"{self.path}:{self.line(key)}"


def _walk(node: yaml.Node, key: PathKey, lines: dict[PathKey, int], path: Path) -> None:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for knode, vnode in node.value:
            name = knode.value
            if name in seen:
                raise _duplicate(name, seen[name], knode.start_mark.line + 1, path)
            seen[name] = knode.start_mark.line + 1
            _walk(vnode, (*key, name), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*key, i), lines, path)


def _duplicate(name: Any, first: int, line: int, path: Path) -> GraphflowError:
    return GraphflowError(
        f"duplicate key {name!r} (first on line {first})", where=f"{path}:{line}",
        hint="remove or rename one of them",
    )


class _Unusual(Exception):
    """The fast path does not handle this document; use the composer."""


_STR = "tag:yaml.org,2002:str"
_SIMPLE = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


class _Scalars:
    """Plain scalars resolved and built as SafeLoader does (cached per text), and one shared
    string object per distinct text."""

    def __init__(self) -> None:
        self.plain: dict[str, Any] = {}
        self.quoted: dict[str, str] = {}
        self._maker = _Loader("")

    def resolve(self, text: str) -> Any:
        table = _Loader.yaml_implicit_resolvers
        resolvers = [*table.get(text[:1] if text else "", []), *table.get(None, [])]
        tag = next((t for t, rx in resolvers if rx.match(text)), _STR)
        if tag == _STR:
            value: Any = self.quoted.setdefault(text, text)
        elif tag in _SIMPLE:
            value = self._maker.construct_object(yaml.ScalarNode(tag, text))
        else:  # merge keys and other special tags
            raise _Unusual(tag)
        self.plain[text] = value
        return value

    def close(self) -> None:
        self._maker.dispose()


_NO_KEY = object()


def _fast_load(text: str, path: Path) -> YamlDoc:
    """One pass over the parser's events: data, lines, duplicate keys."""
    parser = _Parser(text)
    scalars = _Scalars()
    try:
        return _build(parser.get_event, scalars, path)
    finally:
        scalars.close()
        parser.dispose()


def _build(get: Any, scalars: _Scalars, path: Path) -> YamlDoc:
    """Data and lines from the events. The current container's state lives in locals; a
    mapping whose size is not its number of keys (a duplicate key) goes to the composer,
    which reports it exactly as before."""
    plain, quoted, resolve = scalars.plain, scalars.quoted, scalars.resolve
    lines: dict[PathKey, int] = {}
    get()  # stream start
    if get().__class__ is StreamEndEvent:  # else: document start
        return YamlDoc(path, None, lines)
    ev = get()
    cls = ev.__class__
    cline = lines[()] = ev.start_mark.line + 1
    if ev.anchor is not None or ev.tag is not None:
        raise _Unusual("tag or anchor")
    if cls is ScalarEvent:
        root: Any = plain.get(ev.value, _NO_KEY) if ev.implicit[0] else ev.value
        if root is _NO_KEY:
            root = resolve(ev.value)
    elif cls is MappingStartEvent or cls is SequenceStartEvent:
        root = {} if cls is MappingStartEvent else []
        _fill(get, root, lines, cline, plain, quoted, resolve)
    else:
        raise _Unusual(cls.__name__)
    if get().__class__ is not DocumentEndEvent or get().__class__ is not StreamEndEvent:
        raise _Unusual("more than one document")
    return YamlDoc(path, root, lines)


def _fill(get: Any, cont: Any, lines: dict[PathKey, int], cline: int, plain: dict,
          quoted: dict, resolve: Any) -> None:
    """Read events into ``cont`` (the root container) until it ends."""
    cpath: PathKey = ()
    is_map = isinstance(cont, dict)
    key: Any = _NO_KEY
    kval: Any = None
    nkeys = 0
    stack: list[tuple] = []
    while True:
        ev = get()
        cls = ev.__class__
        if cls is ScalarEvent:
            if ev.tag is not None or ev.anchor is not None:
                raise _Unusual("tag or anchor")
            raw = ev.value
            if ev.implicit[0]:
                value = plain.get(raw, _NO_KEY)
                if value is _NO_KEY:
                    value = resolve(raw)
            else:
                value = quoted.get(raw)
                if value is None:
                    value = quoted[raw] = raw
            if is_map:
                if key is _NO_KEY:
                    key, kval = raw, value
                    nkeys += 1
                    continue
                cont[kval] = value
                line = ev.start_mark.line + 1
                if line != cline:
                    lines[(*cpath, key)] = line
                key = _NO_KEY
            else:
                line = ev.start_mark.line + 1
                if line != cline:
                    lines[(*cpath, len(cont))] = line
                cont.append(value)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if ev.tag is not None or ev.anchor is not None:
                raise _Unusual("tag or anchor")
            new: Any = {} if cls is MappingStartEvent else []
            if is_map:
                if key is _NO_KEY:
                    raise _Unusual("complex key")
                cont[kval] = new
                npath: PathKey = (*cpath, key)
                key = _NO_KEY
            else:
                npath = (*cpath, len(cont))
                cont.append(new)
            line = ev.start_mark.line + 1
            if line != cline:
                lines[npath] = line
            stack.append((cont, cpath, cline, is_map, nkeys))
            cont, cpath, cline, is_map, nkeys = new, npath, line, cls is MappingStartEvent, 0
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            if is_map and len(cont) != nkeys:
                raise _Unusual("duplicate keys")
            if not stack:
                return
            cont, cpath, cline, is_map, nkeys = stack.pop()
        else:  # aliases
            raise _Unusual(cls.__name__)


def _slow_load(text: str, path: Path) -> YamlDoc:
    """The composer path: a node tree, then data and lines from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _broken(exc, path) from None
    except yaml.YAMLError as exc:
        raise GraphflowError(f"broken YAML: {exc}", where=str(path)) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines, path)
    return YamlDoc(path, data, lines)


def _broken(exc: yaml.MarkedYAMLError, path: Path) -> GraphflowError:
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
    problem = exc.problem or exc.context or "cannot parse"
    return GraphflowError(
        f"broken YAML: {problem}", where=f"{path}{line}",
        hint="check indentation, colons and quotes on that line",
    )


def load_yaml_text(text: str, path: Path) -> YamlDoc:
    """Parse YAML text; a syntax error becomes a one-line GraphflowError with file:line."""
    with paused_gc():
        try:
            return _fast_load(text, path)
        except _Unusual:
            return _slow_load(text, path)
        except yaml.MarkedYAMLError as exc:
            if len(text) > EXACT_ERROR_BYTES:
                raise _broken(exc, path) from None
            return _slow_load(text, path)
        except yaml.YAMLError:
            return _slow_load(text, path)


def load_yaml(path: Path) -> YamlDoc:
    """Read and parse a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphflowError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphflowError(f"cannot read file: {exc}", where=str(path)) from None
    return load_yaml_text(text, path)
