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
    return 0


if __name__ == "__main__":
    sys.exit(main())
