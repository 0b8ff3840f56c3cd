"""Read YAML keeping the line of every value, so errors can say file:line.

The fast path builds the data and the line map in one pass over libyaml's events (the C
parser PyYAML wheels ship), resolving scalars like ``SafeLoader`` with a per-text cache, and
stores a value's line only where it differs from its parent's (``YamlDoc.line`` answers the
same either way). Anything unusual (anchors, aliases, explicit tags, merge keys, several
documents) and every syntax error goes through the original composer path, so results and
error messages are exactly those of ``SafeLoader``.

Every input is bounded before and while it is parsed (see docs/pack-format.md, "Limits"): only
regular files of at most ``MAX_FILE_BYTES`` are read (never a device, FIFO or folder), the text
must be UTF-8 with no character YAML forbids, nesting stops at ``MAX_DEPTH`` levels, aliases may
not refer to their own anchor nor expand the document by more than ``MAX_ALIAS_VALUES`` values,
and numbers must be finite, with integers at most ``MAX_INT`` in size. Each refusal is a
one-line error with file:line.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from graphflow.errors import GraphflowError
from graphflow.tuning import paused_gc

PathKey = tuple[str | int, ...]
# Files larger than this report libyaml's own syntax message instead of re-parsing slowly.
EXACT_ERROR_BYTES = 4_000_000
# Limits on any YAML file graphflow reads (pack files and --assume-rule files).
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 160  # nested mappings and lists (a 64-deep condition needs about 135)
MAX_ALIAS_VALUES = 100_000  # values that aliases may add to a file, all aliases together
MAX_INT = 2**53 - 1  # the largest integer every JSON reader and Neo4j hold exactly
# Characters YAML 1.1 does not allow in a stream (NUL and the other C0/C1 controls).
_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                          "\U00010000-\U0010ffff]")
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (the schema checks their form), and while
    composing bounds nesting, refuses an alias inside its own anchor, records where each alias
    is (to bound what aliases expand to) and checks numbers, each with the line."""

    def __init__(self, stream: Any, path: Path | None = None) -> None:
        super().__init__(stream)
        self.where_path = path
        self.depth = 0
        self.open_anchors: set[str] = set()
        self.aliases: list[tuple[int, str, yaml.Node]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            if event.anchor in self.open_anchors:
                raise _error(self.where_path, line, f"alias *{event.anchor} is inside its own "
                             "anchor (a recursive document)", "remove the alias")
            node = super().compose_node(parent, index)
            self.aliases.append((line, event.anchor, node))
            return node
        nested = isinstance(event, MappingStartEvent | SequenceStartEvent)
        self.depth += nested
        if self.depth > MAX_DEPTH:
            raise _too_deep(self.where_path, line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nested
            if anchor is not None:
                self.open_anchors.discard(anchor)
        if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS:
            problem = _number_problem(node.tag, node.value)
            if problem:
                raise _error(self.where_path, line, problem, _NUMBER_HINT)
        return node


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_NUMBER_HINT = "numbers must be finite, integers at most 9007199254740991 in size"


def _error(path: Path | None, line: int, what: str, hint: str | None = None) -> GraphflowError:
    return GraphflowError(what, where=f"{path}:{line}", hint=hint)


def _too_deep(path: Path | None, line: int) -> GraphflowError:
    return _error(path, line, f"nested more than {MAX_DEPTH} levels deep",
                  "flatten the structure (see docs/pack-format.md, Limits)")


_MAKER = yaml.SafeLoader("")


def _number_problem(tag: str, text: str) -> str | None:
    """Why a YAML number cannot be pack data (not finite, or an integer past MAX_INT)."""
    if tag == "tag:yaml.org,2002:int":
        if len(text) > 80:
            return f"integer {text[:20]}... ({len(text)} characters) is too large"
        value = _MAKER.construct_yaml_int(yaml.ScalarNode(tag, text))
        if abs(value) > MAX_INT:
            return f"integer {text} is too large"
        return None
    value = _MAKER.construct_yaml_float(yaml.ScalarNode(tag, text))
    if not math.isfinite(value):
        return f"{text} is not a finite number (JSON has no NaN or infinity)"
    return None


try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # PyYAML without libyaml: the same events, from the pure-Python parser
    _Parser = _Loader


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
            if tag in _NUMBER_TAGS and _number_problem(tag, text):
                raise _Unusual("number out of range")  # the composer reports it with its line
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
        _fill(get, root, lines, cline, plain, quoted, resolve, path)
    else:
        raise _Unusual(cls.__name__)
    if get().__class__ is not DocumentEndEvent or get().__class__ is not StreamEndEvent:
        raise _Unusual("more than one document")
    return YamlDoc(path, root, lines)


def _fill(get: Any, cont: Any, lines: dict[PathKey, int], cline: int, plain: dict,
          quoted: dict, resolve: Any, path: Path) -> None:
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
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(path, line)
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
    loader = _Loader(text, path)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_aliases(node, loader.aliases, path)
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


def _check_aliases(root: yaml.Node, aliases: list[tuple[int, str, yaml.Node]],
                   path: Path) -> None:
    """Refuse a document whose aliases expand it by more than MAX_ALIAS_VALUES values (an
    "alias bomb"), at the line of the alias that stands for the most values."""
    if not aliases:
        return
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:  # values in the expanded node; nesting <= MAX_DEPTH
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
        sizes[id(node)] = total
        return total

    expanded = size(root)
    if expanded - len(sizes) > MAX_ALIAS_VALUES:
        line, anchor, node = max(aliases, key=lambda a: size(a[2]))
        raise _error(path, line, f"aliases expand this file to {expanded:,} values, more than "
                     f"{MAX_ALIAS_VALUES:,} beyond what it spells out (*{anchor} alone stands "
                     f"for {size(node):,}); an alias bomb?", "write the values out, or use fewer "
                     "aliases")


def _unreadable_char(text: str, path: Path) -> GraphflowError | None:
    bad = _UNPRINTABLE.search(text)
    if bad is None:
        return None
    line = text.count("\n", 0, bad.start()) + 1
    return _error(path, line, f"character U+{ord(bad.group()):04X} is not allowed in YAML",
                  "remove it; NUL and other control characters cannot appear in a pack file")


_UNCLOSED = {"while parsing a flow sequence": ("[", "]"),
             "while parsing a flow mapping": ("{", "}")}
"""Contexts of an opened bracket that YAML found unclosed only on a later line."""


def _broken(exc: yaml.MarkedYAMLError, path: Path) -> GraphflowError:
    """A syntax error at the line to fix. YAML often notices a mistake one line or more later
    than it was made (an unclosed bracket or quote, a key without its colon): then the error
    points at the line where the bracket, quote or key began, and says where YAML stopped."""
    context, began, found = exc.context, exc.context_mark, exc.problem_mark
    problem = exc.problem or context or "cannot parse"

    def at(mark: yaml.Mark) -> str:
        return f"{path}:{mark.line + 1}:{mark.column + 1}"

    later = began is not None and found is not None and found.line > began.line
    if later and context in _UNCLOSED:
        opener, closer = _UNCLOSED[context]
        return GraphflowError(
            f"broken YAML: the '{opener}' here is never closed (at line {found.line + 1}: "
            f"{problem})", where=at(began),
            hint=f"close it with '{closer}' on this line, or quote the value")
    if later and context == "while scanning a quoted scalar":
        return GraphflowError(
            f"broken YAML: the quote here is never closed (at line {found.line + 1}: "
            f"{problem})", where=at(began), hint="close the quote on this line")
    if later and context == "while scanning a simple key":
        return GraphflowError(
            "broken YAML: this line has no ':' after its key", where=at(began),
            hint="write 'key: value', or start the line with '- ' for a list item")
    mark = found or began
    if "'\\t'" in problem:  # the parser's own words for a tab: "found character '\t' ..."
        return GraphflowError(
            "broken YAML: a tab here; YAML indents with spaces only",
            where=at(mark) if mark else str(path),
            hint="replace the tab with spaces, lined up with the lines above")
    return GraphflowError(
        f"broken YAML: {problem}", where=at(mark) if mark else str(path),
        hint="check indentation, colons and quotes on that line",
    )


def load_yaml_text(text: str, path: Path) -> YamlDoc:
    """Parse YAML text; a syntax error becomes a one-line GraphflowError with file:line."""
    bad = _unreadable_char(text, path)
    if bad is not None:
        raise bad
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


def read_text(path: Path) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES. A folder, device, FIFO or
    socket is refused before anything is read (the file is opened without blocking and checked
    on the open descriptor); a decoding error gives its line."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise GraphflowError("file not found", where=str(path)) from None
    except OSError as exc:
        raise GraphflowError(f"cannot read file: {exc.strerror or exc}", where=str(path)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise GraphflowError("is a folder, not a file", where=str(path),
                                 hint="give the path of a .yaml file")
        if not stat.S_ISREG(st.st_mode):
            raise GraphflowError("is not a regular file (a device, FIFO or socket)",
                                 where=str(path), hint="give the path of a .yaml file")
        raise _too_big(path, st.st_size)
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise GraphflowError(f"cannot read file: {exc.strerror or exc}",
                                 where=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(path, len(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start:exc.start + 1].hex()
        raise _error(path, line, f"not UTF-8: byte 0x{byte} cannot be decoded",
                     "save the file as UTF-8") from None


def _too_big(path: Path, size: int) -> GraphflowError:
    return GraphflowError(f"file is {size:,} bytes, more than the limit of {MAX_FILE_BYTES:,}",
                          where=str(path), hint="split the pack, see docs/pack-format.md")


def load_yaml(path: Path) -> YamlDoc:
    """Read and parse a YAML file."""
    return load_yaml_text(read_text(path), path)
