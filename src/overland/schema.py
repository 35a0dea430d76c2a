"""The network-package schema, declared once.

Each table of a package is a pydantic model whose fields carry type, bounds, unit and
description. The same declaration drives reading (:mod:`overland.package`),
validation (:mod:`overland.validation`) and the reference page ``docs/schema.md``
(:func:`schema_markdown`). A package's ``overland.yaml`` states the schema version it
was written for; :data:`SCHEMA_VERSION` is the one this code reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import BadArgumentError

__all__ = [
    "CSV_TABLES",
    "DEFAULT_LIMITS",
    "FIXED_FIELDS",
    "SCHEMA_VERSION",
    "YAML_FILES",
    "CaseQuery",
    "Change",
    "Commodity",
    "CorridorDef",
    "Corridors",
    "Country",
    "Crossing",
    "DependenceRun",
    "DisruptionRun",
    "Event",
    "FlowRun",
    "LatencyQuestion",
    "Layer",
    "LayerQuestion",
    "Link",
    "LinkGroup",
    "LinkShape",
    "LoadLimits",
    "Manifest",
    "Mode",
    "ModeParams",
    "Observation",
    "ObservationQuery",
    "Parameters",
    "Place",
    "Rate",
    "ReliabilityRun",
    "ReportCase",
    "ReportSpec",
    "Rule",
    "RuleScope",
    "Scenario",
    "Source",
    "Table",
    "Transfer",
    "apply_change",
    "limits_markdown",
    "parse_query",
    "schema_markdown",
]

SCHEMA_VERSION = 1

Mode = Literal["rail", "road", "ferry", "sea", "air"]
MODES: tuple[str, ...] = ("rail", "road", "ferry", "sea", "air")
#: Fastest commercial speeds: anything on the ground, and an aircraft's block speed.
GROUND_SPEED_MAX_KMH = 160.0
AIR_SPEED_MAX_KMH = 1000.0
#: The modes that reach a port by land (a port's hinterland traffic).
LAND_MODES: tuple[str, ...] = ("rail", "road")
UTILITY_MODES: tuple[str, ...] = ("oil_pipeline", "gas_pipeline", "fibre", "power")
LinkMode = Literal[
    "rail", "road", "ferry", "sea", "air", "oil_pipeline", "gas_pipeline", "fibre", "power"
]
CapacityUnit = Literal["Mt_per_year", "bcm_per_year", "tbit_s", "mw"]
#: The one capacity unit each utility layer is counted in (no mixing of Mt/yr and bcm/yr).
UNIT_OF_MODE: dict[str, str] = {
    "oil_pipeline": "Mt_per_year",
    "gas_pipeline": "bcm_per_year",
    "fibre": "tbit_s",
    "power": "mw",
}
Gauge = Literal["1520", "1435", "dual"]
Layer = Literal["rail_1520", "rail_1435", "road", "ferry", "sea", "air"]
LAYERS: tuple[str, ...] = ("rail_1520", "rail_1435", "road", "ferry", "sea", "air")
LinkStatus = Literal["open", "closed", "planned"]
CrossingStatus = Literal["open", "closed"]
EventStatus = Literal["happened", "planned", "hypothetical"]
PlaceKind = Literal["city", "station", "port", "border", "junction", "terminal", "waypoint"]
RuleKind = Literal["transit_ban", "border_closed"]
DatePrecision = Literal["day", "month", "year"]


def _check_speed(mode: object, speed_kmh: float) -> float:
    if mode != "air" and speed_kmh > GROUND_SPEED_MAX_KMH:
        raise ValueError(
            f"{speed_kmh:g} km/h is too fast for {mode or 'a ground mode'}: at most "
            f"{GROUND_SPEED_MAX_KMH:g} km/h on the ground ({AIR_SPEED_MAX_KMH:g} in the air)"
        )
    return speed_kmh


def _split_list(value: object) -> object:
    """Accept ``a;b;c`` (CSV cells) as well as YAML lists."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=64)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
SourceIds = Annotated[tuple[Id, ...], BeforeValidator(_split_list), Field(min_length=1)]
Names = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
Url = Annotated[str, StringConstraints(pattern=r"^(https?://\S+|docs/[\w./-]+)$")]


def _unit(unit: str) -> dict[str, Any]:
    return {"unit": unit}


class _Row(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, populate_by_name=True
    )

    def record(self) -> dict[str, Any]:
        """The row as flat cells, keyed by CSV column: lists joined with ';', dates as text."""
        return {k: _cell(v) for k, v in self.model_dump(by_alias=True).items()}


def _cell(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class _Sourced(_Row):
    source: SourceIds = Field(
        description="Source ids (see sources.csv), separated by ';'. Every figure cites one."
    )
    estimate: bool = Field(
        False, description="True when a figure is the project's estimate; `note` says how."
    )
    note: str = Field("", description="Free text; the reasoning behind an estimate.")


class Country(_Sourced):
    """A country: its ISO code and a plausible bounding box for coordinate checks."""

    iso2: CountryCode = Field(description="ISO 3166-1 alpha-2 code (Nakhchivan is AZ).")
    name: str = Field(min_length=1, description="English short name.")
    lat_min: float = Field(
        ge=-90, le=90, description="Southern edge.", json_schema_extra=_unit("deg")
    )
    lat_max: float = Field(
        ge=-90, le=90, description="Northern edge.", json_schema_extra=_unit("deg")
    )
    lon_min: float = Field(
        ge=-180, le=180, description="Western edge.", json_schema_extra=_unit("deg")
    )
    lon_max: float = Field(
        ge=-180, le=180, description="Eastern edge.", json_schema_extra=_unit("deg")
    )
    rail_gauge: Gauge | None = Field(None, description="Main-line rail gauge, mm.")

    @model_validator(mode="after")
    def _box(self) -> Country:
        if self.lat_min >= self.lat_max or self.lon_min >= self.lon_max:
            raise ValueError("bounding box is empty: need lat_min < lat_max and lon_min < lon_max")
        return self


class Place(_Sourced):
    """A city, station, port, border post or terminal."""

    id: Id = Field(description="Unique id, lower case: letters, digits, '_' or '-'.")
    name: str = Field(min_length=1, description="Usual English name.")
    aliases: Names = Field((), description="Other names and transliterations, ';'-separated.")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 code; must be in countries.csv.")
    lat: float = Field(ge=-90, le=90, description="WGS84 latitude.", json_schema_extra=_unit("deg"))
    lon: float = Field(
        ge=-180, le=180, description="WGS84 longitude.", json_schema_extra=_unit("deg")
    )
    kind: PlaceKind = Field(description="What the place is.")


class Link(_Sourced):
    """A piece of infrastructure or a service between two places, by mode."""

    id: Id = Field(description="Unique id.")
    name: str = Field("", description="Line, road or service name.")
    from_place: Id = Field(alias="from", description="Place id at one end.")
    to_place: Id = Field(alias="to", description="Place id at the other end.")
    mode: LinkMode = Field(
        description="Freight: rail, road, ferry, sea, air; utility layers: oil_pipeline, "
        "gas_pipeline, fibre, power."
    )
    gauge: Gauge | None = Field(
        None, description="Rail only: 1520, 1435 or dual (both gauges laid)."
    )
    length_km: float = Field(
        gt=0,
        le=30000,
        description="Length along the line or sailing route.",
        json_schema_extra=_unit("km"),
    )
    speed_kmh: float | None = Field(
        None,
        gt=0,
        le=AIR_SPEED_MAX_KMH,
        description="Commercial speed; default from modes.csv (at most 160 km/h on the ground).",
        json_schema_extra=_unit("km/h"),
    )
    duration_h: float | None = Field(
        None,
        gt=0,
        le=2000,
        description="Running/sailing time; overrides length/speed.",
        json_schema_extra=_unit("h"),
    )
    headway_h: float | None = Field(
        None,
        gt=0,
        le=2000,
        description="Ferries: time between departures.",
        json_schema_extra=_unit("h"),
    )
    wait_h: float | None = Field(
        None,
        ge=0,
        le=2000,
        description="Ferries: expected wait for a departure; default half the headway.",
        json_schema_extra=_unit("h"),
    )
    capacity_t_per_year: float | None = Field(
        None, ge=0, le=1e9, description="Freight capacity.", json_schema_extra=_unit("t/yr")
    )
    capacity: float | None = Field(
        None, ge=0, le=1e6, description="Utility layers: capacity in `capacity_unit`."
    )
    capacity_unit: CapacityUnit | None = Field(
        None,
        description="Mt_per_year (oil), bcm_per_year (gas), tbit_s (fibre) or mw (power).",
    )
    cost_usd_per_t: float | None = Field(
        None,
        ge=0,
        le=5000,
        description="Fixed charge per tonne (ferry, sea or air tariff).",
        json_schema_extra=_unit("USD/t"),
    )
    cost_usd_per_tkm: float | None = Field(
        None,
        ge=0,
        le=2,
        description="Rate per tonne-km; default from modes.csv.",
        json_schema_extra=_unit("USD/t-km"),
    )
    status: LinkStatus = Field(
        description="State at the package's base date: open, closed or planned (not built)."
    )
    directed: bool = Field(False, description="True when usable only from `from` to `to`.")
    commodities: Names = Field(
        (),
        description="Only these commodities may use the link (ids in commodities.csv, "
        "`;`-separated), e.g. `oil` for a tanker route; empty: every commodity.",
    )
    detour_reason: str = Field(
        "", description="Why the length may exceed twice the great-circle distance."
    )
    booked: bool = Field(
        False,
        description="True where the operator sells space by booking (a Ro-Ro or container "
        "liner): corridor flows ration it by price when full, not by a queue.",
    )
    headhaul: bool = Field(
        False,
        description="True for a liner lane whose market quotes its price from `from` to "
        "`to` (the head-haul, where the boxes are full): the other way (the back-haul) pays "
        "that rate times the commodity's `backhaul_factor` (rates.csv).",
    )

    @field_validator("speed_kmh")
    @classmethod
    def _ground_speed(cls, value: float | None, info: ValidationInfo) -> float | None:
        return None if value is None else _check_speed(info.data.get("mode"), value)

    @field_validator("booked")
    @classmethod
    def _booked_space(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("capacity_t_per_year") is None:
            raise ValueError("a booked link needs capacity_t_per_year: the space it sells")
        return value

    @model_validator(mode="after")
    def _gauge_and_ends(self) -> Link:
        if self.mode in UTILITY_MODES:
            want = UNIT_OF_MODE[self.mode]
            if self.capacity is None or self.capacity_unit != want:
                raise ValueError(
                    f"a {self.mode} link needs capacity and capacity_unit {want!r}"
                    + (f", not {self.capacity_unit!r}" if self.capacity_unit else "")
                )
            if self.capacity_t_per_year is not None:
                raise ValueError("utility links give capacity/capacity_unit, not t/yr")
        elif self.capacity is not None or self.capacity_unit is not None:
            raise ValueError(
                f"capacity/capacity_unit are for utility layers; a {self.mode} link uses "
                "capacity_t_per_year"
            )
        if self.mode == "rail" and self.gauge is None:
            raise ValueError("a rail link needs a gauge: 1520, 1435 or dual")
        if self.mode != "rail" and self.gauge is not None:
            raise ValueError(f"only rail links have a gauge; this one is {self.mode}")
        if self.from_place == self.to_place:
            raise ValueError("a link must join two different places")
        return self

    @property
    def is_freight(self) -> bool:
        """True for rail, road, ferry and sea; False for pipelines, fibre and power."""
        return self.mode in MODES

    def layers(self) -> tuple[str, ...]:
        """The virtual-network layers this link belongs to."""
        if self.mode != "rail":
            return (self.mode,)
        if self.gauge == "dual":
            return ("rail_1520", "rail_1435")
        return (f"rail_{self.gauge}",)


class Crossing(_Sourced):
    """A border crossing on one link in one direction."""

    id: Id = Field(description="Unique id.")
    link: Id = Field(description="The border link (its ends lie in different countries).")
    from_country: CountryCode = Field(description="Country left.")
    to_country: CountryCode = Field(description="Country entered.")
    place: Id = Field(description="Border post where formalities happen: one of the link's ends.")
    dwell_mean_h: float = Field(
        ge=0, le=2000, description="Mean time to clear the border.", json_schema_extra=_unit("h")
    )
    dwell_p90_h: float = Field(
        ge=0,
        le=4000,
        description="90th percentile of the time to clear.",
        json_schema_extra=_unit("h"),
    )
    fee_usd_per_t: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="Fees and charges per tonne.",
        json_schema_extra=_unit("USD/t"),
    )
    status: CrossingStatus = Field("open", description="State at the base date.")
    capacity_t_per_year: float | None = Field(
        None,
        ge=0,
        le=1e9,
        description="Throughput the post can clear (t/yr).",
        json_schema_extra=_unit("t/yr"),
    )
    dwell_shared: bool = Field(
        False,
        description="The dwell is a wait every train or vehicle shares, such as a queue for "
        "handover slots that the source measured on the priority trains themselves: a "
        "commodity's dwell_factor (rates.csv) does not apply here. False: the dwell is "
        "the post's average over all traffic and priority cargo clears faster.",
    )

    @model_validator(mode="after")
    def _p90(self) -> Crossing:
        if self.dwell_p90_h < self.dwell_mean_h:
            raise ValueError(
                f"dwell_p90_h ({self.dwell_p90_h}) must be >= dwell_mean_h ({self.dwell_mean_h})"
            )
        if self.dwell_p90_h > 10 * self.dwell_mean_h:
            raise ValueError(
                f"dwell_p90_h ({self.dwell_p90_h}) cannot exceed 10 x dwell_mean_h "
                f"({self.dwell_mean_h}): no non-negative time has a P90 above ten times its "
                "mean (Markov's inequality); check whether the mean is a typical (median) time"
            )
        if self.from_country == self.to_country:
            raise ValueError("from_country and to_country must differ")
        return self


class Transfer(_Sourced):
    """What it takes to change mode or gauge at a place."""

    id: Id = Field(description="Unique id.")
    place: Id = Field(description="Where the change happens.")
    from_layer: Layer = Field(
        description="Layer left: rail_1520, rail_1435, road, ferry, sea, air."
    )
    to_layer: Layer = Field(description="Layer entered.")
    time_h: float = Field(ge=0, le=1000, description="Handling time.", json_schema_extra=_unit("h"))
    cost_usd_per_t: float = Field(
        ge=0, le=500, description="Handling cost per tonne.", json_schema_extra=_unit("USD/t")
    )
    both_ways: bool = Field(True, description="True when the same figures hold in reverse.")
    capacity_t_per_year: float | None = Field(
        None,
        gt=0,
        le=1e9,
        description="Tonnes a year the terminal can change in each direction (empty: no "
        "limit). In corridor flows its slots are rationed by price: near and above "
        "capacity the operator's premium rises until enough cargo goes another way.",
        json_schema_extra=_unit("t/yr"),
    )
    commodities: Names = Field(
        (),
        description="Only these commodities use this transfer (ids in commodities.csv, "
        "`;`-separated), e.g. a container terminal beside the bulk sidings; empty: every "
        "commodity.",
    )

    @model_validator(mode="after")
    def _layers(self) -> Transfer:
        if self.from_layer == self.to_layer:
            raise ValueError("from_layer and to_layer must differ")
        return self


class ModeParams(_Sourced):
    """Default speed, cost rate and emission factor of a mode."""

    mode: Mode = Field(description="The mode these defaults apply to.")
    speed_kmh: float = Field(
        gt=0,
        le=AIR_SPEED_MAX_KMH,
        description="Commercial speed incl. stops (at most 160 km/h on the ground).",
        json_schema_extra=_unit("km/h"),
    )
    cost_usd_per_tkm: float = Field(
        ge=0, le=2, description="Line-haul rate.", json_schema_extra=_unit("USD/t-km")
    )
    co2_g_per_tkm: float = Field(
        ge=0, le=2000, description="Well-to-wheel emissions.", json_schema_extra=_unit("g/t-km")
    )
    waiting_cost_usd_per_t_h: float = Field(
        0.0,
        ge=0,
        le=10,
        description="What an hour in a queue on a link of this mode costs per tonne beyond "
        "the cargo's value of time: the idle wagon, truck or box (corridor flows).",
        json_schema_extra=_unit("USD/t-h"),
    )

    @field_validator("speed_kmh")
    @classmethod
    def _ground_speed(cls, value: float, info: ValidationInfo) -> float:
        return _check_speed(info.data.get("mode"), value)


class Rate(_Sourced):
    """How one commodity's shipments on one mode differ from the mode's defaults:
    multipliers on the line-haul rate per tonne-km, on the border fees per tonne, on the
    border dwell and on the speed. Rates are set per consignment (a container-km, a wagon
    at a border); one tonne of a commodity shipped in another unit pays a different share
    of them, and some trains clear borders with priority and run on faster paths."""

    id: Id = Field(description="Unique id.")
    commodity: Id = Field(description="Commodity id (commodities.csv).")
    mode: Mode = Field(description="Mode whose links the multipliers apply to.")
    country: CountryCode | None = Field(
        None,
        description="ISO 3166-1 alpha-2 code (countries.csv): the row applies to the mode's "
        "links in that country only, such as a national railway's tariff against the mode's "
        "rate (a link between two countries is charged half at each one's rate and speed). "
        "Such a row sets rate_factor and speed_factor only; it multiplies with the "
        "commodity's row for every country. Empty: every country.",
    )
    traffic: Literal["all", "own", "transit"] = Field(
        "all",
        description="Which shipments a country's row charges: `own`, those that start or end "
        "in the country (its domestic, export and import tariff); `transit`, those that "
        "cross it (its transit tariff); `all`, both. Only with `country`.",
    )
    rate_factor: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Multiplier on the per-tonne-km rate of the mode's links (the mode's "
        "or the link's own cost_usd_per_tkm); a link's per-tonne charge is not scaled.",
    )
    fee_factor: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Multiplier on the fee per tonne at the border crossings of the mode's links.",
    )
    dwell_factor: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Multiplier on the border dwell (mean and P90) at the crossings of the "
        "mode's links: trains that clear with priority, such as express container trains.",
    )
    speed_factor: float = Field(
        1.0,
        ge=0.2,
        le=5,
        description="Multiplier on the speed of the mode's links (their time on the move; "
        "waits, border dwell and handling are apart): block trains that run on timetabled "
        "paths, such as express container trains, against the mode's speed.",
    )
    backhaul_factor: float = Field(
        1.0,
        gt=0,
        le=10,
        description="Multiplier on the rate per tonne-km of the mode's head-haul links "
        "(links.csv `headhaul`) travelled from `to` to `from`: the back-haul's market price "
        "over the head-haul's (empty boxes going home sell for less). Applies on top of "
        "rate_factor.",
    )

    @property
    def factors(self) -> tuple[float, float, float, float, float]:
        """The multipliers: rate, fee, dwell, speed, back-haul."""
        return (
            self.rate_factor,
            self.fee_factor,
            self.dwell_factor,
            self.speed_factor,
            self.backhaul_factor,
        )

    @field_validator("traffic")
    @classmethod
    def _traffic_of_a_country(cls, value: str, info: ValidationInfo) -> str:
        if value != "all" and not info.data.get("country"):
            raise ValueError(
                f"traffic {value!r} needs a country: it says which shipments a country's "
                "tariff charges (empty or 'all' for a row for every country)"
            )
        return value

    @field_validator("fee_factor", "dwell_factor", "backhaul_factor")
    @classmethod
    def _country_row(cls, value: float, info: ValidationInfo) -> float:
        country = info.data.get("country")
        if country and value != 1:
            raise ValueError(
                f"a row for one country ({country}) sets rate_factor and speed_factor only "
                "(this must be 1): border fees and dwell are the crossings' (crossings.csv), "
                "the back-haul the commodity's row for every country"
            )
        return value

    @property
    def scope(self) -> str:
        """Where the row applies, for messages: its country (and traffic) or every country."""
        if not self.country:
            return self.mode
        traffic = "" if self.traffic == "all" else f" ({self.traffic} traffic)"
        return f"{self.mode} in {self.country}{traffic}"

    def charges(self, ends: tuple[str, str] | None) -> bool:
        """Whether the row charges a shipment between countries ``ends`` (origin,
        destination); with no ends known, only a row for all traffic does."""
        if self.traffic == "all":
            return True
        if ends is None:
            return False
        return (self.country in ends) == (self.traffic == "own")

    @property
    def neutral(self) -> bool:
        """Every multiplier is 1: the row changes nothing."""
        return self.factors == (1, 1, 1, 1, 1)


class Commodity(_Sourced):
    """A class of freight."""

    id: Id = Field(description="Unique id.")
    name: str = Field(min_length=1, description="Display name.")
    unit: Literal["t", "TEU"] = Field("t", description="Unit demand is counted in.")
    t_per_unit: float = Field(
        1.0, gt=0, le=40, description="Tonnes per unit (1 for t).", json_schema_extra=_unit("t")
    )
    value_usd_per_t: float = Field(
        gt=0, le=1e6, description="Cargo value.", json_schema_extra=_unit("USD/t")
    )
    value_of_time_usd_per_t_h: float = Field(
        ge=0,
        le=100,
        description="Value of time for generalized cost: the mean over the commodity's shipments.",
        json_schema_extra=_unit("USD/(t h)"),
    )
    value_of_time_spread: float = Field(
        0.0,
        ge=0,
        le=3,
        description="Log standard deviation of the value of time across the commodity's "
        "shipments (lognormal): corridor flows split its tonnes into value-of-time classes, "
        "so a few time-sensitive shippers pay for speed while most do not. 0: every "
        "shipment at the mean.",
    )


class DemandRow(_Sourced):
    """Freight demand between two places: tonnes per year of one commodity."""

    id: Id = Field(description="Unique id.")
    origin: Id = Field(
        description="Place id where the freight starts; a rail, road, ferry, sea or air link "
        "must touch it."
    )
    destination: Id = Field(
        description="Place id where it ends; a freight link must touch it, as the origin."
    )
    commodity: Id = Field(description="Commodity id (commodities.csv).")
    year: int = Field(ge=1988, le=2100, description="Base year of the figure.")
    tonnes_per_year: float = Field(
        ge=0, le=1e9, description="Annual tonnes.", json_schema_extra=_unit("t/yr")
    )
    corridor_hint: str = Field("", description="Corridor the source attributes it to, if any.")


#: the keys each observation-query verb takes (docs/fit.md)
QUERY_KEYS: dict[str, frozenset[str]] = {
    "route": frozenset(
        {
            "from",
            "to",
            "via",
            "modes",
            "avoid",
            "commodity",
            "scenario",
            "objective",
            "measure",
            "loaded",
        }
    ),
    "dwell": frozenset({"crossing"}),
    "tonnes": frozenset({"link", "group", "port", "crossing", "commodity"}),
    "share": frozenset({"corridor", "commodity", "from_countries", "to_countries", "both", "by"}),
    "capacity": frozenset({"link", "crossing", "both"}),
}
#: keys a verb cannot do without (for tonnes and capacity: exactly one of their keys)
QUERY_REQUIRED: dict[str, frozenset[str]] = {
    "route": frozenset({"from", "to", "measure"}),
    "dwell": frozenset({"crossing"}),
    "share": frozenset({"corridor"}),
}
ROUTE_MEASURES = ("time", "moving", "distance", "cost")
SHARE_BASES = ("tonnes", "value")
ObservationCategory = Literal[
    "transit_time", "dwell", "rate", "distance", "volume", "share", "capacity"
]
ObservationUnit = Literal[
    "days",
    "hours",
    "km",
    "nm",
    "usd_per_t",
    "usd_per_teu",
    "usd_per_feu",
    "t",
    "teu",
    "share",
    "t_per_year",
]


@dataclass(frozen=True)
class ObservationQuery:
    """A parsed observation query: its verb and ``key=value`` arguments."""

    verb: str
    args: dict[str, str]

    def items(self, key: str) -> tuple[str, ...]:
        """A comma-separated argument as a tuple (empty when absent)."""
        return tuple(x.strip() for x in self.args.get(key, "").split(",") if x.strip())


def parse_query(text: str) -> ObservationQuery:
    """Parse ``verb key=value ...`` (docs/fit.md); ``ValueError`` says what is wrong.

    Examples
    --------
    >>> q = parse_query("route from=xian to=duisburg avoid=RU,IR measure=time")
    >>> q.verb, q.items("avoid")
    ('route', ('RU', 'IR'))
    """
    words = text.split()
    if not words:
        raise ValueError("empty query")
    verb = words[0]
    if verb not in QUERY_KEYS:
        raise ValueError(f"unknown query verb {verb!r}; valid: {', '.join(QUERY_KEYS)}")
    args: dict[str, str] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not value:
            raise ValueError(f"{word!r} is not key=value")
        if key not in QUERY_KEYS[verb]:
            raise ValueError(
                f"{verb} takes no {key!r}; valid: {', '.join(sorted(QUERY_KEYS[verb]))}"
            )
        if key in args:
            raise ValueError(f"{key!r} given twice")
        args[key] = value
    missing = sorted(QUERY_REQUIRED.get(verb, frozenset()) - set(args))
    if missing:
        raise ValueError(f"{verb} needs {', '.join(missing)}")
    where = set(args) - {"commodity", "both"}
    if verb in ("tonnes", "capacity") and len(where) != 1:
        keys = sorted(QUERY_KEYS[verb] - {"commodity", "both"})
        raise ValueError(f"{verb} takes exactly one of {', '.join(keys)}")
    if verb == "tonnes" and "commodity" in args and not where & {"link", "crossing"}:
        raise ValueError("tonnes takes commodity only with link or crossing")
    if verb == "route" and args["measure"] not in ROUTE_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(ROUTE_MEASURES)}")
    if verb == "route" and args.get("loaded", "false") not in ("true", "false"):
        raise ValueError("loaded must be true or false")
    if verb == "route" and args.get("loaded") == "true" and args["measure"] != "time":
        raise ValueError("loaded=true adds queue hours: it needs measure=time")
    if verb == "capacity" and args.get("both", "false") not in ("true", "false"):
        raise ValueError("both must be true or false")
    if verb == "share" and args.get("by", "tonnes") not in SHARE_BASES:
        raise ValueError(f"by must be one of {', '.join(SHARE_BASES)}")
    return ObservationQuery(verb, args)


class Observation(_Row):
    """A published figure the model should reproduce (docs/fit.md)."""

    id: Id = Field(description="Unique id.")
    category: ObservationCategory = Field(description="What kind of figure it is.")
    year: int = Field(ge=1988, le=2100, description="The year the figure describes.")
    observed: float = Field(description="The published figure (a range's midpoint).")
    unit: ObservationUnit = Field(description="Its unit.")
    low: float | None = Field(None, description="The source's range, low end.")
    high: float | None = Field(None, description="The source's range, high end.")
    tolerance: float = Field(gt=0, le=5, description="Relative tolerance of the comparison.")
    tolerance_reason: str = Field(min_length=1, description="Why this tolerance.")
    query: str = Field(min_length=1, description="What the model computes (docs/fit.md).")
    date: dt.date | None = Field(None, description="Date the query is answered on (YEAR-07-01).")
    holdout: bool = Field(description="Kept out of calibration (the fixed 25 %).")
    source: SourceIds = Field(description="Source ids (sources.csv).")
    primary: bool = Field(description="The source is the operator, ministry or an agency.")
    contested: str = Field("", description="Other figures and their sources, if any.")
    note: str = Field("", description="How the query approximates what was counted.")
    anchor: bool = Field(
        False,
        description="A figure the package's demand and capacities were calibrated to "
        "(docs/data.md): the parameter fit must keep it within tolerance before it counts "
        "anything else (docs/fit.md). Calibration set only.",
    )

    @model_validator(mode="after")
    def _query_parses(self) -> Observation:
        parse_query(self.query)
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low must not exceed high")
        if self.anchor and self.holdout:
            raise ValueError("an anchor is fitted, so it cannot be held out")
        return self

    @property
    def parsed(self) -> ObservationQuery:
        """The query, parsed."""
        return parse_query(self.query)

    @property
    def on(self) -> dt.date:
        """The date the query is answered on."""
        return self.date or dt.date(self.year, 7, 1)

    @property
    def bounds(self) -> tuple[float, float]:
        """The published range, low and high; an end the source does not give is the
        figure itself."""
        return (
            self.observed if self.low is None else self.low,
            self.observed if self.high is None else self.high,
        )


class Source(_Row):
    """A cited source."""

    id: Id = Field(description="Unique id, cited from other tables' `source` fields.")
    title: str = Field(min_length=1, description="Title of the page or document.")
    url: Url = Field(description="Where it can be read: a web address, or docs/... in this repo.")
    publisher: str = Field("", description="Publisher or site.")
    accessed: dt.date = Field(description="Date the figures were taken (YYYY-MM-DD).")
    note: str = Field("", description="Free text.")


# --------------------------------------------------------------------------- YAML


class Change(_Row):
    """One change an event makes: set fields of one element."""

    target: Literal["link", "crossing", "transfer", "rule", "rate"] = Field(
        description="Element kind (`rate`: a row of rates.csv, such as a freight market's "
        "rate in a year)."
    )
    id: Id = Field(description="Element id.")
    set: dict[str, Any] = Field(min_length=1, description="Field names (CSV columns) and values.")


class Event(_Row):
    """A dated, sourced change to the network or the rules."""

    id: Id = Field(description="Unique id.")
    date: dt.date = Field(description="When it takes effect (YYYY-MM-DD).")
    date_precision: DatePrecision = Field("day", description="How precise `date` is.")
    status: EventStatus = Field(
        description="happened; planned or hypothetical ones apply only through scenarios."
    )
    title: str = Field(min_length=1, description="What happened, in a line.")
    description: str = Field("", description="Longer text.")
    changes: tuple[Change, ...] = Field(
        (), description="What it changes; empty for a milestone that changes nothing yet."
    )
    source: SourceIds = Field(description="Source ids.")
    note: str = Field("", description="Free text.")


class RuleScope(_Row):
    """Which shipments a rule applies to (all when every list is empty)."""

    origin_countries: tuple[CountryCode, ...] = ()
    destination_countries: tuple[CountryCode, ...] = ()
    either_end_countries: tuple[CountryCode, ...] = ()
    commodities: tuple[Id, ...] = Field(
        (), description="Only these commodities (all when empty), e.g. an import ban on steel."
    )
    except_end_countries: tuple[CountryCode, ...] = Field(
        (),
        description="Shipments that start or end in these countries are not covered, whatever "
        "the other lists say (e.g. a ban on third countries' cargo entering a country by sea "
        "that leaves the country's own trade alone).",
    )

    @property
    def universal(self) -> bool:
        """Covers every shipment: no country and no commodity condition."""
        return not (
            self.origin_countries
            or self.destination_countries
            or self.either_end_countries
            or self.commodities
            or self.except_end_countries
        )

    def matches(
        self, origin_country: str, destination_country: str, commodity: str | None = None
    ) -> bool:
        """True when a shipment of ``commodity`` between these countries is covered
        (``commodity=None``: a shipment of any commodity, so a rule scoped to some
        commodities does not cover it)."""
        if self.commodities and commodity not in self.commodities:
            return False
        if {origin_country, destination_country} & set(self.except_end_countries):
            return False
        if not (self.origin_countries or self.destination_countries or self.either_end_countries):
            return True
        ends = {origin_country, destination_country}
        return (
            origin_country in self.origin_countries
            or destination_country in self.destination_countries
            or bool(ends & set(self.either_end_countries))
        )


class Rule(_Row):
    """A policy on who may go where."""

    id: Id = Field(description="Unique id.")
    title: str = Field(min_length=1, description="The rule, in words.")
    kind: RuleKind = Field(
        description="transit_ban: covered shipments may not enter `countries`; "
        "border_closed: no crossing between the two `countries`."
    )
    countries: tuple[CountryCode, ...] = Field(min_length=1, description="Countries concerned.")
    applies_to: RuleScope = Field(default_factory=RuleScope, description="Shipments covered.")
    modes: tuple[Mode, ...] = Field((), description="Modes covered (all when empty).")
    in_force: bool = Field(description="State at the base date; events switch it.")
    source: SourceIds = Field(description="Source ids.")
    note: str = Field("", description="Free text.")

    @model_validator(mode="after")
    def _countries(self) -> Rule:
        if self.kind == "border_closed" and len(self.countries) != 2:
            raise ValueError("a border_closed rule names exactly two countries")
        return self


class Scenario(_Row):
    """A named set of planned or hypothetical events, applied on their own dates."""

    schema_version: int = Field(description="Schema version the file was written for.")
    id: Id = Field(description="Scenario name used on the command line.")
    title: str = Field(min_length=1, description="Title.")
    description: str = Field("", description="What it represents.")
    extends: tuple[Id, ...] = Field((), description="Scenarios whose events this one includes.")
    include_events: tuple[Id, ...] = Field(
        (), description="Planned/hypothetical events (events.yaml) it switches on."
    )
    events: tuple[Event, ...] = Field((), description="Events defined only in this scenario.")
    date_overrides: dict[Id, dt.date] = Field(
        default_factory=dict, description="Event id -> date used instead of the event's own."
    )
    horizon: dt.date | None = Field(
        None, description="Default query date; the date of its last event when omitted."
    )
    source: SourceIds = Field(description="Source ids.")


class Manifest(_Row):
    """``overland.yaml``: what the package is."""

    schema_version: int = Field(description="Schema version the package was written for.")
    name: Id = Field(description="Package name.")
    title: str = Field(min_length=1, description="Title.")
    description: str = Field("", description="What it covers.")
    base_date: dt.date = Field(description="Date the CSV tables describe; events start after it.")
    data_as_of: dt.date = Field(description="Date the data was last brought up to date.")


class CorridorDef(_Row):
    """A corridor routes are attributed to: the first definition a route matches wins."""

    id: Id = Field(description="Corridor id used in results.")
    name: str = Field(min_length=1, description="Name shown to people.")
    countries_any: tuple[CountryCode, ...] = Field(
        (), description="A route crossing any of these countries belongs to it."
    )
    modes_any: tuple[Mode, ...] = Field((), description="... or using any of these modes.")

    @model_validator(mode="after")
    def _some_condition(self) -> CorridorDef:
        if not self.countries_any and not self.modes_any:
            raise ValueError("give countries_any or modes_any (or both)")
        return self


class LinkGroup(_Row):
    """Links whose tonnes are reported together (a sea crossing, a pass, a port)."""

    id: Id = Field(description="Group id used in results.")
    name: str = Field(min_length=1, description="Name shown to people.")
    links: tuple[Id, ...] = Field(min_length=1, description="Link ids (links.csv).")
    note: str = Field("", description="What the group counts and why.")


class Corridors(_Row):
    """``corridors.yaml`` (optional): how routes are attributed to corridors, and the
    groups of links whose tonnes corridor flows report."""

    schema_version: int = Field(description="Schema version the file was written for.")
    corridors: tuple[CorridorDef, ...] = Field((), description="In order: the first match wins.")
    default: Id = Field("other", description="Corridor of a route that matches none.")
    link_groups: tuple[LinkGroup, ...] = Field(
        (), description="Reported groups; the first is the headline figure."
    )


class CaseQuery(_Row):
    """One route question of a report case."""

    label: str = Field(min_length=1, description="Row label.")
    origin: str = Field(min_length=1, description="Place id, name or alias.")
    destination: str = Field(min_length=1, description="Place id, name or alias.")
    date: dt.date | None = Field(None, description="Default: the scenario's horizon or data_as_of.")
    scenario: Id | None = Field(None, description="Scenario id.")
    via: str | None = Field(None, description="A place the route must pass.")
    modes: tuple[Mode, ...] = Field((), description="Allowed modes (default: all).")
    avoid_countries: tuple[CountryCode, ...] = Field((), description="Countries avoided.")
    avoid_modes: tuple[Mode, ...] = Field((), description="Modes avoided.")
    commodity: Id | None = Field(None, description="Commodity id (default: the default one).")


class ReportCase(_Row):
    """A question of the report, answered by the routes of its rows."""

    id: Id = Field(description="Section id.")
    title: str = Field(min_length=1, description="Section title.")
    question: str = Field("", description="The question, as a reader would ask it.")
    rows: tuple[CaseQuery, ...] = Field(min_length=1, description="The route questions.")


class LayerQuestion(_Row):
    """Maximum flow on a utility layer between two sets of places or countries."""

    layer: Literal["oil_pipeline", "gas_pipeline", "fibre", "power"] = Field(
        description="Utility layer."
    )
    question: str = Field(min_length=1, description="Row label.")
    sources: str = Field(min_length=1, description="Place ids or ISO2 codes, comma-separated.")
    sinks: str = Field(min_length=1, description="Place ids or ISO2 codes, comma-separated.")


class LatencyQuestion(_Row):
    """One-way fibre latency between two places."""

    question: str = Field(min_length=1, description="Row label.")
    origin: str = Field(min_length=1, description="Place id, name or alias.")
    destination: str = Field(min_length=1, description="Place id, name or alias.")


class FlowRun(_Row):
    """A corridor-flows run of the report."""

    label: str = Field(min_length=1, description="Column label.")
    date: dt.date | None = Field(None, description="Default: the scenario's horizon or data_as_of.")
    scenario: Id | None = Field(None, description="Scenario id.")
    growth: float = Field(1.0, gt=0, le=100, description="Factor on every demand row.")
    map: bool = Field(False, description="Draw this run's flow map.")
    bottlenecks: bool = Field(False, description="Table this run's bottlenecks.")


class DependenceRun(_Row):
    """A column of the dependence table."""

    label: str = Field(min_length=1, description="Column label.")
    date: dt.date | None = Field(None, description="Default: the scenario's horizon or data_as_of.")
    scenario: Id | None = Field(None, description="Scenario id.")


class ReliabilityRun(_Row):
    """A shipment whose most reliable route the report gives P50/P90 for."""

    label: str = Field(min_length=1, description="Row label.")
    origin: str = Field(min_length=1, description="Place id, name or alias.")
    destination: str = Field(min_length=1, description="Place id, name or alias.")
    commodity: Id | None = Field(None, description="Commodity id.")
    date: dt.date | None = Field(None, description="Default: data_as_of.")


class DisruptionRun(_Row):
    """Elements closed for some days."""

    label: str = Field(min_length=1, description="Row label.")
    close: tuple[str, ...] = Field(min_length=1, description="Element ids (kind:id or id).")
    days: float = Field(gt=0, le=365, description="Days closed.")


class ReportSpec(_Row):
    """``report.yaml`` (optional): the questions this package's report answers. Without
    it the report is built from what the package has (routes between its main places,
    flows and criticality when it has demand)."""

    schema_version: int = Field(description="Schema version the file was written for.")
    title: str = Field(min_length=1, description="Report title.")
    subtitle: str = Field("", description="Line under the title.")
    cases: tuple[ReportCase, ...] = Field((), description="Route questions.")
    compare_scenario: Id | None = Field(
        None, description="Scenario the utility-layer questions compare with data_as_of."
    )
    layer_questions: tuple[LayerQuestion, ...] = Field((), description="Utility max flows.")
    latency: tuple[LatencyQuestion, ...] = Field((), description="Fibre latencies.")
    flow_runs: tuple[FlowRun, ...] = Field((), description="Corridor-flows runs.")
    flows_note: str = Field("", description="What the reader should know about the flows.")
    transit_countries: tuple[CountryCode, ...] = Field(
        (), description="Countries whose transit tonnes the flows table shows."
    )
    criticality_countries: tuple[CountryCode, ...] = Field(
        (), description="Countries whose elements the criticality table ranks (default: all)."
    )
    dependent_country: CountryCode | None = Field(
        None, description="Country whose trade the dependence table splits by transit country."
    )
    dependence_via: tuple[CountryCode, ...] = Field((), description="Transit countries shown.")
    dependence_runs: tuple[DependenceRun, ...] = Field((), description="Dependence columns.")
    reliability_runs: tuple[ReliabilityRun, ...] = Field((), description="Reliability rows.")
    disruptions: tuple[DisruptionRun, ...] = Field((), description="Disruption rows.")


#: Fields an event may not change: they define what an element is, not its state.
FIXED_FIELDS = frozenset(
    {
        "id",
        "from",
        "to",
        "mode",
        "link",
        "place",
        "from_country",
        "to_country",
        "country",
        "traffic",
        "from_layer",
        "to_layer",
        "kind",
    }
)


E = TypeVar("E", bound=BaseModel)


def apply_change(element: E, change: Change) -> E:
    """Return ``element`` with the change's fields set, re-validated.

    Raises ``ValueError`` for a fixed field and pydantic's ``ValidationError`` for a
    value the field does not accept.
    """
    fixed = sorted(set(change.set) & FIXED_FIELDS)
    if fixed:
        raise ValueError(f"field(s) {', '.join(fixed)} cannot be changed by an event")
    data = element.model_dump(by_alias=True)
    data.update(change.set)
    return type(element).model_validate(data)


class LinkShape(_Row):
    """The drawn course of one link (``shapes.geojson``): a sea lane around the coasts,
    a railway's curves. Maps draw it instead of the straight line between the ends."""

    link: Id = Field(description="Link id (links.csv).")
    coordinates: tuple[tuple[float, float], ...] = Field(
        min_length=2, description="[lon, lat] points from the link's `from` end to its `to` end."
    )

    @model_validator(mode="after")
    def _on_earth(self) -> LinkShape:
        for lon, lat in self.coordinates:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"point [{lon}, {lat}] is not a longitude, latitude pair")
        return self


class Parameters(_Row):
    """``parameters.yaml`` (optional): fitted multipliers on the package's *estimates*,
    written by ``overland calibrate`` from the calibration set of ``observations.csv``
    (docs/fit.md). Sourced figures are never changed."""

    schema_version: int = Field(description="Schema version the file was written for.")
    fitted_on: dt.date | None = Field(None, description="When the calibration ran.")
    method: str = Field("", description="How the multipliers were fitted.")
    result: str = Field("", description="The fit before and after, on both sets.")
    dwell_scale: float = Field(
        1.0, gt=0, le=10, description="× the dwell (mean, P90) of crossings marked estimate."
    )
    wait_scale: float = Field(
        1.0, gt=0, le=10, description="× the scheduled wait of links marked estimate."
    )
    value_of_time_scale: dict[Id, Annotated[float, Field(gt=0, le=10)]] = Field(
        default_factory=dict, description="Commodity id -> × its value of time (an estimate)."
    )
    value_of_time_spread_scale: float = Field(
        1.0,
        gt=0,
        le=10,
        description="× every commodity's value-of-time spread (an estimate).",
    )
    logit_scale: float = Field(
        1.0,
        gt=0,
        le=10,
        description="× θ of the corridor-flows logit (8): how strongly shippers favour the "
        "cheapest corridor and route.",
    )

    def _scales(self, table: str, row: Any) -> dict[str, float]:
        """Field -> multiplier for a row of ``table`` (links, crossings, commodities)."""
        if table == "crossings" and self.dwell_scale != 1.0:
            return {"dwell_mean_h": self.dwell_scale, "dwell_p90_h": self.dwell_scale}
        if table == "links" and self.wait_scale != 1.0:
            return {"wait_h": self.wait_scale}
        if table == "commodities":
            out = {}
            if row.id in self.value_of_time_scale:
                out["value_of_time_usd_per_t_h"] = self.value_of_time_scale[row.id]
            if self.value_of_time_spread_scale != 1.0:
                out["value_of_time_spread"] = self.value_of_time_spread_scale
            return out
        return {}

    def applied(self, table: str, row: Any, *, inverse: bool = False) -> Any:
        """``row`` of ``table`` (links, crossings, commodities) with the multipliers applied
        to its estimates (every commodity's value of time is one); ``inverse``: the row
        back as the package has it. Events change rows back as the package has them, then
        the state is fitted again, so a value an event sets on an estimate is scaled, a row
        it turns into a sourced value (``estimate: false``) is not, and one it turns into
        an estimate is, whole."""
        scales = self._scales(table, row)
        if not scales or (table != "commodities" and not row.estimate):
            return row
        update = {
            n: getattr(row, n) / k if inverse else getattr(row, n) * k
            for n, k in scales.items()
            if getattr(row, n) is not None
        }
        return row.model_copy(update=update) if update else row


@dataclass(frozen=True)
class Table:
    """A CSV table of a package: its file name, row model and key column."""

    name: str
    filename: str
    model: type[_Row]
    key: str
    description: str
    required: bool = True


CSV_TABLES: tuple[Table, ...] = (
    Table("sources", "sources.csv", Source, "id", "Every cited source."),
    Table("countries", "countries.csv", Country, "iso2", "Countries and their plausible boxes."),
    Table("places", "places.csv", Place, "id", "Nodes: cities, stations, ports, border posts."),
    Table("links", "links.csv", Link, "id", "Infrastructure and services between places."),
    Table("crossings", "crossings.csv", Crossing, "id", "Border crossings per link and direction."),
    Table("transfers", "transfers.csv", Transfer, "id", "Mode and gauge changes at places."),
    Table("modes", "modes.csv", ModeParams, "mode", "Default speed, cost and CO2 per mode."),
    Table("commodities", "commodities.csv", Commodity, "id", "Freight classes."),
    Table(
        "rates",
        "rates.csv",
        Rate,
        "id",
        "Per commodity and mode: multipliers on haul rates and border fees (optional).",
        required=False,
    ),
    Table("demand", "demand.csv", DemandRow, "id", "Freight demand (optional).", required=False),
    Table(
        "observations",
        "observations.csv",
        Observation,
        "id",
        "Published figures the model should reproduce, with queries (optional; docs/fit.md).",
        required=False,
    ),
)

YAML_FILES: tuple[tuple[str, type[_Row], str], ...] = (
    ("overland.yaml", Manifest, "The package manifest (a mapping)."),
    ("events.yaml", Event, "The timeline: a list of events."),
    ("rules.yaml", Rule, "Transit rules: a list of rules."),
    ("scenarios/*.yaml", Scenario, "One scenario per file (a mapping)."),
    ("corridors.yaml", Corridors, "Optional: corridor definitions and reported link groups."),
    ("report.yaml", ReportSpec, "Optional: the questions the package's report answers."),
    ("parameters.yaml", Parameters, "Optional: fitted multipliers (overland calibrate)."),
)


def columns(model: type[BaseModel]) -> tuple[str, ...]:
    """The CSV column names of a row model, in declaration order."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


def required_columns(model: type[BaseModel]) -> tuple[str, ...]:
    """Columns that must be present and non-empty."""
    return tuple(
        info.alias or name for name, info in model.model_fields.items() if info.is_required()
    )


def _type_text(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop:
        parts = [_type_text(p) for p in prop["anyOf"] if p.get("type") != "null"]
        optional = any(p.get("type") == "null" for p in prop["anyOf"])
        return " \\| ".join(parts) + (" (optional)" if optional else "")
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type_text(prop.get('items', {}))}"
    if prop.get("format") == "date":
        return "date"
    return str(kind)


def _bounds_text(prop: dict[str, Any]) -> str:
    parts = []
    for key, sym in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            parts.append(f"{sym} {prop[key]:g}")
    for p in prop.get("anyOf", []):
        parts.extend(_bounds_text(p).split(", ") if _bounds_text(p) else [])
    if "pattern" in prop:
        parts.append(f"matches `{prop['pattern']}`")
    return ", ".join(parts)


def _model_table(model: type[_Row]) -> list[str]:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    lines = [
        "| field | type | required | unit | bounds | description |",
        "|---|---|---|---|---|---|",
    ]
    for name, prop in schema["properties"].items():
        unit = prop.get("unit", "")
        if not unit:
            for p in prop.get("anyOf", []):
                unit = p.get("unit", unit)
        desc = str(prop.get("description", "")).replace("|", "\\|")
        lines.append(
            f"| `{name}` | {_type_text(prop)} | {'yes' if name in required else 'no'} | "
            f"{unit} | {_bounds_text(prop)} | {desc} |"
        )
    return lines


@dataclass(frozen=True)
class LoadLimits:
    """Caps on what reading one package may cost; a file over one is refused.

    The defaults leave ample room for real packages and keep time and memory bounded
    on a laptop. The embedded package's largest file is 155 kB, its longest table 620
    rows and its timeline 2,600 YAML nodes, 6 levels deep; a 100,000-link OSM import
    (links, ~100,000 places, short rows) fits with room to spare. At the caps, a table
    of ``max_rows`` rows reads and validates in ~5 s and ~0.5 GB, a whole package at
    ``max_total_rows`` in ~10 s and ~1 GB, and a YAML file at ``max_yaml_bytes`` or
    ``max_yaml_nodes`` (YAML is parsed in pure Python) in ~5 s and ~0.2 GB.

    Parameters
    ----------
    max_file_bytes
        Largest size of a CSV table file, in bytes (64 MiB).
    max_yaml_bytes
        Largest size of a YAML file (manifest, events, rules, scenarios), in bytes
        (8 MiB: YAML costs far more per byte to parse than CSV).
    max_rows
        Most data rows in one CSV table; header, comment and blank lines do not count
        (250,000).
    max_total_rows
        Most data rows in all the CSV tables of a package together (500,000).
    max_yaml_nodes
        Most nodes in one YAML document *after* alias expansion: every scalar, list
        and mapping counts one, an alias counts the whole node it names (250,000).
    max_yaml_depth
        Deepest nesting of lists and mappings in a YAML document (64).
    max_aliases
        Most alias references (``*name``) in one YAML document (1,000).

    Examples
    --------
    >>> big = LoadLimits(max_rows=2_000_000, max_total_rows=4_000_000)
    >>> big.max_yaml_depth
    64
    """

    max_file_bytes: int = field(
        default=64 * 1024 * 1024, metadata={"doc": "Largest CSV table file, in bytes."}
    )
    max_yaml_bytes: int = field(
        default=8 * 1024 * 1024,
        metadata={"doc": "Largest YAML file, in bytes (YAML costs far more per byte than CSV)."},
    )
    max_rows: int = field(
        default=250_000,
        metadata={"doc": "Most data rows in one CSV table (header, comments, blanks not counted)."},
    )
    max_total_rows: int = field(
        default=500_000, metadata={"doc": "Most data rows in all the CSV tables together."}
    )
    max_yaml_nodes: int = field(
        default=250_000,
        metadata={"doc": "Most nodes in one YAML file once aliases are expanded."},
    )
    max_yaml_depth: int = field(
        default=64, metadata={"doc": "Deepest nesting of lists and mappings in a YAML file."}
    )
    max_aliases: int = field(
        default=1_000, metadata={"doc": "Most alias references (`*name`) in one YAML file."}
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            least = 0 if f.name == "max_aliases" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise BadArgumentError(
                    f"LoadLimits.{f.name} must be an integer >= {least}, not {value!r}"
                )


#: The limits used when none are given.
DEFAULT_LIMITS = LoadLimits()


def limits_markdown() -> list[str]:
    """The "Limits" section of the package-format reference, from :class:`LoadLimits`."""
    out = [
        "## Limits",
        "",
        "Reading a package is bounded so that a huge or hostile package cannot exhaust "
        "memory or time. A file over a limit is refused with a problem naming the file and "
        "the limit, and the cross-table checks wait until it can be read. YAML sizes are "
        "counted while parsing, before any value is built, so an alias bomb costs little. "
        "Files or folders that are symbolic links leading outside the package are refused "
        "unread. A CSV line holding a NUL byte or bytes that are not UTF-8 is reported and "
        "skipped; the other rows load. Raise a limit with `LoadLimits`, passed as `limits=` "
        "to `load_network`, `read_package` or `validate_package`.",
        "",
        "| limit | default | meaning |",
        "|---|---|---|",
    ]
    for f in fields(LoadLimits):
        out.append(f"| `{f.name}` | {f.default:,} | {f.metadata['doc']} |")
    return out


def schema_markdown() -> str:
    """The reference page for the package format, generated from the models."""
    out = [
        "# Network package format",
        "",
        f"Schema version **{SCHEMA_VERSION}**. This page is generated by "
        "`overland schema --markdown` from `overland/schema.py`; a test keeps it in step.",
        "",
        "A package is a folder of UTF-8 text files: the CSV tables below (header row, one "
        "record per line, `#` starts a comment line, lists inside a cell are separated by "
        "`;`) and YAML files for the manifest, the timeline, the rules and the scenarios. "
        "Every figure cites a source id from `sources.csv`; estimates set `estimate` to "
        "true and explain themselves in `note`.",
        "",
    ]
    for table in CSV_TABLES:
        out += [f"## `{table.filename}`", "", table.description, "", *_model_table(table.model), ""]
    for filename, model, description in YAML_FILES:
        out += [f"## `{filename}`", "", description, "", *_model_table(model), ""]
    out += [
        "## `shapes.geojson`",
        "",
        "Optional: the drawn course of links (a GeoJSON FeatureCollection of LineStrings, "
        "each with `properties.link`, points from the link's `from` end to its `to` end); "
        "maps draw it instead of the straight line. Each feature:",
        "",
        *_model_table(LinkShape),
        "",
    ]
    for model, text in (
        (Change, "An item of an event's `changes`."),
        (RuleScope, "A rule's `applies_to`."),
        (CorridorDef, "An item of `corridors.yaml`'s `corridors`."),
        (LinkGroup, "An item of `corridors.yaml`'s `link_groups`."),
        (ReportCase, "An item of `report.yaml`'s `cases`."),
        (CaseQuery, "An item of a case's `rows`."),
        (LayerQuestion, "An item of `report.yaml`'s `layer_questions`."),
        (LatencyQuestion, "An item of `report.yaml`'s `latency`."),
        (FlowRun, "An item of `report.yaml`'s `flow_runs`."),
        (DependenceRun, "An item of `report.yaml`'s `dependence_runs`."),
        (ReliabilityRun, "An item of `report.yaml`'s `reliability_runs`."),
        (DisruptionRun, "An item of `report.yaml`'s `disruptions`."),
    ):
        out += [f"### {model.__name__}", "", text, "", *_model_table(model), ""]
    out += [*limits_markdown(), ""]
    return "\n".join(out)
