"""End to end: the map page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Chromium

ARTIFACTS = Path(__file__).parent / "artifacts"
#: how long a browser check waits for the page: long enough that only a hang fails, not
#: a busy machine (the work behind each check is bounded by the server's own limits)
PATIENCE_MS = 600_000


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import uvicorn

    from overland.web import ServerConfig
    from overland.web.server import uvicorn_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = ServerConfig(header_timeout_s=2.0)
    srv = uvicorn.Server(uvicorn_config(cfg, port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started and thread.is_alive():  # readiness: uvicorn's own flag
        time.sleep(0.05)
    assert srv.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join()


def _non_blank(png: Path) -> int:
    import matplotlib.image as mpimg
    import numpy as np

    img = mpimg.imread(png)
    return len(np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0))


def _slide(page: object, date: str) -> None:
    page.evaluate(  # type: ignore[attr-defined]
        """(date) => {
            const el = document.getElementById('date');
            const start = new Date('1988-01-02T00:00:00Z');
            el.value = String(Math.round((new Date(date + 'T00:00:00Z') - start) / 86400000));
            el.dispatchEvent(new Event('input'));
            el.dispatchEvent(new Event('change'));
        }""",
        date,
    )


def _browser(p: Any, chromium: Chromium, width: int = 1400, height: int = 900) -> Any:
    browser = p.chromium.launch(
        executable_path=chromium.path, args=list(chromium.flags), headless=True
    )
    return browser, browser.new_page(viewport={"width": width, "height": height})


def _legend_keys(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all("#legend [data-key]", "els => els.map(e => e.dataset.key)")
    )


def test_map_page_end_to_end(server: str, chromium: Chromium) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        browser, page = _browser(p, chromium)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server + "/")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        # before any query: a hint, no empty chart, a legend of the network drawn
        results = page.locator("#results")
        expect(results).to_have_attribute("data-state", "idle")
        expect(results.locator(".hint")).to_be_visible()
        expect(page.locator("#chart-box")).to_be_hidden()
        assert {"rail_1520", "rail_1435", "road", "ferry", "places"} <= _legend_keys(page)
        assert not any(k.startswith("route-") for k in _legend_keys(page))

        # Moscow -> Yerevan by rail, avoiding Türkiye: blocked on 2025-10-01 ...
        _slide(page, "2025-10-01")
        expect(page.locator("#date-label")).to_have_text("2025-10-01")
        expect(page.locator("#rules")).to_have_attribute(
            "data-rules", re.compile(r"(^|,)az-transit-ban-armenia(,|$)")
        )
        page.fill("#origin", "Moscow")
        page.fill("#destination", "Yerevan")
        for mode in ("road", "ferry", "sea"):
            page.uncheck(f"#modes input[value={mode}]")
        page.check("#avoid input[value=TR]")
        page.click("#route-btn")
        expect(results).to_have_attribute("data-state", "none")
        expect(results).to_contain_text("az-transit-ban-armenia")
        # nothing stale after the failure: no chart, no breakdown, no route in the legend
        expect(page.locator("#chart-box")).to_be_hidden()
        expect(page.locator("#breakdown")).to_be_empty()
        assert not any(k.startswith("route-") for k in _legend_keys(page))
        page.screenshot(path=str(ARTIFACTS / "moscow-yerevan-2025-10-01.png"))

        # ... and the route through Azerbaijan and Georgia appears on 2025-11-10
        _slide(page, "2025-11-10")
        expect(results).to_have_attribute("data-state", "ok")
        expect(results).to_have_attribute("data-countries", "RU-AZ-GE-AM")
        expect(page.locator("#breakdown")).to_contain_text("3 borders, 0 gauge changes")
        # ... which the closed Abkhazian railway keeps off the shorter way through Georgia
        expect(page.locator("#shaped li[data-id=rail-sukhumi-psou_ge]")).to_contain_text(
            "is closed since"
        )
        expect(page.locator("#shaped")).to_contain_text("RU → GE → AM")
        expect(page.locator("#chart-box")).to_be_visible()
        expect(page.locator("#legend [data-key=route-1]")).to_contain_text("RU–AZ–GE–AM")
        shot = ARTIFACTS / "moscow-yerevan-2025-11-10.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200

        # Baku -> Nakhchivan avoiding Iran under the TRIPP scenario
        page.select_option("#scenario", "tripp")
        expect(page.locator("#date-label")).to_have_text("2028-12-31")  # its horizon
        page.uncheck("#avoid input[value=TR]")
        page.check("#avoid input[value=IR]")
        page.fill("#origin", "Baku")
        page.fill("#destination", "Nakhchivan")
        page.click("#route-btn")
        expect(results).to_have_attribute("data-countries", "AZ-AM-AZ")
        shot = ARTIFACTS / "baku-nakhchivan-tripp.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200

        # compare as the CLI does, whatever the slider says: A = no scenario as of the
        # data, B = the TRIPP at its horizon; the Armenian route only in B
        _slide(page, "2026-03-31")
        for mode in ("road", "ferry", "sea"):
            page.check(f"#modes input[value={mode}]")
        page.click("#compare-btn")
        page.select_option("#cmp-a-scenario", "")
        page.select_option("#cmp-b-scenario", "tripp")
        page.click("#compare-run")
        expect(results).to_have_attribute("data-state", "compare")
        table = page.locator("#comparison")
        expect(table).to_have_attribute("data-b-countries", "AZ-AM-AZ")
        assert table.get_attribute("data-a-countries") in ("AZ-GE-TR-AZ", "AZ-IR-AZ")
        expect(table.locator("thead")).to_contain_text("2028-12-31, its horizon")
        expect(table.locator("tr[data-row=countries] td.delta")).to_contain_text("+AM")
        assert table.locator("tr[data-row=time] td.delta").inner_text().startswith("−")
        expect(table.locator("tr[data-row=borders] td.delta")).to_contain_text("+Meghri")
        assert {"compare-A", "compare-B"} <= _legend_keys(page)
        expect(page.locator("#legend [data-key=compare-B]")).to_contain_text("AZ–AM–AZ")
        page.screenshot(path=str(ARTIFACTS / "baku-nakhchivan-compare.png"))

        # the diff layer: what the TRIPP opens, and how the flows move
        page.select_option("#analysis", "diff")
        info = page.locator("#analysis-info")
        expect(info).to_have_attribute("data-state", "ok")
        expect(info).to_contain_text("links change status")
        assert {"diff-opened", "diff-more", "diff-less"} <= _legend_keys(page)
        page.screenshot(path=str(ARTIFACTS / "diff-layer.png"))

        # analysis layers: corridor flows, then criticality, with their scales
        page.select_option("#analysis", "flows")
        expect(info).to_have_attribute("data-state", "ok")
        expect(info).to_contain_text("Caspian")
        assert int(info.get_attribute("data-features") or 0) > 20
        scale = page.locator("#legend [data-key=flows-scale]")
        expect(scale).to_contain_text("Mt/yr")
        assert len(scale.locator(".ramp-labels span").all_inner_texts()) == 3
        assert "flows-over" in _legend_keys(page)
        page.screenshot(path=str(ARTIFACTS / "flows-layer.png"))
        page.select_option("#analysis", "critical")
        expect(info).to_contain_text("Worst single failure")
        assert int(info.get_attribute("data-features") or 0) > 10
        expect(page.locator("#legend [data-key=critical-scale]")).to_contain_text("USD/yr")
        assert "flows-scale" not in _legend_keys(page)
        # the worst element is in view
        worst_in_view = page.evaluate(
            """() => { const f = state.analysis.layer.toGeoJSON().features
                  .find((x) => x.properties.rank === 1);
                const b = L.geoJSON(f).getBounds();
                return map.getBounds().contains(b.getCenter()); }"""
        )
        assert worst_in_view
        shot = ARTIFACTS / "criticality-layer.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200
        browser.close()
    assert errors == []


# ---------------------------------------------------------------- palette (CIEDE2000)

#: Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB simulation matrices
_CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}  # fmt: skip


def _linear(hex_colour: str) -> Any:
    import numpy as np

    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(lin: Any) -> tuple[float, float, float]:
    import numpy as np

    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ np.clip(lin, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _ciede2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005)."""
    from math import atan2, cos, degrees, exp, hypot, radians, sin, sqrt

    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    cbar = (hypot(a1, b1) + hypot(a2, b2)) / 2
    g = 0.5 * (1 - sqrt(cbar**7 / (cbar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = hypot(a1p, b1), hypot(a2p, b2)
    h1p, h2p = degrees(atan2(b1, a1p)) % 360, degrees(atan2(b2, a2p)) % 360
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p
    dh = dh - 360 if dh > 180 else dh + 360 if dh < -180 else dh
    d_hh = 2 * sqrt(c1p * c2p) * sin(radians(dh / 2))
    lbar, cbarp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbar = (h1p + h2p) / 2
    else:
        hbar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * cos(radians(hbar - 30))
        + 0.24 * cos(radians(2 * hbar))
        + 0.32 * cos(radians(3 * hbar + 6))
        - 0.20 * cos(radians(4 * hbar - 63))
    )
    sl = 1 + 0.015 * (lbar - 50) ** 2 / sqrt(20 + (lbar - 50) ** 2)
    sc, sh = 1 + 0.045 * cbarp, 1 + 0.015 * cbarp * t
    rt = (
        -sin(radians(60 * exp(-(((hbar - 275) / 25) ** 2))))
        * 2
        * sqrt(cbarp**7 / (cbarp**7 + 25**7))
    )
    dl, dc = (l2 - l1) / sl, (c2p - c1p) / sc
    return sqrt(dl**2 + dc**2 + (d_hh / sh) ** 2 + rt * dc * (d_hh / sh))


def _delta_e(c1: str, c2: str, vision: str | None = None) -> float:
    import numpy as np

    x, y = _linear(c1), _linear(c2)
    if vision is not None:
        m = np.array(_CVD[vision])
        x, y = m @ x, m @ y
    return _ciede2000(_lab(x), _lab(y))


def test_ciede2000_reference_pairs() -> None:
    """The implementation against Sharma et al.'s published test data."""
    assert _ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert _ciede2000((50, -1.3802, -84.2814), (50, 0, -82.7485)) == pytest.approx(1.0, abs=1e-4)
    assert _ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def test_route_colours_never_look_like_the_network(server: str, chromium: Chromium) -> None:
    """Every route colour differs from every network colour by CIEDE2000 >= 15, with
    normal vision and under simulated protanopia, deuteranopia and tritanopia; and the
    route colours are the Okabe-Ito colour-blind-safe set."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        browser, page = _browser(p, chromium)
        page.goto(server + "/")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        palette = page.evaluate("window.overland.palette")
        drawn = set(
            page.evaluate(
                "() => [...new Set(state.network.features"
                ".filter((f) => f.properties.feature_type === 'link')"
                ".map((f) => linkStyle(f.properties).color))]"
            )
        )
        browser.close()
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(palette["routes"]) <= okabe_ito
    network = set(palette["network"].values())
    assert drawn <= network  # every colour the network is drawn in is checked
    worst = min(
        (_delta_e(r, n, v), r, n, v)
        for r in palette["routes"]
        for n in network
        for v in (None, *_CVD)
    )
    assert worst[0] >= 15, worst


# ------------------------------------------------------------ permalinks, downloads


def test_permalink_round_trip(server: str, chromium: Chromium) -> None:
    """The URL carries the whole state; opening it in a new page restores it."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        browser, page = _browser(p, chromium)
        page.goto(server + "/")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        page.select_option("#scenario", "tripp")
        expect(page.locator("#date-label")).to_have_text("2028-12-31")
        page.check("#layers input[value=power]")
        page.fill("#origin", "Baku")
        page.fill("#destination", "Tbilisi")
        page.select_option("#objective", "time")
        page.uncheck("#modes input[value=road]")
        page.check("#avoid input[value=RU]")
        page.click("#route-btn")
        results = page.locator("#results")
        expect(results).to_have_attribute("data-state", "ok")
        page.locator("#results tr.route").nth(1).click()
        expect(results).to_have_attribute("data-selected", "1")
        page.select_option("#analysis", "flows")
        expect(page.locator("#analysis-info")).to_have_attribute("data-state", "ok")
        url = page.url
        for part in (
            "date=2028-12-31",
            "scenario=tripp",
            "layers=power",
            "analysis=flows",
            "from=Baku",
            "to=Tbilisi",
            "objective=time",
            "avoid=RU",
            "route=2",
        ):
            assert part in url, (part, url)  # fmt: skip
        before = {
            "countries": results.get_attribute("data-countries"),
            "modes": page.eval_on_selector_all(
                "#modes input:checked", "els => els.map(e => e.value)"
            ),
        }

        # a fresh page from the URL
        other = browser.new_page(viewport={"width": 1400, "height": 900})
        other.goto(url)
        expect(other.locator("body")).to_have_attribute("data-ready", "1")
        expect(other.locator("#date-label")).to_have_text("2028-12-31")
        expect(other.locator("#scenario")).to_have_value("tripp")
        expect(other.locator("#origin")).to_have_value("Baku")
        expect(other.locator("#destination")).to_have_value("Tbilisi")
        expect(other.locator("#objective")).to_have_value("time")
        expect(other.locator("#layers input[value=power]")).to_be_checked()
        expect(other.locator("#avoid input[value=RU]")).to_be_checked()
        expect(other.locator("#analysis")).to_have_value("flows")
        expect(other.locator("#analysis-info")).to_have_attribute("data-state", "ok")
        res = other.locator("#results")
        expect(res).to_have_attribute("data-selected", "1")
        expect(res).to_have_attribute("data-countries", before["countries"] or "")
        assert (
            other.eval_on_selector_all("#modes input:checked", "els => els.map(e => e.value)")
            == before["modes"]
        )
        assert "power" in _legend_keys(other)
        assert other.url == url  # restoring writes the same state back
        other.screenshot(path=str(ARTIFACTS / "permalink-restored.png"))

        # a comparison restores as a comparison
        cmp_url = server + "/?from=Baku&to=Nakhchivan&avoid=IR&a=none&b=tripp&view=compare"
        other.goto(cmp_url)
        expect(other.locator("body")).to_have_attribute("data-ready", "1")
        expect(other.locator("#comparison")).to_have_attribute("data-b-countries", "AZ-AM-AZ")
        expect(other.locator("#cmp-b-scenario")).to_have_value("tripp")
        assert "view=compare" in other.url

        # a container route on a date says how the sea leg was charged that year: the
        # market's rate of 2019, an event of the package; the way back pays the
        # back-haul's price, and says so
        for a, b, charged in (
            ("Shanghai", "Rotterdam", "rate per t-km × 0.6"),
            ("Rotterdam", "Shanghai", "rate per t-km × 0.6, back-haul rate × 0.38"),
        ):
            other.goto(f"{server}/?from={a}&to={b}&commodity=containers&date=2019-07-01&route=1")
            expect(other.locator("body")).to_have_attribute("data-ready", "1")
            expect(other.locator("#results")).to_have_attribute("data-state", "ok")
            expect(other.locator("#breakdown")).to_contain_text(
                f"containers by sea: {charged} (event sea-container-rates-2019)"
            )
        browser.close()


def test_downloads_parse(server: str, chromium: Chromium, tmp_path: Path) -> None:
    """Routes and comparisons as CSV and GeoJSON, the analysis tables as CSV and the map
    as PNG: each file opens in pandas / json / an image reader."""
    import json

    import pandas as pd
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=PATIENCE_MS)

    def save(page: Any, button: str, name: str) -> Path:
        with page.expect_download(timeout=PATIENCE_MS) as info:
            page.click(button)
        target = tmp_path / name
        info.value.save_as(target)
        return target

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium.path, args=list(chromium.flags), headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        page.goto(server + "/?from=Baku&to=Tbilisi&route=1")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#results")).to_have_attribute("data-state", "ok")
        routes = pd.read_csv(save(page, "#dl-csv", "routes.csv"))
        assert len(routes) == page.locator("#results tr.route").count()
        assert routes.loc[0, "origin"] == "Baku"
        assert routes.loc[0, "destination"] == "Tbilisi"
        assert routes["days"].gt(0).all()
        geo = json.loads(save(page, "#dl-geojson", "routes.geojson").read_text())
        assert geo["type"] == "FeatureCollection"
        assert len(geo["features"]) == len(routes)
        assert geo["features"][0]["geometry"]["type"] == "LineString"
        assert len(geo["features"][0]["geometry"]["coordinates"]) >= 2

        page.goto(server + "/?from=Baku&to=Nakhchivan&avoid=IR&a=none&b=tripp&view=compare")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        expect(page.locator("#results")).to_have_attribute("data-state", "compare")
        cmp = pd.read_csv(save(page, "#dl-csv", "compare.csv"))
        assert list(cmp["side"]) == ["A", "B"]
        assert cmp.loc[1, "countries"] == "AZ-AM-AZ"
        assert cmp.loc[1, "state_date"] == "2028-12-31"
        cgeo = json.loads(save(page, "#dl-geojson", "compare.geojson").read_text())
        assert [f["properties"]["side"] for f in cgeo["features"]] == ["A", "B"]

        page.select_option("#analysis", "flows")
        expect(page.locator("#analysis-info")).to_have_attribute("data-state", "ok")
        flows = pd.read_csv(save(page, "#dl-analysis", "flows.csv"))
        assert {"link", "name", "tonnes_per_year", "volume_capacity"} <= set(flows.columns)
        assert flows["tonnes_per_year"].gt(0).all()
        assert not flows["name"].str.contains("^rail-|^road-", regex=True).any()
        page.select_option("#analysis", "critical")
        expect(page.locator("#analysis-info")).to_contain_text("Worst single failure")
        crit = pd.read_csv(save(page, "#dl-analysis", "critical.csv"))
        assert crit["impact_usd_per_year"].is_monotonic_decreasing
        assert crit.loc[0, "rank"] == 1

        png = save(page, "#dl-png", "map.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert _non_blank(png) > 50
        browser.close()


# -------------------------------------------------- labels, sea lanes, layout, errors


def test_labels_sea_lanes_and_narrow_layout(server: str, chromium: Chromium) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        browser, page = _browser(p, chromium, 800, 700)
        page.goto(server + "/")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        # place labels: the main places, none overlapping another; more when zoomed in
        labels = page.locator(".place-label")
        expect(labels.first).to_be_visible()
        names = labels.all_inner_texts()
        assert len(names) >= 8, names
        assert any("Baku" in n for n in names), names
        boxes = page.eval_on_selector_all(
            ".place-label",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; })",
        )
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = (
                    a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
                )
                assert not overlap, (a, b)
        before = int(page.locator("#map").get_attribute("data-labels") or 0)
        page.evaluate("() => { map.setView([41.7, 44.8], 7, { animate: false }); }")
        # setView without animation redraws the labels before it returns: zoomed in on
        # Georgia, its places are named
        assert int(page.locator("#map").get_attribute("data-labels") or 0) >= min(before, 10)
        assert "Tbilisi" in page.locator(".place-label").all_inner_texts()

        # at 800 px nothing spills out of the panel
        spill = page.evaluate(
            """() => { const panel = document.getElementById('panel').getBoundingClientRect();
                return [...document.querySelectorAll('#panel select, #panel input,'
                  + ' #panel button, #panel fieldset')]
                  .filter((e) => e.offsetParent !== null)
                  .filter((e) => { const r = e.getBoundingClientRect();
                    return r.right > panel.right + 0.5 || r.left < panel.left - 0.5; })
                  .map((e) => e.id || e.outerHTML.slice(0, 60)); }"""
        )
        assert spill == []
        panel = page.locator("#panel")
        assert panel.evaluate("e => e.scrollWidth <= e.clientWidth")
        page.click("#compare-btn")
        expect(page.locator("#compare-form")).to_be_visible()
        assert panel.evaluate("e => e.scrollWidth <= e.clientWidth")
        page.screenshot(path=str(ARTIFACTS / "narrow-800px.png"))

        # a sea lane with a course is drawn along it; given only by its ends and going
        # around land it is not drawn as a chord
        page.fill("#origin", "Shanghai")
        page.fill("#destination", "Rotterdam")
        page.click("#route-btn")
        expect(page.locator("#results")).to_have_attribute("data-state", "ok")
        drawn = page.evaluate(
            """() => { const r = state.routes.find((x) => x.links.some((id) =>
                    state.links[id] && state.links[id].properties.mode === 'sea'));
                const id = r.links.find((x) => state.links[x].properties.mode === 'sea');
                const f = state.links[id];
                const saved = f.geometry.coordinates;
                const [a, b] = [saved[0], saved[saved.length - 1]];
                const chord = { ...f, geometry: { type: 'LineString', coordinates: [a, b] } };
                const long = chordOnly({ ...chord, properties: { ...f.properties,
                    length_km: 3 * km(a, b) } });
                const course = [a, [60, 10], [40, 30], b];
                f.geometry = { type: 'LineString', coordinates: course };
                const out = routeLatLngs(r);
                f.geometry = { type: 'LineString', coordinates: saved };
                return { long, course: chordOnly({ ...f, geometry: { type: 'LineString',
                    coordinates: course } }), points: out.path.length, chords: out.chords.length,
                    places: r.places.length }; }"""
        )
        assert drawn["long"] is True
        assert drawn["course"] is False
        assert drawn["chords"] == 0
        assert drawn["points"] >= drawn["places"] + 2

        # an unknown place: an error, and nothing of the previous answer left
        page.fill("#destination", "Atlantis")
        page.click("#route-btn")
        expect(page.locator("#results")).to_have_attribute("data-state", "error")
        expect(page.locator("#results")).to_contain_text("Atlantis")
        expect(page.locator("#chart-box")).to_be_hidden()
        expect(page.locator("#downloads")).to_be_hidden()
        expect(page.locator("#breakdown")).to_be_empty()
        assert page.evaluate("routeLayer.getLayers().length") == 0
        page.screenshot(path=str(ARTIFACTS / "narrow-800px-error.png"))
        browser.close()


def test_api_docs_render_offline(server: str, chromium: Chromium) -> None:
    """/docs and /redoc render from local assets with every other host cut off."""
    from playwright.sync_api import Route, expect, sync_playwright

    expect.set_options(timeout=PATIENCE_MS)
    outside: list[str] = []

    def cut(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium.path, args=list(chromium.flags), headless=True
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.route("**/*", cut)
        page.goto(server + "/docs")
        expect(page.locator(".opblock").first).to_be_visible()
        assert page.locator(".opblock").count() >= 15
        expect(page.locator(".info .title")).to_contain_text("Overland")
        page.screenshot(path=str(ARTIFACTS / "docs.png"))
        page.goto(server + "/redoc")
        expect(page.locator("h1").first).to_contain_text("Overland")
        expect(page.get_by_text("/api/jobs/{job_id}/result").first).to_be_attached()
        page.screenshot(path=str(ARTIFACTS / "redoc.png"))
        browser.close()
    assert outside == []


def test_real_server_refuses_chunked_bodies_and_slow_heads(server: str) -> None:
    import http.client
    from urllib.parse import urlparse

    port = urlparse(server).port
    assert port is not None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def body() -> Iterator[bytes]:
        yield b'{"origin": "'
        for _ in range(2_000):  # 2 MB, far over the 64 kB limit
            yield b"x" * 1_000
        yield b'"}'

    conn.request(
        "POST",
        "/api/route",
        body=body(),
        headers={"content-type": "application/json"},
        encode_chunked=True,
    )
    r = conn.getresponse()
    assert r.status == 413
    assert b"too_large" in r.read()
    conn.close()
    # a client that never finishes its request head is dropped (header timeout: 2 s)
    with socket.create_connection(("127.0.0.1", port), timeout=600) as slow:
        slow.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert slow.recv(1024) == b""  # closed by the server, nothing answered
    # and the server still answers
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", "/api/health")
    assert conn.getresponse().status == 200
    conn.close()
