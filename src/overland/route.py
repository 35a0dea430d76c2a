"""A route and its breakdown: legs, borders, transfers, totals and indicators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .graph import HAUL, Graph
from .schema import LAYERS, MODES

if TYPE_CHECKING:
    from .timeline import NetworkState

__all__ = ["BorderStep", "Leg", "Route", "Step", "TransferStep", "build_route"]


@dataclass(frozen=True)
class Leg:
    """Consecutive line-haul in one mode, gauge and country (``country``, where it starts;
    ``to_country``, where it ends: another when its last link crosses a border, as a
    ferry or a line into the next country does)."""

    mode: str
    gauge: str | None
    country: str
    from_place: str
    to_place: str
    distance_km: float
    time_h: float
    cost_usd_per_t: float
    links: tuple[str, ...]
    to_country: str


@dataclass(frozen=True)
class BorderStep:
    """A border crossed, with its dwell and fee in the direction travelled."""

    from_country: str
    to_country: str
    place: str
    crossing: str
    link: str
    mode: str
    dwell_h: float
    dwell_p90_h: float
    fee_usd_per_t: float


@dataclass(frozen=True)
class TransferStep:
    """A change of mode or gauge at a place."""

    place: str
    from_layer: str
    to_layer: str
    time_h: float
    cost_usd_per_t: float
    transfer: str

    @property
    def gauge_change(self) -> bool:
        """True for a change between the two rail gauges."""
        return {self.from_layer, self.to_layer} == {"rail_1520", "rail_1435"}


@dataclass(frozen=True)
class Step:
    """One point of the cumulative time/cost–distance profile (after the step)."""

    kind: str  # start, haul, wait, border, transfer
    label: str
    place: str
    distance_km: float
    time_h: float
    cost_usd_per_t: float


@dataclass(frozen=True)
class Charge:
    """How the route's commodity is charged on one of its modes (a ``rates.csv`` row in
    force on the date): multipliers on the mode's rate per tonne-km, border fees, border
    dwell, speed and the back-haul's rate, and the event that set them (None: the
    package's row)."""

    rate: str
    mode: str
    country: str | None  # the row's country (None: every country)
    traffic: str  # which shipments a country's row charges: all, own or transit
    rate_factor: float
    fee_factor: float
    dwell_factor: float
    speed_factor: float
    backhaul_factor: float
    set_by: str | None
    # the route travels one of the mode's head-haul links the other way, so it pays the
    # backhaul_factor there
    backhaul: bool = False


@dataclass(frozen=True)
class Route:
    """A route between two places on a date, with its full breakdown (per tonne)."""

    origin: str
    destination: str
    date: dt.date
    scenario: str | None
    commodity: str
    objective: str
    places: tuple[str, ...]
    countries: tuple[str, ...]
    modes: tuple[str, ...]
    legs: tuple[Leg, ...]
    borders: tuple[BorderStep, ...]
    transfers: tuple[TransferStep, ...]
    steps: tuple[Step, ...]
    links: tuple[str, ...]
    distance_km: float
    time_h: float
    moving_time_h: float
    cost_usd_per_t: float
    co2_kg_per_t: float
    generalized_cost_usd_per_t: float
    charges: tuple[Charge, ...] = ()  # the commodity's rates.csv rows on the route's modes
    coordinates: tuple[tuple[float, float], ...] = ()  # (lon, lat) of each place, for maps
    edges: tuple[int, ...] = field(default=(), repr=False, compare=False)  # compiled graph

    @property
    def gauge_changes(self) -> int:
        """How many times the rail gauge changes."""
        return sum(1 for t in self.transfers if t.gauge_change)

    @property
    def days(self) -> float:
        """Door-to-door time in days."""
        return self.time_h / 24.0

    def indicators(self) -> dict[str, Any]:
        """CAREC CPMM / UNESCAP corridor-performance indicators of the route.

        Time and cost at each border crossing point, and speed with and without delay
        (distance over total time, and over moving time only).
        """
        return {
            "border_time_h": [round(b.dwell_h, 2) for b in self.borders],
            "border_cost_usd_per_t": [round(b.fee_usd_per_t, 2) for b in self.borders],
            "border_time_share": round(sum(b.dwell_h for b in self.borders) / self.time_h, 4)
            if self.time_h
            else 0.0,
            "speed_with_delay_kmh": round(self.distance_km / self.time_h, 2)
            if self.time_h
            else None,
            "speed_without_delay_kmh": round(self.distance_km / self.moving_time_h, 2)
            if self.moving_time_h
            else None,
        }

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON form of a route, the same from the CLI (``overland route
        --json``) and the API (``/api/route``); documented in docs/json.md."""
        return {
            "origin": self.origin,
            "destination": self.destination,
            "date": self.date.isoformat(),
            "scenario": self.scenario,
            "commodity": self.commodity,
            "objective": self.objective,
            "places": list(self.places),
            "countries": list(self.countries),
            "borders": [
                {
                    "from": b.from_country,
                    "to": b.to_country,
                    "place": b.place,
                    "dwell_h": round(b.dwell_h, 3),
                    "dwell_p90_h": round(b.dwell_p90_h, 3),
                    "fee_usd_per_t": round(b.fee_usd_per_t, 3),
                    "mode": b.mode,
                    "crossing": b.crossing,
                }
                for b in self.borders
            ],
            "gauge_changes": self.gauge_changes,
            "modes": list(self.modes),
            "distance_km": round(self.distance_km, 2),
            "time_h": round(self.time_h, 3),
            "days": round(self.days, 3),
            "cost_usd_per_t": round(self.cost_usd_per_t, 3),
            "co2_kg_per_t": round(self.co2_kg_per_t, 3),
            "generalized_cost_usd_per_t": round(self.generalized_cost_usd_per_t, 3),
            "legs": [
                {
                    "mode": leg.mode,
                    "gauge": leg.gauge,
                    "country": leg.country,
                    "to_country": leg.to_country,
                    "from": leg.from_place,
                    "to": leg.to_place,
                    "distance_km": round(leg.distance_km, 2),
                    "time_h": round(leg.time_h, 3),
                    "cost_usd_per_t": round(leg.cost_usd_per_t, 3),
                    "links": list(leg.links),
                }
                for leg in self.legs
            ],
            "transfers": [
                {
                    "place": t.place,
                    "from": t.from_layer,
                    "to": t.to_layer,
                    "time_h": round(t.time_h, 3),
                    "cost_usd_per_t": round(t.cost_usd_per_t, 3),
                    "gauge_change": t.gauge_change,
                }
                for t in self.transfers
            ],
            "indicators": self.indicators(),
            "charges": [
                {
                    "rate": c.rate,
                    "mode": c.mode,
                    "country": c.country,
                    "traffic": c.traffic,
                    "rate_factor": c.rate_factor,
                    "fee_factor": c.fee_factor,
                    "dwell_factor": c.dwell_factor,
                    "speed_factor": c.speed_factor,
                    "backhaul_factor": c.backhaul_factor,
                    "backhaul": c.backhaul,
                    "set_by": c.set_by,
                }
                for c in self.charges
            ],
            "links": list(self.links),
            "steps": [
                {
                    "kind": st.kind,
                    "label": st.label,
                    "place": st.place,
                    "distance_km": round(st.distance_km, 2),
                    "time_h": round(st.time_h, 3),
                    "cost_usd_per_t": round(st.cost_usd_per_t, 3),
                }
                for st in self.steps
            ],
            "coordinates": [list(c) for c in self.coordinates],
        }


def _gauge(layer: str) -> str | None:
    return layer.split("_", 1)[1] if layer.startswith("rail_") else None


def build_route(
    graph: Graph,
    state: NetworkState,
    edges: Sequence[int],
    *,
    origin: str,
    destination: str,
    commodity: str,
    objective: str,
    value_of_time: float,
) -> Route:
    """Turn a path (edge ids in order) into a :class:`Route` with its breakdown."""
    net = graph.network
    ends = (net.places[origin].country, net.places[destination].country)
    costs = graph.costs(state, commodity, ends)
    places: list[str] = [origin]
    countries: list[str] = [net.places[origin].country]
    legs: list[Leg] = []
    borders: list[BorderStep] = []
    transfers: list[TransferStep] = []
    steps: list[Step] = [Step("start", net.places[origin].name, origin, 0.0, 0.0, 0.0)]
    links: list[str] = []
    modes: list[str] = []
    dist = time = cost = co2 = moving = 0.0
    cur: dict[str, Any] | None = None

    def close_leg() -> None:
        nonlocal cur
        if cur is not None:
            legs.append(Leg(**cur))
            cur = None

    for e in edges:
        src_place = graph.place_ids[graph.node_place[graph.edge_src[e]]]
        dst_place = graph.place_ids[graph.node_place[graph.edge_dst[e]]]
        layer = LAYERS[graph.node_layer[graph.edge_src[e]]]
        if graph.edge_kind[e] == HAUL:
            link_id = graph.link_ids[graph.edge_link[e]]
            mode = MODES[graph.edge_mode[e]]
            country = net.places[src_place].country
            run, wait = float(costs.run_h[e]), float(costs.wait_h[e])
            dwell, fee = float(costs.dwell_h[e]), float(costs.fee_usd[e])
            haul_cost = float(costs.cost_usd[e]) - fee
            d = float(costs.distance_km[e])
            if wait > 0:
                time += wait
                steps.append(Step("wait", f"wait for {mode}", src_place, dist, time, cost))
            dist += d
            time += run
            cost += haul_cost
            moving += run
            co2 += float(costs.co2_kg[e])
            steps.append(Step("haul", mode, dst_place, dist, time, cost))
            gauge = _gauge(layer)
            key = (mode, gauge, country)
            if cur is None or (cur["mode"], cur["gauge"], cur["country"]) != key:
                close_leg()
                cur = {
                    "mode": mode,
                    "gauge": gauge,
                    "country": country,
                    "to_country": country,
                    "from_place": src_place,
                    "to_place": dst_place,
                    "distance_km": 0.0,
                    "time_h": 0.0,
                    "cost_usd_per_t": 0.0,
                    "links": (),
                }
            cur["to_place"] = dst_place
            cur["to_country"] = net.places[dst_place].country
            cur["distance_km"] += d
            cur["time_h"] += run + wait
            cur["cost_usd_per_t"] += haul_cost
            cur["links"] = (*cur["links"], link_id)
            links.append(link_id)
            if mode not in modes:
                modes.append(mode)
            if graph.edge_crossing[e] >= 0:
                cid = graph.crossing_ids[graph.edge_crossing[e]]
                c = state.crossings[cid]
                borders.append(
                    BorderStep(
                        c.from_country,
                        c.to_country,
                        c.place,
                        cid,
                        link_id,
                        mode,
                        dwell,
                        # a commodity's dwell factor (rates.csv) scales the P90 alike
                        c.dwell_p90_h * dwell / c.dwell_mean_h if c.dwell_mean_h else c.dwell_p90_h,
                        fee,
                    )
                )
                time += dwell
                cost += fee
                steps.append(
                    Step(
                        "border",
                        f"border {c.from_country}→{c.to_country}",
                        c.place,
                        dist,
                        time,
                        cost,
                    )
                )
            if dst_place != places[-1]:
                places.append(dst_place)
            dst_country = net.places[dst_place].country
            if dst_country != countries[-1]:
                countries.append(dst_country)
        else:
            close_leg()
            tr = net.transfers[graph.transfer_ids[graph.edge_transfer[e]]]
            to_layer = LAYERS[graph.node_layer[graph.edge_dst[e]]]
            t_h, t_c = float(costs.time_h[e]), float(costs.cost_usd[e])
            transfers.append(TransferStep(src_place, layer, to_layer, t_h, t_c, tr.id))
            time += t_h
            cost += t_c
            label = "gauge change" if transfers[-1].gauge_change else f"{layer}→{to_layer}"
            steps.append(Step("transfer", label, src_place, dist, time, cost))
    close_leg()
    return Route(
        origin=origin,
        destination=destination,
        date=state.date,
        scenario=state.scenario,
        commodity=commodity,
        objective=objective,
        places=tuple(places),
        countries=tuple(countries),
        modes=tuple(modes),
        legs=tuple(legs),
        borders=tuple(borders),
        transfers=tuple(transfers),
        steps=tuple(steps),
        links=tuple(links),
        distance_km=dist,
        time_h=time,
        moving_time_h=moving,
        cost_usd_per_t=cost,
        co2_kg_per_t=co2,
        generalized_cost_usd_per_t=cost + value_of_time * time,
        charges=_charges(state, commodity, graph, edges, ends),
        coordinates=tuple((net.places[p].lon, net.places[p].lat) for p in places),
        edges=tuple(int(e) for e in edges),
    )


def _charges(
    state: NetworkState,
    commodity: str,
    graph: Graph,
    edges: Sequence[int],
    ends: tuple[str, str],
) -> tuple[Charge, ...]:
    """The commodity's rates rows on the modes (and in the countries, for a country's row
    that charges this shipment's traffic) the route travels that change anything on the
    date, or that an event has set (a year's market back at the base level says so), and
    whether the route pays a row's back-haul rate (it travels one of the mode's head-haul
    links the other way)."""
    haul = [e for e in edges if graph.edge_kind[e] == HAUL]
    modes = {MODES[graph.edge_mode[e]] for e in haul}
    backhaul = {MODES[graph.edge_mode[e]] for e in haul if graph.edge_backhaul[e]}
    src, dst = graph.edge_country("src"), graph.edge_country("dst")
    countries = {
        (MODES[graph.edge_mode[e]], graph.country_codes[c]) for e in haul for c in (src[e], dst[e])
    }
    out = []
    for r in state.rates.values():
        if r.commodity != commodity or r.mode not in modes:
            continue
        if r.country is not None and (r.mode, r.country) not in countries:
            continue
        if not r.charges(ends):
            continue
        by = state.last_change("rate", r.id)
        if not r.neutral or by is not None:
            out.append(
                Charge(
                    r.id,
                    r.mode,
                    r.country,
                    r.traffic,
                    *r.factors,
                    None if by is None else by.id,
                    r.mode in backhaul,
                )
            )
    return tuple(out)
