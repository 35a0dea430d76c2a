"""Exceptions raised by Overland.

Every exception derives from :class:`OverlandError`; the specific ones also derive
from the matching built-in so callers may catch either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BadArgumentError",
    "BudgetExceededError",
    "ConvergenceError",
    "NetworkDataError",
    "NoFreightServiceError",
    "NoRouteError",
    "OverlandError",
    "Problem",
    "ScenarioError",
    "UnknownPlaceError",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a network package, located as precisely as possible.

    ``row`` is the line number in a CSV file (the header is line 1) or the line of the
    item in a YAML file; ``field`` is the column or key. Either may be ``None`` when the
    problem concerns a whole file or a whole row.
    """

    file: str
    message: str
    row: int | None = None
    field: str | None = None
    severity: Severity = "error"
    value: str | None = None

    def location(self) -> str:
        """``file:row [field]`` as shown to people."""
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.field:
            where += f" [{self.field}]"
        return where

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }


class OverlandError(Exception):
    """Root of every error Overland raises on purpose."""

    type_name = "overland_error"


@dataclass
class NetworkDataError(ValueError, OverlandError):
    """A network package has problems; ``problems`` lists every one of them."""

    problems: Sequence[Problem] = field(default_factory=tuple)
    path: str = ""
    #: what ``path`` is: a package folder, or one file read on its own
    what: str = "network package"
    type_name = "invalid_network"

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{self.what} {self.path!r} has {len(errors)} problem(s)"
        lines = [head, *(f"  {p}" for p in errors[:50])]
        if len(errors) > 50:
            lines.append(f"  ... and {len(errors) - 50} more")
        return "\n".join(lines)


class UnknownPlaceError(KeyError, OverlandError):
    """A place name, id or alias matched nothing; ``suggestions`` holds close matches."""

    type_name = "unknown_place"

    def __init__(self, query: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(query)
        self.query = query
        self.suggestions = tuple(suggestions)

    def __str__(self) -> str:
        msg = f"unknown place {self.query!r}"
        if self.suggestions:
            msg += "; did you mean " + " or ".join(repr(s) for s in self.suggestions) + "?"
        return msg


class BadArgumentError(ValueError, OverlandError):
    """An argument (a date, a format, a list) that cannot be used as given."""

    type_name = "bad_argument"


class BudgetExceededError(OverlandError):
    """A computation passed the deadline its caller gave it (a server's time budget)."""

    type_name = "over_budget"


class NoRouteError(OverlandError):
    """No route exists; ``blocked_by`` says which rules, closures or preferences block it.

    Each item of ``blocked_by`` is ``{"kind": "rule" | "closure" | "avoid", "id": ...,
    "why": ...}``.
    """

    type_name = "no_route"

    def __init__(self, message: str, blocked_by: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.blocked_by = tuple(blocked_by)

    def __str__(self) -> str:
        return self.message


class NoFreightServiceError(BadArgumentError):
    """A place exists but no freight mode serves it (only utility lines end there)."""

    type_name = "no_freight_service"

    def __init__(self, place: str, layers: Sequence[str] = ()) -> None:
        self.place = place
        self.layers = tuple(layers)
        where = f" (it is on the {', '.join(self.layers)} layer(s) only)" if self.layers else ""
        super().__init__(
            f"no freight service at {place!r}{where}; choose a place with a rail, road, "
            "ferry, sea or air link"
        )


class ScenarioError(BadArgumentError):
    """A scenario that does not exist, or a date outside the timeline."""

    type_name = "bad_scenario"


class ConvergenceError(ArithmeticError, OverlandError):
    """An assignment that did not reach its target gap (with ``strict=True``), or whose
    costs became non-finite (NaN or infinite TSTT, SPTT or objective): ``iterations`` and
    ``gap`` (NaN when it could not be computed) say where it stopped."""

    type_name = "not_converged"

    def __init__(
        self, iterations: int, gap: float, target: float, message: str | None = None
    ) -> None:
        super().__init__(
            message
            or f"assignment stopped after {iterations} iterations at relative gap {gap:.3e}, "
            f"above the target {target:.1e}"
        )
        self.iterations = iterations
        self.gap = gap
        self.target = target
