"""What an importer hands to the package builder: draft places and links, and the
report of what was imported and what could not be mapped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DraftLink", "DraftPlace", "ImportReport", "Unmapped"]

#: examples kept per kind of unmapped item
EXAMPLES = 5


@dataclass
class DraftPlace:
    """A place before its country is known."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str = "junction"
    aliases: list[str] = field(default_factory=list)
    source: str = "osm"
    estimate: bool = False
    note: str = ""
    hub: bool = False  # modes meet here: transfers between its layers are created


@dataclass
class DraftLink:
    """A link between two draft places; ``shape`` locates its geometry for the builder
    (an opaque key given back to the importer's ``shape_of``), or ``None``."""

    id: str
    from_place: str
    to_place: str
    mode: str
    length_km: float
    name: str = ""
    gauge: str | None = None
    speed_kmh: float | None = None
    duration_h: float | None = None
    headway_h: float | None = None
    directed: bool = False
    source: str = "osm"
    estimate: bool = False
    note: str = ""
    detour_reason: str = ""
    shape: Any = None


@dataclass
class Unmapped:
    """One kind of input the importer could not use as given."""

    kind: str
    what: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str, n: int = 1) -> None:
        self.count += n
        if len(self.examples) < EXAMPLES:
            self.examples.append(example)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "count": self.count,
            "examples": self.examples,
        }


@dataclass
class ImportReport:
    """What an import read, wrote and could not map.

    ``counts`` holds figures such as ``ways``, ``links``, ``places``, ``crossings``,
    ``transfers``, ``dual_gauge_links`` and ``gauge_breaks``; ``unmapped`` one entry per
    kind of dropped or repaired input, with counts and examples; ``problems`` the
    validation problems of the written package (empty when it is valid).
    """

    package: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, Unmapped] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    valid: bool = True

    def note(self, kind: str, what: str, example: str, n: int = 1) -> None:
        """Count one unmapped item of ``kind`` (described by ``what``)."""
        self.unmapped.setdefault(kind, Unmapped(kind, what)).add(example, n)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "valid": self.valid,
            "counts": dict(self.counts),
            "unmapped": [u.as_dict() for u in self.unmapped.values()],
            "problems": self.problems,
        }
