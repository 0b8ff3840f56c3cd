"""Read YAML keeping the line of every value, so errors can say file:line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphflow.errors import GraphflowError

PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings (the schema checks their form)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
                raise GraphflowError(
                    f"duplicate key {name!r} (first on line {seen[name]})",
                    where=f"{path}:{knode.start_mark.line + 1}",
                    hint="remove or rename one of them",
                )
            seen[name] = knode.start_mark.line + 1
            _walk(vnode, (*key, name), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*key, i), lines, path)


def load_yaml_text(text: str, path: Path) -> YamlDoc:
    """Parse YAML text; a syntax error becomes a one-line GraphflowError with file:line."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "cannot parse"
        raise GraphflowError(
            f"broken YAML: {problem}", where=f"{path}{line}",
            hint="check indentation, colons and quotes on that line",
        ) from None
    except yaml.YAMLError as exc:
        raise GraphflowError(f"broken YAML: {exc}", where=str(path)) from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines, path)
    return YamlDoc(path, data, lines)


def load_yaml(path: Path) -> YamlDoc:
    """Read and parse a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GraphflowError("file not found", where=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphflowError(f"cannot read file: {exc}", where=str(path)) from None
    return load_yaml_text(text, path)
