"""End to end: the map page in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

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


def test_map_page_end_to_end(server: str, chromium: Chromium) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium.path, args=list(chromium.flags), headless=True
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server + "/")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")

        # Moscow -> Yerevan by rail, avoiding Türkiye: blocked on 2025-10-01 ...
        _slide(page, "2025-10-01")
        expect(page.locator("#date-label")).to_have_text("2025-10-01")
        expect(page.locator("#rules")).to_have_attribute(
            "data-rules", "az-transit-ban-armenia,tr-am-border-closed"
        )
        page.fill("#origin", "Moscow")
        page.fill("#destination", "Yerevan")
        for mode in ("road", "ferry", "sea"):
            page.uncheck(f"#modes input[value={mode}]")
        page.check("#avoid input[value=TR]")
        page.click("#route-btn")
        results = page.locator("#results")
        expect(results).to_have_attribute("data-state", "none")
        expect(results).to_contain_text("az-transit-ban-armenia")
        page.screenshot(path=str(ARTIFACTS / "moscow-yerevan-2025-10-01.png"))

        # ... and the route through Azerbaijan and Georgia appears on 2025-11-10
        _slide(page, "2025-11-10")
        expect(results).to_have_attribute("data-state", "ok")
        expect(results).to_have_attribute("data-countries", "RU-AZ-GE-AM")
        expect(page.locator("#breakdown")).to_contain_text("3 borders, 0 gauge changes")
        shot = ARTIFACTS / "moscow-yerevan-2025-11-10.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200

        # Baku -> Nakhchivan avoiding Iran under the TRIPP scenario
        page.select_option("#scenario", "tripp")
        page.uncheck("#avoid input[value=TR]")
        page.check("#avoid input[value=IR]")
        page.fill("#origin", "Baku")
        page.fill("#destination", "Nakhchivan")
        page.click("#route-btn")
        expect(results).to_have_attribute("data-countries", "AZ-AM-AZ")
        shot = ARTIFACTS / "baku-nakhchivan-tripp.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200

        # compare: the same pair without the scenario, side by side
        page.click("#compare-btn")
        page.fill("#compare-date", "2026-03-31")
        page.click("#compare-btn")
        expect(page.locator("#comparison")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "baku-nakhchivan-compare.png"))

        # analysis layers: corridor flows, then criticality, drawn from the API's layers
        page.select_option("#analysis", "flows")
        info = page.locator("#analysis-info")
        expect(info).to_contain_text("Caspian")
        assert int(info.get_attribute("data-features") or 0) > 50
        page.select_option("#analysis", "critical")
        expect(info).to_contain_text("Worst single failure")
        assert int(info.get_attribute("data-features") or 0) > 10
        shot = ARTIFACTS / "criticality-layer.png"
        page.screenshot(path=str(shot))
        assert _non_blank(shot) > 200
        browser.close()
    assert errors == []


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
