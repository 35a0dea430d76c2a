"""Plausibility of the embedded network: size, geography, borders, gauges, sources."""

from __future__ import annotations

from types import ModuleType

import pytest

from overland import Network
from overland.geo import great_circle_km
from overland.routing import shortest_route
from overland.validation import DETOUR_LIMIT, DETOUR_SLACK_KM, LENGTH_TOLERANCE_KM

#: Places the seed articles and the facts sheet name, as a user would type them.
NAMED = [
    "Baku",
    "Derbent",
    "Yalama",
    "Boyuk Kasik",
    "Gardabani",
    "Sadakhlo",
    "Ayrum",
    "Gyumri",
    "Akhalkalaki",
    "Horadiz",
    "Aghband",
    "Meghri",
    "Ordubad",
    "Julfa",
    "Sadarak",
    "Dilucu",
    "Margara",
    "Kars",
    "Yerevan",
    "Tbilisi",
    "Poti",
    "Batumi",
    "Nakhchivan",
    "Alat",
    "Aktau",
    "Kuryk",
    "Turkmenbashi",
    "Dostyk",
    "Alashankou",
    "Altynkol",
    "Khorgos",
    "Almaty",
    "Beyneu",
    "Tashkent",
    "Xi'an",
    "Urumqi",
    "Moscow",
    "Astrakhan",
    "Novorossiysk",
    "Port Kavkaz",
    "Vladikavkaz",
    "Upper Lars",
    "Erzurum",
    "Ankara",
    "Istanbul",
    "Mersin",
    "Jolfa",
    "Tabriz",
    "Tehran",
    "Astara",
    "Rasht",
    "Bandar Abbas",
    "Agarak",
    "Brest",
    "Małaszewicze",
    "Duisburg",
    "Constanța",
    "Burgas",
    "Varna",
    "Budapest",
    "Dimitrovgrad",
    "Igdir",
    "Dalarik",
]
ALIASES = ["Nakhichevan", "Naxçıvan", "Leninakan", "Türkmenbaşy", "Beyuk-Kyasik", "Xian"]


def _names(net: Network) -> dict[str, str]:
    out = {}
    for p in net.places.values():
        for n in (p.id, p.name, *p.aliases):
            out[n.casefold()] = p.id
    return out


def test_size(embedded: Network) -> None:
    assert len(embedded.places) >= 120
    assert len(embedded.links) >= 180
    assert len(embedded.crossings) >= 60
    assert {"rail", "road", "ferry", "sea"} <= {link.mode for link in embedded.links.values()}


@pytest.mark.parametrize("name", NAMED + ALIASES)
def test_named_places_exist(embedded: Network, name: str) -> None:
    names = _names(embedded)
    hits = [k for k in names if k == name.casefold() or k.startswith(name.casefold() + " (")]
    assert hits, f"{name!r} is not a place name or alias"


def test_lengths_against_great_circle(embedded: Network) -> None:
    for link in embedded.links.values():
        a, b = embedded.places[link.from_place], embedded.places[link.to_place]
        gc = great_circle_km(a.lat, a.lon, b.lat, b.lon)
        assert link.length_km >= gc - LENGTH_TOLERANCE_KM, link.id
        if not link.detour_reason:
            assert link.length_km <= DETOUR_LIMIT * gc + DETOUR_SLACK_KM, link.id


def test_air_links_are_geodesics(embedded: Network) -> None:
    air = [link for link in embedded.links.values() if link.mode == "air"]
    assert len(air) >= 10
    for link in air:
        a, b = embedded.places[link.from_place], embedded.places[link.to_place]
        # the sphere and WGS84 differ by under 0.5 %
        gc = great_circle_km(a.lat, a.lon, b.lat, b.lon)
        assert link.length_km == pytest.approx(gc, rel=0.005), link.id
        assert link.duration_h is not None
        assert gc / 1000 < link.duration_h < 48, link.id  # under 1,000 km/h, under 2 days
        assert set(link.commodities) <= {"containers", "general"}, link.id


def test_places_lie_in_their_countries(embedded: Network) -> None:
    for p in embedded.places.values():
        c = embedded.countries[p.country]
        assert c.lat_min - 0.3 <= p.lat <= c.lat_max + 0.3, p.id
        assert c.lon_min - 0.3 <= p.lon <= c.lon_max + 0.3, p.id


def test_every_border_link_has_both_crossings(embedded: Network) -> None:
    by_link: dict[str, set[tuple[str, str]]] = {}
    for c in embedded.crossings.values():
        by_link.setdefault(c.link, set()).add((c.from_country, c.to_country))
    for link in embedded.links.values():
        a = embedded.places[link.from_place].country
        b = embedded.places[link.to_place].country
        if a != b and link.is_freight:  # pipelines, fibre and power have no border dwell
            assert by_link.get(link.id) == {(a, b), (b, a)}, link.id
        else:
            assert link.id not in by_link


def test_every_figure_cites_a_known_source(embedded: Network) -> None:
    tables = (
        embedded.places,
        embedded.links,
        embedded.crossings,
        embedded.transfers,
        embedded.countries,
        embedded.commodities,
        embedded.modes,
    )
    for table in tables:
        for row in table.values():
            assert row.source
            assert all(s in embedded.sources for s in row.source)
            if row.estimate:
                assert row.note.strip()
    for ev in embedded.events:
        assert ev.source
        assert all(s in embedded.sources for s in ev.source)


#: hosts that copy other pages (Wikipedia mirrors, content farms, aggregators that rewrite
#: wire stories, generated travel pages): issue 16 asks for the outlet that first
#: published a figure instead
COPY_HOSTS = (
    "piglix.",
    "memim.",
    "wikipedia-on-ipfs",
    "ask3.ru",
    "kiwix",
    "sco.wikipedia.org",
    "ckb.wikipedia.org",
    "world-today-news.",
    "news-pravda.",
    "niukao.",
    "trade4go.",
    "bordercrossinghub.",
    "alegriaonline.",
    "tripomatic.",
    "worldpopulationreview.",
)


def test_no_figure_cites_a_copy_of_another_page(embedded: Network) -> None:
    copies = {
        s.id: s.url
        for s in embedded.sources.values()
        if any(host in s.url.lower() for host in COPY_HOSTS)
    }
    assert copies == {}


def test_no_gauge_break_on_the_wheat_train_route(embedded: Network) -> None:
    # RU–AZ–GE–AM is 1520 mm throughout (the November 2025 wheat trains)
    for lid in (
        "rail-derbent-samur",
        "rail-yalama-samur",
        "rail-boyuk_kasik-gardabani",
        "rail-sadakhlo-ayrum",
    ):
        link = (
            embedded.links.get(lid) or embedded.links["-".join(["rail", *lid.split("-")[2:0:-1]])]
        )
        assert link.gauge == "1520", lid


@pytest.mark.parametrize(
    "place", ["dostyk", "altynkol", "akhalkalaki", "astara_ir", "jolfa", "akhuryan", "malaszewicze"]
)
def test_gauge_breaks_have_transfers(embedded: Network, place: str) -> None:
    layers = {
        frozenset((t.from_layer, t.to_layer))
        for t in embedded.transfers.values()
        if t.place == place
    }
    assert frozenset(("rail_1520", "rail_1435")) in layers


def test_caspian_ferries_wait_and_sail(embedded: Network) -> None:
    for lid in ("ferry-alat-aktau", "ferry-alat-kuryk", "ferry-alat-turkmenbashi"):
        link = embedded.links[lid]
        assert link.duration_h
        assert 10 <= link.duration_h <= 30
        assert link.headway_h
        assert link.wait_h is not None


def test_closed_crossings_of_the_articles(embedded: Network) -> None:
    state = embedded.as_of("2025-10-01")
    closed = set(state.closed_links())
    for lid in (
        "rail-akhuryan-dogukapi",
        "road-margara-alican",
        "rail-aghband-meghri_border_east",
        "rail-meghri_border_west-ordubad",
        "rail-zugdidi-sukhumi",
    ):
        assert lid in closed, lid
    assert state.links["road-dariali-upper_lars"].status == "open"


def test_tables_as_dataframes(embedded: Network) -> None:
    links = embedded.frame("links")
    assert len(links) == len(embedded.links)
    assert {"id", "from", "to", "mode", "gauge", "length_km", "source"} <= set(links.columns)
    places = embedded.frame("places")
    nakh = places.set_index("id").loc["nakhchivan"]
    assert "Nakhichevan" in nakh["aliases"].split(";")


def test_the_container_market_by_year_is_the_scripts_estimate(
    embedded: Network, container_market: ModuleType
) -> None:
    # events set the container sea market's factor per year; where the SSE's annual
    # average was not found (2020-2025) the factor is scripts/container_market.py's
    # estimate, recomputed here from its dated readings: the time-weighted mean, or in
    # the calm years 2020 and 2023 the composite's annual average times the Europe lane's
    # calm-market ratio
    market = container_market
    for year in range(2020, 2026):
        factor = embedded.as_of(f"{year}-07-01").rates["containers-sea"].rate_factor
        estimate, _ = market.factor(year)
        assert factor == pytest.approx(estimate, abs=0.006), year
    sources = {s for _, _, s in market.READINGS} | {c[1] for c in market.COMPOSITE_ANNUAL.values()}
    sources |= {row[-1] for row in market.LANE_ANNUAL.values()}
    assert sources <= set(embedded.sources), sources - set(embedded.sources)
    # the time-weighted mean is the mean of the straight lines between the readings
    flat = [(d, 100.0, s) for d, _, s in market.READINGS]
    assert market.annual_mean(2022, flat) == pytest.approx(100.0)


def test_boxes_going_back_to_asia_pay_the_back_haul_price(
    embedded: Network, container_market: ModuleType
) -> None:
    # Drewry's WCI quotes Rotterdam-Shanghai at 0.11-0.16 of Shanghai-Rotterdam in 2021
    # and 0.37-0.39 in 2019: the package's back-haul factor is the script's mean ratio of
    # the readings per year (the calm years' where none stands for the year), and a box
    # from Rotterdam to Shanghai pays that share of the lane's freight both via Suez and
    # round the Cape; bulk, chartered by the voyage, pays the same both ways
    market = container_market
    base, n, _ = market.backhaul_ratio()
    assert n >= 5
    assert embedded.rates["containers-sea"].backhaul_factor == pytest.approx(base, abs=0.006)
    for year in (2012, 2013, 2015, 2017, *range(2019, 2026)):
        state = embedded.as_of(f"{year}-07-01")
        ratio, _, _ = market.backhaul_ratio(year)
        assert state.rates["containers-sea"].backhaul_factor == pytest.approx(ratio, abs=0.006)
    assert market.backhaul_ratio(2021)[0] < 0.2 < 0.3 < market.backhaul_ratio(2019)[0] < 0.5
    sources = {s for *_, s in market.BACKHAUL_READINGS}
    assert sources <= set(embedded.sources), sources - set(embedded.sources)

    def sea_freight(a: str, b: str, day: str, commodity: str = "containers") -> float:
        r = shortest_route(embedded, a, b, date=day, commodity=commodity, modes=["sea"])
        return sum(leg.cost_usd_per_t for leg in r.legs if leg.mode == "sea")

    for day, year in (("2021-07-01", 2021), ("2024-07-01", 2024)):  # Suez, then the Cape
        factor = embedded.as_of(day).rates["containers-sea"].backhaul_factor
        assert factor == pytest.approx(market.backhaul_ratio(year)[0], abs=0.006)
        for port in ("Rotterdam", "Hamburg", "Piraeus"):
            west = sea_freight("Shanghai", port, day)
            assert sea_freight(port, "Shanghai", day) == pytest.approx(west * factor, rel=1e-6)
    assert sea_freight("Rotterdam", "Shanghai", "2021-07-01", "metals") == pytest.approx(
        sea_freight("Shanghai", "Rotterdam", "2021-07-01", "metals")
    )


def test_central_asian_fertiliser_crosses_the_caspian_in_bulk(embedded: Network) -> None:
    # the Port of Baku's dry cargo is mostly Central Asian fertiliser that arrives by bulk
    # vessel, not on the rail ferries (630 kt in 2020, about 1 Mt a year since): the
    # package's rows for it ride the bulk link and the dry-cargo berths' transfer to rail
    # on to Batumi; other cargo cannot use that link
    rows = [
        d for k, d in embedded.demand.items() if k.startswith("turkmenbashi-batumi-fertiliser-")
    ]
    assert sorted(d.year for d in rows) == list(range(2019, 2026))
    assert all(500_000 < d.tonnes_per_year < 1_000_000 for d in rows if d.year >= 2020)
    r = shortest_route(
        embedded, "Turkmenbashi", "Batumi", date="2024-07-01", commodity="fertiliser"
    )
    assert r.links[0] == "sea-turkmenbashi-alat-bulk"
    assert [(t.place, t.from_layer, t.to_layer) for t in r.transfers] == [
        ("alat", "sea", "rail_1520")
    ]
    general = shortest_route(
        embedded, "Turkmenbashi", "Batumi", date="2024-07-01", commodity="general"
    )
    assert "sea-turkmenbashi-alat-bulk" not in general.links
    assert "ferry-alat-turkmenbashi" in general.links


def test_georgias_fuel_from_europe_arrives_by_tanker(embedded: Network) -> None:
    # the Union of Oil Products Importers put Romania's, Bulgaria's, Greece's and
    # Türkiye's petrol and diesel for Georgia at 473 kt in 2019 and 328 kt in 2023: the
    # package's rows sum to those, and each sails a product tanker to Batumi
    origins = ("constanta", "burgas", "piraeus", "istanbul")

    def total(year: int) -> float:
        return sum(embedded.demand[f"{o}-tbilisi-oil-{year}"].tonnes_per_year for o in origins)

    assert total(2019) == pytest.approx(472_900, abs=500)
    assert total(2023) == pytest.approx(328_300, abs=500)
    for o in origins:
        r = shortest_route(embedded, o, "Tbilisi", date="2023-07-01", commodity="oil")
        assert r.links[0] == f"sea-{o}-batumi-oil"
        assert embedded.links[r.links[0]].commodities == ("oil",)
