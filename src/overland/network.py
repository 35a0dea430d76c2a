"""The immutable :class:`Network` and the functions that load one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import NetworkDataError
from .package import DEFAULT_LIMITS, LoadLimits, RawPackage, embedded_package_path, read_package
from .schema import (
    Commodity,
    Corridors,
    Country,
    Crossing,
    DemandRow,
    Event,
    Link,
    Manifest,
    ModeParams,
    Observation,
    Parameters,
    Place,
    Rate,
    ReportSpec,
    Rule,
    Scenario,
    Source,
    Transfer,
)
from .timeline import NetworkState, state_as_of
from .validation import check_package

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Network", "embedded_network", "load_network", "network_from_package"]

T = TypeVar("T")


def _frozen(items: Mapping[str, T]) -> Mapping[str, T]:
    return MappingProxyType(dict(items))


@dataclass(frozen=True)
class Network:
    """A validated network package: base tables, timeline, rules and scenarios.

    Immutable: the mappings are read-only views and every row is a frozen model. Use
    :meth:`as_of` for the state on a date under a scenario.
    """

    path: Path
    manifest: Manifest
    sources: Mapping[str, Source]
    countries: Mapping[str, Country]
    places: Mapping[str, Place]
    links: Mapping[str, Link]
    crossings: Mapping[str, Crossing]
    transfers: Mapping[str, Transfer]
    modes: Mapping[str, ModeParams]
    commodities: Mapping[str, Commodity]
    demand: Mapping[str, DemandRow]
    events: tuple[Event, ...]
    rules: Mapping[str, Rule]
    scenarios: Mapping[str, Scenario]
    corridors: Corridors | None = None
    report: ReportSpec | None = None
    parameters: Parameters | None = None
    shapes: Mapping[str, tuple[tuple[float, float], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    observations: Mapping[str, Observation] = field(default_factory=lambda: MappingProxyType({}))
    rates: Mapping[str, Rate] = field(default_factory=lambda: MappingProxyType({}))
    limits: LoadLimits = DEFAULT_LIMITS

    def __reduce__(self) -> tuple[Any, tuple[str, LoadLimits]]:
        """Pickled as its package folder and the limits it was read with: a network is
        immutable and defined by its files, so a Dask worker loads (and validates) it
        again instead of receiving the objects."""
        return _reload, (str(self.path), self.limits)

    def as_of(self, date: dt.date | str | None = None, scenario: str | None = None) -> NetworkState:
        """The network on ``date`` under ``scenario``.

        Examples
        --------
        >>> net = embedded_network()
        >>> ban = "az-transit-ban-armenia"
        >>> net.as_of("2025-10-01").rules[ban].in_force
        True
        >>> net.as_of("2025-11-10").rules[ban].in_force
        False
        """
        if date is None:
            return state_as_of(self, date, scenario)
        key = (date, scenario)
        hit = self._states.get(key)
        if hit is None:
            hit = state_as_of(self, date, scenario)
            if len(self._states) >= 256:
                self._states.clear()
            self._states[key] = hit
        return hit

    @cached_property
    def _states(self) -> dict[tuple[object, object], NetworkState]:
        return {}

    @cached_property
    def demand_years(self) -> tuple[int, ...]:
        """The years the demand table has rows for, in order."""
        return tuple(sorted({d.year for d in self.demand.values()}))

    def demand_year(self, year: int) -> int | None:
        """The table year that serves ``year``: that year, else the nearest earlier year
        that has rows, else the earliest (a package with one base year serves every
        date); None without demand."""
        years = self.demand_years
        if not years:
            return None
        return max((y for y in years if y <= year), default=years[0])

    def demand_for(self, year: int) -> tuple[DemandRow, ...]:
        """The demand rows of ``year`` (:meth:`demand_year` picks the table year)."""
        pick = self.demand_year(year)
        if pick is None:
            return ()
        key = f"demand:{pick}"
        if key not in self.memo:
            self.memo[key] = tuple(d for d in self.demand.values() if d.year == pick)
        return self.memo[key]  # type: ignore[no-any-return]

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Indexes the layers above derive from this network (the compiled graph, the
        place-name index), kept with it so they are built once; the network itself never
        reads them."""
        return {}

    def frame(self, table: str) -> pd.DataFrame:
        """One base table as a new DataFrame (columns as in the CSV file)."""
        import pandas as pd  # deferred: only this method needs pandas

        rows: Mapping[str, Any] = getattr(self, table)
        return pd.DataFrame.from_records([r.record() for r in rows.values()])


def network_from_package(raw: RawPackage, *, parameters: Parameters | None = None) -> Network:
    """Build a :class:`Network` from a package already read; raise on any error.

    The package's fitted multipliers (``parameters.yaml``, or ``parameters`` when given)
    scale its *estimates* only: the dwell of crossings and the waits of links marked
    ``estimate``, and commodities' values of time.
    """
    problems = check_package(raw)
    errors = [p for p in problems if p.severity == "error"]
    if errors or raw.manifest is None:
        raise NetworkDataError(problems=tuple(problems), path=str(raw.path))
    fitted = parameters or (raw.parameters.item if raw.parameters else None)

    def table(name: str, key: str) -> Mapping[str, Any]:
        rows = {getattr(loc.item, key): loc.item for loc in raw.tables[name]}
        if fitted is not None:
            rows = {k: fitted.applied(name, v) for k, v in rows.items()}
        return _frozen(rows)

    return Network(
        path=raw.path,
        manifest=raw.manifest,
        sources=table("sources", "id"),
        countries=table("countries", "iso2"),
        places=table("places", "id"),
        links=table("links", "id"),
        crossings=table("crossings", "id"),
        transfers=table("transfers", "id"),
        modes=table("modes", "mode"),
        commodities=table("commodities", "id"),
        demand=table("demand", "id"),
        events=tuple(sorted((loc.item for loc in raw.events), key=lambda e: e.date)),
        rules=_frozen({loc.item.id: loc.item for loc in raw.rules}),
        scenarios=_frozen({sid: loc.item for sid, loc in raw.scenarios.items()}),
        observations=table("observations", "id"),
        rates=table("rates", "id"),
        corridors=raw.corridors.item if raw.corridors else None,
        report=raw.report.item if raw.report else None,
        parameters=fitted,
        shapes=_frozen({loc.item.link: loc.item.coordinates for loc in raw.shapes}),
    )


def load_network(path: Path | str, *, limits: LoadLimits = DEFAULT_LIMITS) -> Network:
    """Read, validate and load a network package folder.

    ``limits`` caps file sizes, rows and YAML size (see
    :class:`~overland.package.LoadLimits`).

    Raises
    ------
    NetworkDataError
        Listing every problem found, each with file, row and field.
    """
    network = network_from_package(read_package(path, limits=limits))
    return network if limits == DEFAULT_LIMITS else dataclasses.replace(network, limits=limits)


def _reload(path: str, limits: LoadLimits) -> Network:
    return load_network(path, limits=limits)


def embedded_network() -> Network:
    """The embedded South Caucasus / Middle Corridor network."""
    return load_network(embedded_package_path())
