"""The HTTP API, driven in-process: every endpoint, bad input as 4xx JSON, and fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from overland.api import ServerConfig, create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServerConfig()))


def ok(client: TestClient, url: str) -> Any:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["type"] == kind
    assert body["error"]["message"]
    return dict(body["error"])


def test_health_places_scenarios(client: TestClient) -> None:
    assert ok(client, "/api/health")["places"] >= 120
    hits = ok(client, "/api/places?q=Nakhichevan")["places"]
    assert [p["id"] for p in hits] == ["nakhchivan"]
    assert {"tripp", "margara", "kars-dilucu", "open-caucasus"} <= {
        s["id"] for s in ok(client, "/api/scenarios")["scenarios"]
    }
    assert any(c["id"] == "grain" for c in ok(client, "/api/commodities")["commodities"])


def test_network_geojson_changes_with_the_date(client: TestClient) -> None:
    before = ok(client, "/api/network?date=2025-10-01")
    after = ok(client, "/api/network?date=2025-11-10")
    assert "az-transit-ban-armenia" in [r["id"] for r in before["properties"]["rules_in_force"]]
    assert "az-transit-ban-armenia" not in [r["id"] for r in after["properties"]["rules_in_force"]]
    links = {
        f["properties"]["id"]: f["properties"]["status"]
        for f in ok(client, "/api/network?scenario=tripp")["features"]
        if f["properties"]["feature_type"] == "link"
    }
    assert links["rail-aghband-meghri"] == "open"


def test_timeline_has_sources(client: TestClient) -> None:
    events = ok(client, "/api/timeline?scenario=tripp")["events"]
    assert "tripp-rail-opens" in [e["id"] for e in events]
    assert all(e["sources"][0]["url"] for e in events)


def test_route_get_and_post_agree(client: TestClient) -> None:
    url = "/api/route?from=Moscow&to=Yerevan&date=2025-11-10&modes=rail&k=2"
    got = ok(client, url)["routes"]
    assert got[0]["countries"] == ["RU", "AZ", "GE", "AM"]
    assert got[0]["steps"][0]["kind"] == "start"
    assert len(got[0]["coordinates"]) == len(got[0]["places"])
    posted = client.post(
        "/api/route",
        json={
            "origin": "Moscow",
            "destination": "Yerevan",
            "date": "2025-11-10",
            "modes": ["rail"],
            "k": 2,
        },
    )
    assert posted.status_code == 200
    assert posted.json()["routes"][0]["places"] == got[0]["places"]


def test_no_route_names_the_rule(client: TestClient) -> None:
    body = problem(
        client.get("/api/route?from=Moscow&to=Yerevan&date=2025-10-01&modes=rail&via=Baku"),
        404,
        "no_route",
    )
    assert body["blocked_by"][0]["id"] == "az-transit-ban-armenia"


@pytest.mark.parametrize(
    ("url", "status", "kind"),
    [
        ("/api/route?from=Nakhichevan%20City&to=Baku", 404, "unknown_place"),
        ("/api/route?from=Baku&to=Tbilisi&date=2025-13-01", 422, "bad_argument"),
        ("/api/route?from=Baku&to=Tbilisi&scenario=nope", 422, "bad_scenario"),
        ("/api/route?from=Baku&to=Tbilisi&k=21", 422, "bad_argument"),
        ("/api/route?from=Baku&to=Tbilisi&k=500", 422, "bad_request"),
        ("/api/route?from=Baku&to=Tbilisi&modes=train", 422, "bad_argument"),
        ("/api/route?from=Baku&to=Tbilisi&avoid=XX", 422, "bad_argument"),
        ("/api/route?to=Tbilisi", 422, "bad_request"),
        ("/api/network?date=yesterday", 422, "bad_argument"),
        ("/api/network?date=1900-01-01", 422, "bad_scenario"),
        ("/api/compare?from=Baku&to=Tbilisi&dates=2025-01-01,x", 422, "bad_argument"),
        ("/api/nothing", 404, "http"),
        ("/api/critical?kind=bridge", 422, "bad_argument"),
        ("/api/critical?in=XX", 422, "bad_argument"),
        ("/api/dependence?country=XX", 422, "bad_argument"),
        ("/api/reliability?from=Baku&to=Kars&by=fastest", 422, "bad_request"),
        ("/api/flows?growth=0", 422, "bad_request"),
    ],
)
def test_bad_input_is_4xx_json(client: TestClient, url: str, status: int, kind: str) -> None:
    problem(client.get(url), status, kind)


def test_unknown_place_suggests(client: TestClient) -> None:
    body = problem(client.get("/api/route?from=Nakhichevan%20City&to=Baku"), 404, "unknown_place")
    assert "Nakhchivan" in body["suggestions"]


def test_malformed_and_oversized_bodies(client: TestClient) -> None:
    problem(
        client.post(
            "/api/route", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
        "bad_request",
    )
    problem(client.post("/api/route", json={"origin": "Baku"}), 422, "bad_request")
    problem(
        client.post(
            "/api/route", json={"origin": "Baku", "destination": "Tbilisi", "colour": "red"}
        ),
        422,
        "bad_request",
    )
    big = b'{"origin": "' + b"x" * 70_000 + b'"}'
    problem(
        client.post("/api/route", content=big, headers={"content-type": "application/json"}),
        413,
        "too_large",
    )


def test_compare_and_skim(client: TestClient) -> None:
    rows = ok(
        client,
        "/api/compare?from=Moscow&to=Yerevan&dates=2025-10-01,2025-11-10&modes=rail&avoid=TR",
    )["rows"]
    assert [r["exists"] for r in rows] == [False, True]
    r = client.post(
        "/api/skim", json={"places": ["Baku", "Tbilisi", "Yerevan"], "date": "2025-10-01"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["time_h"][0][2] is None  # Baku -> Yerevan under the transit ban
    assert body["time_h"][1][0] > 0
    too_many = client.post("/api/skim", json={"places": ["Baku"] * 61})
    problem(too_many, 422, "bad_argument")


def test_page_and_vendor_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "http://" not in page.text
    assert "https://" not in page.text
    for asset in (
        "/vendor/leaflet/dist/leaflet.js",
        "/vendor/chart.js/dist/chart.umd.js",
        "/vendor/topojson-client/dist/topojson-client.min.js",
        "/vendor/world-atlas/countries-50m.json",
        "/static/app.js",
    ):
        assert client.get(asset).status_code == 200, asset


def test_openapi_and_docs(client: TestClient) -> None:
    schema = ok(client, "/openapi.json")
    assert "/api/route" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/api/health", headers={"origin": "http://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_flows_and_criticality_layers(client: TestClient) -> None:
    flows = ok(client, "/api/flows?date=2024-07-01")
    assert flows["caspian_tonnes"] > 0
    feats = flows["layer"]["features"]
    assert feats
    assert all(f["geometry"]["type"] == "LineString" for f in feats)
    assert max(f["properties"]["volume_capacity"] for f in feats) > 0.5
    crit = ok(client, "/api/critical?date=2026-03-31&in=AM,GE,AZ&top=10")
    assert len(crit["failures"]) == 10
    impacts = [f["impact_usd_per_year"] for f in crit["failures"]]
    assert impacts == sorted(impacts, reverse=True)
    ranks = [f["properties"]["rank"] for f in crit["layer"]["features"]]
    assert ranks == sorted(ranks)
    # countries have no geometry of their own; everything else is on the map
    assert len(ranks) == sum(f["kind"] != "country" for f in crit["failures"])


def test_dependence_redundancy_reliability_disrupt(client: TestClient) -> None:
    dep = ok(client, "/api/dependence?country=AM&date=2025-06-01")
    [am] = dep["countries"]
    assert {v["via"] for v in am["transit"]} >= {"GE", "IR"}
    red = ok(client, "/api/redundancy?from=Yerevan&to=Moscow&date=2026-03-31")
    assert red["n_disjoint"] >= 2
    rel = ok(client, "/api/reliability?from=Baku&to=Kars&n=5000&k=2")
    p90 = [r["reliability"]["p90_h"] for r in rel["routes"]]
    assert p90 == sorted(p90)
    r = client.post("/api/disrupt", json={"close": ["road-dariali-upper_lars"], "days": 10})
    assert r.status_code == 200, r.text
    assert r.json()["backlog_tonnes"] > 0
    problem(
        client.post("/api/disrupt", json={"close": ["nowhere"], "days": 10}), 422, "bad_argument"
    )
    problem(client.post("/api/disrupt", json={"close": [], "days": 10}), 422, "bad_request")


def test_fuzzing_finds_no_500_and_no_schema_violation() -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ServerConfig()))
    failures = []
    for op in schema.get_all_operations():
        operation = op.ok()  # type: ignore[union-attr]

        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call()
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code < 400:
                case.validate_response(response)

        try:
            check()
        except AssertionError as exc:
            failures.append(str(exc)[:500])
    assert not failures, failures
