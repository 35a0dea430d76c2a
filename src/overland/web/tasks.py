"""The heavy analyses the server runs as jobs: their parameters, cheap checks and work.

Each kind has a frozen parameter model (the request body), a ``check`` that runs in the
server before the job is queued (dates, scenarios, names: the cheap validation that turns
bad input into a 422 at once) and returns the *normalized* parameters that key the job,
and a ``run`` that runs in a worker process and returns the JSON document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from ..assignment.corridor import SHED_SCALE_H, WAIT_LIMIT_H, WAIT_LIMIT_MAX_H
from ..errors import BadArgumentError
from ..export import element_layer
from ..network import Network
from ..places import resolve_place
from .config import Limits

__all__ = [
    "TASKS",
    "CheckParams",
    "CriticalParams",
    "DependenceParams",
    "DisruptParams",
    "FlowsParams",
    "ReliabilityParams",
    "Task",
]

DEFAULTS = Limits()
ElementKind = Literal["link", "crossing", "port", "place", "country"]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date | None = Field(None, description="Default: the scenario's horizon, else today.")
    scenario: str | None = Field(None, max_length=64)


class FlowsParams(_Params):
    """Corridor flows at equilibrium."""

    growth: float = Field(
        1.0,
        ge=DEFAULTS.growth_min,
        le=DEFAULTS.growth_max,
        description="Factor on every demand row, rounded to the growth grid.",
    )
    wait_limit_h: float | None = Field(
        WAIT_LIMIT_H,
        ge=SHED_SCALE_H,
        le=WAIT_LIMIT_MAX_H,
        description="The longest wait (scheduled plus queued) at one link before cargo is "
        "shed, hours (a sourced surge's wait on its dates, if longer); null: nothing is "
        "shed, queues grow without bound.",
    )


class CriticalParams(_Params):
    """Single failures ranked by impact."""

    kinds: list[ElementKind] = Field(
        default_factory=lambda: list(get_args(ElementKind)),
        min_length=1,
        max_length=5,
    )
    countries: list[str] = Field(default_factory=list, max_length=60)
    top: int = Field(50, ge=1, le=500)


class DisruptParams(_Params):
    """Close elements for some days."""

    close: list[str] = Field(min_length=1, max_length=DEFAULTS.max_close)
    days: float = Field(gt=0, le=365)
    growth: float = Field(1.0, ge=DEFAULTS.growth_min, le=DEFAULTS.growth_max)
    wait_limit_h: float | None = Field(
        WAIT_LIMIT_H,
        ge=SHED_SCALE_H,
        le=WAIT_LIMIT_MAX_H,
        description="The longest wait, hours, of cargo that has a detour (the flows' wait "
        "limit); null: the value of time alone decides whether to wait or go round.",
    )


class DependenceParams(_Params):
    """The share of each country's trade that transits each other country."""

    country: str | None = Field(None, min_length=2, max_length=2)


class CheckParams(BaseModel):
    """The model against the package's observations (docs/fit.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[
        Literal["transit_time", "dwell", "rate", "distance", "volume", "share", "capacity"]
    ] = Field(default_factory=list, max_length=7, description="Only these (default: all).")


class ReliabilityParams(_Params):
    """P50/P90/P95 door-to-door times of the alternatives, by Monte Carlo."""

    origin: str = Field(min_length=1, max_length=100)
    destination: str = Field(min_length=1, max_length=100)
    commodity: str | None = Field(None, max_length=64)
    k: int = Field(3, ge=1, le=6)
    by: Literal["p90", "mean_spread"] = "p90"
    lam: float = Field(1.0, ge=0, le=100)
    n: int = Field(20_000, ge=100, le=DEFAULTS.max_samples)
    seed: int = Field(0, ge=0, le=2**31)


def _state_date(network: Network, p: _Params) -> dict[str, Any]:
    """The date the state resolves to (so ``date`` omitted and given share a job)."""
    state = network.as_of(p.date, p.scenario)
    return {"date": state.date.isoformat(), "scenario": p.scenario}


def _growth(value: float, limits: Limits) -> float:
    if not limits.growth_min <= value <= limits.growth_max:
        raise BadArgumentError(
            f"growth must be in [{limits.growth_min}, {limits.growth_max}], got {value}"
        )
    step = limits.growth_step
    return round(max(limits.growth_min, round(value / step) * step), 6)


def _countries(network: Network, codes: list[str]) -> list[str]:
    out = sorted({c.strip().upper() for c in codes if c.strip()})
    unknown = [c for c in out if c not in network.countries]
    if unknown:
        raise BadArgumentError(
            f"unknown country {', '.join(unknown)}; valid: {', '.join(sorted(network.countries))}"
        )
    return out


def _need_demand(network: Network) -> None:
    if not network.demand:
        raise BadArgumentError("this network package has no demand table (demand.csv)")


# ---------------------------------------------------------------------- checks (server side)


def _check_flows(network: Network, p: FlowsParams, limits: Limits) -> dict[str, Any]:
    _need_demand(network)
    return {
        **_state_date(network, p),
        "growth": _growth(p.growth, limits),
        "wait_limit_h": p.wait_limit_h,
    }


def _check_critical(network: Network, p: CriticalParams, _limits: Limits) -> dict[str, Any]:
    _need_demand(network)
    return {
        **_state_date(network, p),
        "kinds": sorted(set(p.kinds)),
        "countries": _countries(network, p.countries),
        "top": p.top,
    }


def _check_disrupt(network: Network, p: DisruptParams, limits: Limits) -> dict[str, Any]:
    from ..analyses.disruption import check_close

    _need_demand(network)
    if len(p.close) > limits.max_close:
        raise BadArgumentError(f"at most {limits.max_close} elements to close, got {len(p.close)}")
    state = _state_date(network, p)
    close = sorted({c.strip() for c in p.close if c.strip()})
    check_close(network, close, date=state["date"], scenario=p.scenario)
    return {
        **state,
        "close": close,
        "days": p.days,
        "growth": _growth(p.growth, limits),
        "wait_limit_h": p.wait_limit_h,
    }


def _check_dependence(network: Network, p: DependenceParams, _limits: Limits) -> dict[str, Any]:
    _need_demand(network)
    country = _countries(network, [p.country])[0] if p.country else None
    return {**_state_date(network, p), "country": country}


def _check_reliability(network: Network, p: ReliabilityParams, limits: Limits) -> dict[str, Any]:
    if p.n > limits.max_samples:
        raise BadArgumentError(f"n must be at most {limits.max_samples}, got {p.n}")
    if p.commodity is not None and p.commodity not in network.commodities:
        valid = ", ".join(sorted(network.commodities))
        raise BadArgumentError(f"unknown commodity {p.commodity!r}; valid: {valid}")
    return {
        **_state_date(network, p),
        "origin": resolve_place(network, p.origin).id,
        "destination": resolve_place(network, p.destination).id,
        **p.model_dump(include={"commodity", "k", "by", "lam", "n", "seed"}),
    }


def _check_check(network: Network, p: CheckParams, _limits: Limits) -> dict[str, Any]:
    if not network.observations:
        raise BadArgumentError("this network package has no observations (observations.csv)")
    return {"categories": sorted(set(p.categories))}


# ---------------------------------------------------------------------- work (worker side)


def _pick(q: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The checked parameters an analysis takes as keywords."""
    return {k: q[k] for k in keys}


def _run_flows(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.flows import corridor_flows

    res = corridor_flows(network, **_pick(q, "date", "scenario", "growth", "wait_limit_h"))
    doc: dict[str, Any] = res.as_dict()
    # the logit gives every route of a choice set a share, some vanishingly small: a link
    # is drawn when it carries a tonne a year (as rounded below)
    loaded = res.links[res.links["tonnes"] >= 0.5]
    doc["layer"] = element_layer(
        network,
        [
            {
                "kind": "link",
                "id": str(r["link"]),
                "tonnes": round(float(r["tonnes"])),
                "volume_capacity": round(float(r["volume_capacity"]), 3),
                "wait_added_h": round(float(r["wait_added_h"]), 1),
                "premium_usd_per_t": round(float(r["premium_usd_per_t"]), 1),
                "shed_tonnes": round(float(r["shed_tonnes"])),
            }
            for r in loaded.to_dict(orient="records")
        ],
    )
    return doc


def _run_critical(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.criticality import criticality

    res = criticality(
        network,
        date=q["date"],
        scenario=q["scenario"],
        kinds=tuple(q["kinds"]),
        countries=tuple(q["countries"]),
    )
    doc: dict[str, Any] = res.as_dict(q["top"])
    doc["layer"] = element_layer(
        network,
        [
            {k: v for k, v in f.items() if k != "hit"} | {"rank": i}
            for i, f in enumerate(doc["failures"], start=1)
        ],
    )
    return doc


def _run_disrupt(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.disruption import disrupt

    keys = _pick(q, "date", "scenario", "growth", "wait_limit_h")
    return disrupt(network, q["close"], q["days"], **keys).as_dict()


def _run_dependence(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.dependence import country_dependence

    doc = country_dependence(network, date=q["date"], scenario=q["scenario"]).as_dict()
    if q["country"] is None:
        return doc
    return {**doc, "countries": [c for c in doc["countries"] if c["country"] == q["country"]]}


def _run_reliability(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.reliability import reliable_routes

    keys = _pick(q, "k", "by", "lam", "n", "seed", "date", "scenario", "commodity")
    ranked = reliable_routes(network, q["origin"], q["destination"], **keys)
    return {
        "by": q["by"],
        "routes": [
            {
                "countries": list(r.countries),
                "places": list(r.places),
                "time_h": round(r.time_h, 3),
                "reliability": {k: v for k, v in res.as_dict().items() if k != "samples_per_s"},
            }
            for r, res in ranked
        ],
    }


def _run_check(network: Network, q: dict[str, Any]) -> dict[str, Any]:
    from ..analyses.fit import check

    return check(network, categories=q["categories"] or None).as_dict()


@dataclass(frozen=True)
class Task:
    """One kind of job: its request model, its server-side check and its work."""

    params: type[BaseModel]
    check: Callable[[Network, Any, Limits], dict[str, Any]]
    run: Callable[[Network, dict[str, Any]], dict[str, Any]]
    summary: str


TASKS: dict[str, Task] = {
    "flows": Task(
        FlowsParams,
        _check_flows,
        _run_flows,
        "Corridor flows at equilibrium: shares, Caspian tonnage, bottlenecks and a map layer.",
    ),
    "critical": Task(
        CriticalParams,
        _check_critical,
        _run_critical,
        "Single failures ranked by impact, with the flows they hit, and a map layer.",
    ),
    "disrupt": Task(
        DisruptParams,
        _check_disrupt,
        _run_disrupt,
        "Close elements for some days: who waits, who reroutes, backlog and delay.",
    ),
    "dependence": Task(
        DependenceParams,
        _check_dependence,
        _run_dependence,
        "The share of each country's trade that transits each other country.",
    ),
    "check": Task(
        CheckParams,
        _check_check,
        _run_check,
        "How well the model fits the package's published observations (docs/fit.md).",
    ),
    "reliability": Task(
        ReliabilityParams,
        _check_reliability,
        _run_reliability,
        "P50/P90/P95 door-to-door times of the alternatives, most reliable first.",
    ),
}
