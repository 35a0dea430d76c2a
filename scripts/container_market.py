"""The container sea market by year: SCFI Europe (base port) annual averages where the
Shanghai Shipping Exchange's own figure was not found, estimated from dated readings.

A data-build script, not part of Overland's runtime. The package prices every container
sea leg at the mode's rate (the market of April 2025) times a ``rate_factor`` that dated
events in ``events.yaml`` set per year (``rates.csv`` row ``containers-sea``). The factor
is a year's SCFI Europe average over the index's level around April 2025, about
1,260 USD/TEU. For 2012, 2013, 2015, 2017 and 2019 the SSE's annual averages are
published (MoT PRC's tables); for 2020–2025 none was found, so this script estimates them
two ways and prints both:

``readings``
    the time-weighted mean of dated weekly readings of the Europe lane, linearly
    interpolated between readings over each day of the year (flat before the first and
    after the last reading). Where a month or more has no reading the estimate follows
    the straight line, which the notes below say where it matters.
``composite``
    the SCFI composite's published annual average times the Europe lane's ratio to the
    composite in years when both are known (2019: 759 / 810.43; January–May 2020:
    846 / 899.81; both 0.94). The ratio held in calm markets; in 2021–2022 and in 2024
    the Europe lane ran far above the composite, so the proxy is printed only where an
    annual composite is published and is used only for calm years.

It prints the back-haul's price over the head-haul's by year (Drewry WCI's
Rotterdam-Shanghai over Shanghai-Rotterdam, same weeks): the package's ``containers-sea``
row and the yearly events set it as ``backhaul_factor`` on the lanes from East Asia
(links.csv ``headhaul``), since boxes going back to Asia sail half empty and sell for less.

It also prints the Mediterranean and Gulf lanes' price over the Europe lane's (the mean
ratio of the SSE's published annual averages): the package prices the container links
from Shanghai to Piraeus, Constanța, Mersin and Bandar Abbas at that ratio times the
Europe lane's price (links.csv), since the market prices a lane, not its length.

Run it from the repository root::

    .venv/bin/python scripts/container_market.py

Each reading names its source id in ``sources.csv``.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from datetime import date, timedelta

#: The index's level around April 2025, the base month of the sea mode's rate (USD/TEU):
#: the mean of 1,306 (21 March), 1,154 (16 May) and 1,317 (23 May 2025), rounded.
BASE_USD_PER_TEU = 1260.0

#: The Europe lane's ratio to the SCFI composite in calm markets: 759 / 810.43 (2019
#: annual averages) and 846 / 899.81 (January-May 2020), both 0.94 (mot-scfi-2020-05).
EUROPE_TO_COMPOSITE = 0.94

#: SCFI composite annual averages (points) published for a whole year.
COMPOSITE_ANNUAL: dict[int, tuple[float, str]] = {
    2020: (1264.77, "simic-scfi-2021-08"),
    2023: (1005.79, "simic-scfi-2024-08"),
}

#: (date, SCFI Europe (base port) USD/TEU, source id): single Friday readings, or a
#: month's average placed mid-month.
READINGS: list[tuple[date, float, str]] = [
    (date(2020, 1, 17), 969, "loadstar-scfi-2020-01"),
    (date(2020, 5, 15), 801, "mot-scfi-2020-05"),  # May 2020 monthly average
    (date(2020, 7, 24), 896, "jiffa-scfi-2020-w30"),
    (date(2020, 12, 4), 2374, "loadstar-scfi-2020-12-04"),
    (date(2020, 12, 31), 4091, "loadstar-scfi-2020-12-31"),
    (date(2021, 1, 8), 4452, "ligentia-alphaliner-2021-05"),  # record 8,904 per FEU
    (date(2021, 4, 30), 4630, "ligentia-alphaliner-2021-05"),
    (date(2021, 11, 30), 7552, "unctad-rmt-2021-scfi"),
    (date(2022, 1, 14), 7797, "jiffa-scfi-2022-w42"),
    (date(2022, 4, 22), 6016, "jiffa-scfi-2022-w16"),
    (date(2022, 5, 20), 5862, "jiffa-scfi-2022-w20"),
    (date(2022, 10, 21), 2379, "jiffa-scfi-2022-w42"),
    (date(2023, 2, 24), 882, "wuliubus-scfi-2023-w8"),
    (date(2023, 8, 4), 947, "jiffa-scfi-2023-w31"),
    (date(2023, 12, 22), 1497, "phaata-scfi-2023-12-29"),  # 2,694 less the 80 % rise
    (date(2023, 12, 29), 2694, "phaata-scfi-2023-12-29"),
    (date(2024, 1, 12), 3103, "ettoday-scfi-2024-01-12"),
    (date(2024, 5, 17), 3050, "jiffa-scfi-2024-w20"),
    (date(2024, 6, 21), 4336, "fba-scfi-2024-06-21"),
    (date(2025, 2, 14), 1608, "cbs-scfi-since-2009"),
    (date(2025, 3, 21), 1306, "loadstar-scfi-2025-03-21"),
    (date(2025, 5, 23), 1317, "stu-scfi-2025-05-23"),
    (date(2025, 8, 8), 1961, "udn-scfi-2025-08-08"),
    (date(2025, 9, 19), 1052, "ltn-scfi-2025-09-19"),
    (date(2025, 11, 14), 1417, "udn-scfi-2025-11-14"),
    (date(2025, 12, 19), 1533, "ltn-scfi-2025-12-19"),
]


#: (date, Shanghai-Rotterdam, Rotterdam-Shanghai USD/FEU, source id): Drewry WCI readings
#: that quote both directions of the North Europe lane for the same week (the trade
#: press's reprints of Drewry's weekly text). No reading before 2017 was found.
BACKHAUL_READINGS: list[tuple[date, float, float, str]] = [
    (date(2017, 3, 9), 1643, 1076, "drewry-wci-2017-03-09"),
    (date(2017, 4, 6), 1676, 1557, "drewry-wci-2017-04-06"),
    (date(2019, 6, 20), 1459, 565, "hellenicshippingnews-drewry-world-contai"),
    (date(2019, 11, 14), 1598, 600, "drewry-wci-2019-11-14"),
    (date(2020, 5, 14), 1561, 942, "drewry-wci-2020-05-14"),
    (date(2020, 8, 13), 1805, 1297, "drewry-wci-2020-08-13"),
    (date(2020, 8, 20), 1870, 1222, "drewry-wci-2020-08-20"),
    (date(2020, 8, 27), 1922, 1187, "drewry-wci-2020-08-27"),
    (date(2020, 9, 10), 2134, 1239, "drewry-wci-2020-09-10"),
    (date(2020, 9, 17), 2287, 1294, "hellenicshippingnews-drewry-world-contai-4"),
    (date(2020, 10, 15), 2186, 1100, "drewry-wci-2020-10-15"),
    (date(2020, 11, 12), 2473, 1209, "drewry-wci-2020-11-12"),
    (date(2021, 5, 20), 9865, 1546, "drewry-wci-2021-05-20"),
    (date(2021, 7, 8), 12795, 1740, "drewry-wci-2021-07-08"),
    (date(2021, 9, 9), 14287, 1626, "index1520-world-container-index-09-sep-d"),
    (date(2022, 1, 13), 14028, 1524, "drewry-wci-2022-01-13"),
    (date(2022, 5, 12), 9824, 1430, "drewry-wci-2022-05-12"),
    (date(2022, 7, 21), 9092, 1212, "hellenicshippingnews-drewry-world-contai-7"),
    (date(2022, 9, 15), 6671, 1059, "drewry-wci-2022-09-15"),
    (date(2022, 9, 22), 6027, 1006, "drewry-wci-2022-09-22"),
    (date(2022, 11, 24), 2192, 819, "drewry-wci-2022-11-24"),
    (date(2023, 3, 16), 1553, 687, "drewry-wci-2023-03-16"),
    (date(2023, 3, 23), 1490, 693, "drewry-wci-2023-03-23"),
    (date(2023, 3, 30), 1479, 693, "drewry-wci-2023-03-30"),
    (date(2023, 6, 15), 1349, 570, "drewry-wci-2023-06-15"),
    (date(2023, 8, 3), 1620, 520, "drewry-wci-2023-08-03"),
    (date(2023, 8, 17), 1768, 539, "drewry-wci-2023-08-17"),
    (date(2023, 8, 24), 1688, 532, "drewry-wci-2023-08-24"),
    (date(2023, 9, 14), 1449, 500, "drewry-wci-2023-09-14"),
    (date(2023, 11, 9), 1272, 461, "drewry-wci-2023-11-09"),
    (date(2023, 12, 21), 1667, 466, "drewry-wci-2023-12-21"),
    (date(2024, 1, 11), 4406, 652, "logupdateafrica-drewry-wci-up-15"),
    (date(2024, 2, 15), 4288, 958, "drewry-wci-2024-02-15"),
    (date(2024, 5, 30), 5270, 677, "drewry-wci-2024-05-30"),
    (date(2024, 6, 13), 6177, 661, "drewry-wci-2024-06-13"),
    (date(2024, 10, 31), 3396, 543, "drewry-wci-2024-10-31"),
    (date(2025, 1, 16), 4231, 518, "drewry-wci-2025-01-16"),
    (date(2025, 3, 6), 2636, 483, "drewry-wci-2025-03-06"),
    (date(2025, 3, 13), 2512, 490, "drewry-wci-2025-03-13"),
    (date(2025, 4, 10), 2392, 475, "thedcn-world-container-index-contin"),
    (date(2025, 4, 17), 2344, 493, "drewry-wci-2025-04-17"),
    (date(2025, 5, 1), 2202, 464, "drewry-wci-2025-05-01"),
    (date(2025, 5, 8), 2046, 457, "drewry-wci-2025-05-08"),
    (date(2025, 7, 3), 3468, 487, "drewry-wci-2025-07-03"),
]

#: Readings that do not stand for their year: March-April 2017, when the back-haul rose
#: towards and past the head-haul (Drewry called such spikes on a route whose ships
#: "normally have load factors of less than 70%" highly unusual).
UNUSUAL = {date(2017, 3, 9), date(2017, 4, 6)}

#: Calm years (no surge on either lane) whose mean ratio stands for years without
#: readings: 2019 and 2023.
CALM_YEARS = (2019, 2023)

#: The base month's window (the sea mode's rate, April 2025): the SCFI readings of
#: ``BASE_USD_PER_TEU`` span 21 March - 23 May 2025.
BASE_WINDOW = (date(2025, 3, 1), date(2025, 5, 31))


def _ratios(keep: Callable[[date], bool]) -> list[float]:
    return [
        back / head for day, head, back, _ in BACKHAUL_READINGS if keep(day) and day not in UNUSUAL
    ]


def backhaul_ratio(year: int | None = None) -> tuple[float, int, str]:
    """The back-haul's price over the head-haul's (Rotterdam-Shanghai over
    Shanghai-Rotterdam) in ``year`` (None: the base month's window), with the number of
    readings behind it and how it was found: the mean of the year's readings' ratios,
    or, in a year without a representative reading, the calm years' mean."""
    if year is None:
        lo, hi = BASE_WINDOW
        got = _ratios(lambda d: lo <= d <= hi)
        return sum(got) / len(got), len(got), "base window"
    got = _ratios(lambda d: d.year == year)
    if got:
        return sum(got) / len(got), len(got), "readings"
    calm = [backhaul_ratio(y)[0] for y in CALM_YEARS]
    return sum(calm) / len(calm), 0, "calm years"


#: SCFI annual averages (USD/TEU) of the Europe, Mediterranean and Persian Gulf (Dubai)
#: lanes, where the SSE's own figures were found (MoT PRC's monthly tables): year ->
#: (Europe, Mediterranean, Gulf, source id).
LANE_ANNUAL: dict[int, tuple[float, float, float, str]] = {
    2012: (1373, 1352, 1001, "mot-scfi-2013-11"),
    2013: (1087, 1154, 783, "mot-scfi-2014-05"),
    2015: (619, 724, 521, "mot-scfi-2016-02"),
    2017: (879, 821, 619, "mot-scfi-2018-06"),
    2019: (759, 809, 730, "mot-scfi-2020-05"),
}

#: Column of each lane in ``LANE_ANNUAL``.
LANES = {"med": 1, "gulf": 2}


def lane_ratio(lane: str) -> float:
    """A lane's price over the Europe lane's: the mean of the years' ratios of annual
    averages (the Mediterranean 0.93-1.17, mean 1.04; the Gulf 0.70-0.96, mean 0.79)."""
    col = LANES[lane]
    ratios = [row[col] / row[0] for row in LANE_ANNUAL.values()]
    return sum(ratios) / len(ratios)


def level_on(day: date, readings: list[tuple[date, float, str]]) -> float:
    """The index on ``day``, linear between the readings either side (flat outside)."""
    if day <= readings[0][0]:
        return readings[0][1]
    for (d0, v0, _), (d1, v1, _) in itertools.pairwise(readings):
        if d0 <= day <= d1:
            return v0 + (v1 - v0) * (day - d0).days / (d1 - d0).days
    return readings[-1][1]


def annual_mean(year: int, readings: list[tuple[date, float, str]]) -> float:
    """Time-weighted mean of the interpolated index over the days of ``year``."""
    day, end, total, n = date(year, 1, 1), date(year, 12, 31), 0.0, 0
    while day <= end:
        total += level_on(day, readings)
        n += 1
        day += timedelta(days=1)
    return total / n


def factor(year: int) -> tuple[float, str]:
    """The year's factor over the base month and how it was estimated: the composite's
    proxy in a calm year with a published composite average, else the readings' mean."""
    comp = COMPOSITE_ANNUAL.get(year)
    if comp:
        return comp[0] * EUROPE_TO_COMPOSITE / BASE_USD_PER_TEU, "composite"
    return annual_mean(year, sorted(READINGS)) / BASE_USD_PER_TEU, "readings"


def main() -> int:
    readings = sorted(READINGS)
    print("year  readings  composite  used        factor  readings in the year")
    for year in range(2020, 2026):
        mean = annual_mean(year, readings)
        comp = COMPOSITE_ANNUAL.get(year)
        proxy = f"{comp[0] * EUROPE_TO_COMPOSITE:9.0f}" if comp else "        -"
        value, how = factor(year)
        used = sum(d.year == year for d, _, _ in readings)
        print(f"{year}  {mean:8.0f}  {proxy}  {how:10}  {value:6.2f}  {used}")
    print()
    print("lane  ratio to Europe  by year")
    for lane, col in LANES.items():
        years = "  ".join(f"{y} {r[col] / r[0]:.2f}" for y, r in sorted(LANE_ANNUAL.items()))
        print(f"{lane:4}  {lane_ratio(lane):15.3f}  {years}")
    print()
    print("year  back-haul/head-haul  readings  how")
    ratio, n, how = backhaul_ratio()
    print(f"base  {ratio:19.3f}  {n:8}  {how}")
    for year in (2012, 2013, 2015, 2017, *range(2019, 2026)):
        ratio, n, how = backhaul_ratio(year)
        print(f"{year}  {ratio:19.3f}  {n:8}  {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
