"""A problem found while checking a pack."""

from __future__ import annotations

from dataclasses import dataclass

from graphflow.errors import GraphflowError


@dataclass(frozen=True)
class Problem:
    where: str
    what: str
    hint: str | None = None
    severity: str = "error"  # error | warning

    def one_line(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.where}: {self.severity}: {self.what}{hint}"

    def as_error(self) -> GraphflowError:
        return GraphflowError(self.what, where=self.where, hint=self.hint)
