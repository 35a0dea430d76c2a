"""The HTTP API, driven in-process: every endpoint, bad input as 4xx JSON, and fuzzing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from overland.web import ServerConfig, create_app

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(ServerConfig(warm=False)), base_url=BASE) as c:
        yield c


def finished(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    """Wait for a job to end (its own time limit bounds the loop) and return its state."""
    while job["status"] in ("queued", "running"):
        r = client.get(job["url"], params={"wait": 30})
        assert r.status_code == 200, r.text
        job = r.json()
    return job


def run_job(client: TestClient, kind: str, body: dict[str, Any]) -> Any:
    """Submit an analysis, wait for it, return its result."""
    r = client.post(f"/api/{kind}", json=body)
    assert r.status_code == 202, r.text
    assert r.headers["location"] == r.json()["url"]
    job = finished(client, r.json())
    assert job["status"] == "done", job
    return ok(client, job["result_url"])


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
    assert links["rail-aghband-meghri_border_east"] == "open"
    # a date the data does not reach says so
    assert after["properties"]["notes"] == []
    late = ok(client, "/api/network?date=2099-01-01")["properties"]["notes"]
    assert any("after the data's as-of date" in n for n in late)


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
    assert posted.json()["shaped_by"] == ok(client, url)["shaped_by"]


def test_route_says_what_shaped_it(client: TestClient) -> None:
    url = "/api/route?from=Xian&to=Duisburg&date=2025-09-15&modes=rail&commodity=containers&k=1"
    doc = ok(client, url)
    assert [c["id"] for c in doc["shaped_by"]] == ["pl-by-border-closed"]
    assert "BY" in doc["unconstrained"]["countries"]
    assert "BY" not in doc["routes"][0]["countries"]


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
        ("/api/route?from=Baku&to=Tbilisi&k=21", 422, "bad_request"),
        ("/api/route?from=Baku&to=Tbilisi&k=500", 422, "bad_request"),
        ("/api/route?from=Baku&to=Tbilisi&modes=train", 422, "bad_argument"),
        ("/api/route?from=Baku&to=Tbilisi&avoid=XX", 422, "bad_argument"),
        ("/api/route?to=Tbilisi", 422, "bad_request"),
        ("/api/network?date=yesterday", 422, "bad_argument"),
        ("/api/network?date=1900-01-01", 422, "bad_scenario"),
        ("/api/compare?from=Baku&to=Tbilisi&dates=2025-01-01,x", 422, "bad_argument"),
        ("/api/nothing", 404, "http"),
        ("/api/route?from=Baku&to=Supsa", 422, "no_freight_service"),
        ("/api/jobs/0123456789abcdef0123456789abcdef", 404, "job_not_found"),
        ("/api/jobs/nope", 422, "bad_request"),
    ],
)
def test_bad_input_is_4xx_json(client: TestClient, url: str, status: int, kind: str) -> None:
    problem(client.get(url), status, kind)


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        ("critical", {"kinds": ["bridge"]}, "bad_request"),
        ("critical", {"countries": ["XX"]}, "bad_argument"),
        ("dependence", {"country": "XX"}, "bad_argument"),
        ("reliability", {"origin": "Baku", "destination": "Kars", "by": "fastest"}, "bad_request"),
        ("reliability", {"origin": "Baku", "destination": "Nowhere"}, "unknown_place"),
        ("flows", {"growth": 0}, "bad_request"),
        ("flows", {"growth": 11}, "bad_request"),
        ("flows", {"scenario": "nope"}, "bad_scenario"),
        ("flows", {"colour": "red"}, "bad_request"),
        ("flows", {"wait_limit_h": 1}, "bad_request"),
        ("flows", {"wait_limit_h": 9000}, "bad_request"),
        ("disrupt", {"close": ["nowhere"], "days": 10}, "bad_argument"),
        ("disrupt", {"close": [], "days": 10}, "bad_request"),
        (
            "disrupt",
            {"close": ["road-dariali-upper_lars"], "days": 10, "wait_limit_h": 5},
            "bad_request",
        ),
    ],
)
def test_bad_job_input_is_refused_before_queueing(
    client: TestClient, kind: str, body: dict[str, Any], error: str
) -> None:
    before = client.get("/api/jobs").json()["jobs"]
    r = client.post(f"/api/{kind}", json=body)
    assert r.status_code in (404, 422), r.text
    assert r.json()["error"]["type"] == error
    assert client.get("/api/jobs").json()["jobs"] == before


def test_every_place_without_freight_is_a_clear_4xx(client: TestClient) -> None:
    from overland import embedded_network
    from overland.graph import graph_of

    net = embedded_network()
    utility_only = [p for p in net.places if graph_of(net).nodes_at(p).size == 0]
    assert len(utility_only) >= 10
    for pid in utility_only:
        for url in (f"/api/route?from=Baku&to={pid}", f"/api/route?from={pid}&to=Baku&k=1"):
            body = problem(client.get(url), 422, "no_freight_service")
            assert "layer" in body["message"]
        body = problem(
            client.post("/api/skim", json={"places": ["Baku", pid]}), 422, "no_freight_service"
        )


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
    # the commodity's own charges (rates.csv): a container pays the container rail rate,
    # the same as a single route for it
    boxes = client.post(
        "/api/skim",
        json={"places": ["Baku", "Tbilisi"], "date": "2025-10-01", "commodity": "containers"},
    ).json()
    one = ok(client, "/api/route?from=Baku&to=Tbilisi&date=2025-10-01&commodity=containers")
    assert boxes["cost_usd_per_t"][0][1] == pytest.approx(
        one["routes"][0]["cost_usd_per_t"], abs=1e-3
    )
    problem(
        client.post("/api/skim", json={"places": ["Baku", "Tbilisi"], "commodity": "wheat"}),
        422,
        "bad_argument",
    )
    too_many = client.post("/api/skim", json={"places": ["Baku"] * 61})
    problem(too_many, 422, "bad_request")


def test_compare_evaluates_a_scenario_at_its_horizon(client: TestClient) -> None:
    """As the CLI: one row per state; a scenario without a date at its horizon."""
    rows = ok(client, "/api/compare?from=Baku&to=Nakhchivan&scenarios=none,tripp&avoid=IR")["rows"]
    assert [r["scenario"] for r in rows] == [None, "tripp"]
    today, tripp = (r["route"] for r in rows)
    assert today["countries"] == ["AZ", "GE", "TR", "AZ"]
    assert tripp["countries"] == ["AZ", "AM", "AZ"]
    assert tripp["date"] > today["date"]
    assert tripp["time_h"] < today["time_h"]
    cheap = ok(
        client,
        "/api/compare?from=Baku&to=Nakhchivan&scenarios=tripp&objective=cost&commodity=general",
    )["rows"][0]["route"]
    assert cheap["objective"] == "cost"


def test_diff_of_two_states(client: TestClient) -> None:
    """GET /api/diff: links, crossings and rules whose status changes from A to B, the
    links as a GeoJSON layer; dates default as in compare."""
    doc = ok(client, "/api/diff?a=none&b=tripp")
    assert doc["a"]["scenario"] is None
    assert doc["b"] == {"scenario": "tripp", "date": doc["b"]["date"]}
    assert doc["b"]["date"] > doc["a"]["date"]
    changed = {c["id"]: (c["before"], c["after"]) for c in doc["links_changed"]}
    assert changed["rail-meghri_border_west-ordubad"] == ("closed", "open")
    assert doc["events_added"]
    assert not doc["events_removed"]
    feats = doc["layer"]["features"]
    assert {f["properties"]["id"] for f in feats} == set(changed)
    assert all(f["geometry"]["type"] == "LineString" for f in feats)
    # the same date for both: the scenario's events have not happened yet
    same = ok(client, "/api/diff?a=none&b=tripp&date=2026-03-31")
    assert same["links_changed"] == []
    assert same["a"]["date"] == same["b"]["date"]
    # reversed: the opposite changes
    back = ok(client, "/api/diff?a=tripp&b=none")
    assert {c["id"]: (c["after"], c["before"]) for c in back["links_changed"]} == changed
    problem(client.get("/api/diff?a=none&b=nope"), 422, "bad_scenario")
    problem(client.get("/api/diff?a=none&b=tripp&date=x"), 422, "bad_argument")


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
        "/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "/vendor/redoc/bundles/redoc.standalone.js",
    ):
        assert client.get(asset).status_code == 200, asset
    # only the files the page and the docs load: no manifests, no other packages
    for hidden in (
        "/vendor/leaflet/package.json",
        "/vendor/redoc/package.json",
        "/vendor/react/index.js",
        "/vendor/../pyproject.toml",
    ):
        assert client.get(hidden).status_code == 404, hidden
    for docs in ("/docs", "/redoc"):
        html = client.get(docs).text
        assert "/vendor/" in html
        assert "http://" not in html
        assert "https://" not in html


def test_openapi_and_docs(client: TestClient) -> None:
    schema = ok(client, "/openapi.json")
    assert "/api/route" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_cors_is_off_by_default(client: TestClient) -> None:
    r = client.get("/api/health", headers={"origin": "http://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_flows_and_criticality_layers(client: TestClient) -> None:
    flows = run_job(client, "flows", {"date": "2024-07-01"})
    assert flows["link_groups"][0]["tonnes"] > 0
    feats = flows["layer"]["features"]
    assert feats
    assert all(f["geometry"]["type"] == "LineString" for f in feats)
    assert max(f["properties"]["volume_capacity"] for f in feats) > 0.5
    # the default wait limit sheds what would queue past it, per link on the map too;
    # without one nothing is shed
    from overland.assignment.corridor import WAIT_LIMIT_H

    assert flows["wait_limit_h"] == WAIT_LIMIT_H
    shed = sum(f["properties"]["shed_tonnes"] for f in feats)
    assert shed <= flows["shed_tonnes"] + len(feats)
    unlimited = run_job(client, "flows", {"date": "2024-07-01", "wait_limit_h": None})
    assert unlimited["shed_tonnes"] == 0
    assert unlimited["wait_limit_h"] is None
    crit = run_job(
        client, "critical", {"date": "2026-03-31", "countries": ["AM", "GE", "AZ"], "top": 10}
    )
    assert len(crit["failures"]) == 10
    impacts = [f["impact_usd_per_year"] for f in crit["failures"]]
    assert impacts == sorted(impacts, reverse=True)
    ranks = [f["properties"]["rank"] for f in crit["layer"]["features"]]
    assert ranks == sorted(ranks)
    # countries have no geometry of their own; everything else is on the map
    assert len(ranks) == sum(f["kind"] != "country" for f in crit["failures"])


def test_dependence_redundancy_reliability_disrupt(client: TestClient) -> None:
    from overland.assignment.corridor import WAIT_LIMIT_H

    dep = run_job(client, "dependence", {"country": "AM", "date": "2025-06-01"})
    [am] = dep["countries"]
    assert {v["via"] for v in am["transit"]} >= {"GE", "IR"}
    red = ok(client, "/api/redundancy?from=Yerevan&to=Moscow&date=2026-03-31")
    assert red["n_disjoint"] >= 2
    rel = run_job(
        client, "reliability", {"origin": "Baku", "destination": "Kars", "n": 5000, "k": 2}
    )
    p90 = [r["reliability"]["p90_h"] for r in rel["routes"]]
    assert p90 == sorted(p90)
    dis = run_job(client, "disrupt", {"close": ["road-dariali-upper_lars"], "days": 10})
    assert dis["backlog_tonnes"] > 0
    assert dis["wait_limit_h"] == WAIT_LIMIT_H  # the flows' limit, by default


def test_identical_jobs_share_one_computation(client: TestClient) -> None:
    first = client.post("/api/flows", json={"date": "2024-07-01", "growth": 2.0}).json()
    # omitted and explicit defaults, and growth on the same 0.1 grid, are the same job
    same = client.post("/api/flows", json={"date": "2024-07-01", "growth": 2.04}).json()
    assert same["id"] == first["id"]
    assert same["params"]["growth"] == 2.0
    other = client.post("/api/flows", json={"date": "2024-07-01", "growth": 2.1}).json()
    assert other["id"] != first["id"]
    assert finished(client, first)["status"] == "done"
    again = client.post("/api/flows", json={"date": "2024-07-01", "growth": 2.0})
    assert again.json()["id"] == first["id"]
    assert again.json()["status"] == "done"
    finished(client, other)


def test_openapi_states_the_configured_limits(client: TestClient) -> None:
    schema = ok(client, "/openapi.json")
    limits = schema["info"]["x-limits"]
    assert limits["max_alternatives"] == 20
    assert limits["max_skim_places"] == 60
    k = next(p for p in schema["paths"]["/api/route"]["get"]["parameters"] if p["name"] == "k")
    assert k["schema"]["maximum"] == limits["max_alternatives"]
    assert "404" in schema["paths"]["/api/jobs/{job_id}"]["get"]["responses"]
    assert "429" in schema["paths"]["/api/flows"]["post"]["responses"]
    app = create_app(ServerConfig(warm=False, limits={"max_alternatives": 5}))
    with TestClient(app, base_url=BASE) as small:
        schema = ok(small, "/openapi.json")
        k = next(p for p in schema["paths"]["/api/route"]["get"]["parameters"] if p["name"] == "k")
        assert k["schema"]["maximum"] == 5
        problem(small.get("/api/route?from=Baku&to=Tbilisi&k=6"), 422, "bad_request")


def test_jobs_time_out_cancel_and_refuse_when_full() -> None:
    cfg = ServerConfig(warm=False, job_time_limit_s=0.001, job_queue=1)
    with TestClient(create_app(cfg), base_url=BASE) as c:
        job = finished(c, c.post("/api/flows", json={"date": "2024-07-01"}).json())
        assert job["status"] == "timeout"
        problem(c.get(job["result_url"]), 409, "job_timeout")
    cfg = ServerConfig(warm=False, job_queue=1)
    with TestClient(create_app(cfg), base_url=BASE) as c:
        answers = [
            c.post("/api/flows", json={"date": "2024-07-01", "growth": g}) for g in (1, 2, 3, 4)
        ]
        full = [r for r in answers if r.status_code == 429]
        assert full, [r.status_code for r in answers]
        assert full[0].json()["error"]["type"] == "queue_full"
        assert full[0].headers["retry-after"]
        accepted = [r.json() for r in answers if r.status_code == 202]
        for job in accepted:
            cancelled = c.delete(job["url"])
            assert cancelled.status_code == 200
        for job in accepted:
            state = finished(c, job)
            assert state["status"] in ("cancelled", "done")
        assert any(finished(c, j)["status"] == "cancelled" for j in accepted)
        problem(c.get(accepted[-1]["result_url"]), 409, "job_cancelled")
        # the worker killed by the cancel is replaced: the next job runs
        after = run_job(c, "flows", {"date": "2024-07-01", "growth": 5})
        assert after["growth"] == 5


def test_time_budget_stops_cheap_work() -> None:
    with TestClient(create_app(ServerConfig(warm=False, budget_s=1e-9)), base_url=BASE) as c:
        r = c.get("/api/route?from=Shanghai&to=Yerevan&k=20")
        body = problem(r, 503, "over_budget")
        assert "fewer" in body["message"]
        assert r.headers["retry-after"]
        problem(
            c.post("/api/skim", json={"places": ["Baku", "Tbilisi", "Kars"]}), 503, "over_budget"
        )


def test_hosts_headers_and_chunked_bodies(client: TestClient) -> None:
    problem(client.get("/api/health", headers={"host": "evil.example"}), 400, "bad_host")
    assert client.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/api/health", headers={"host": "[::1]:8000"}).status_code == 200
    r = client.get("/api/health")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in r.headers["content-security-policy"]

    def chunks() -> Iterator[bytes]:
        yield b'{"origin": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    big = client.post("/api/route", content=chunks(), headers={"content-type": "application/json"})
    problem(big, 413, "too_large")


def test_fuzzing_finds_no_500_and_no_schema_violation() -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    # every new job is refused past a queue of 2 and stopped after 60 s: bounded work
    cfg = ServerConfig(warm=False, job_queue=2, job_time_limit_s=60, allowed_hosts=("testserver",))
    app = create_app(cfg)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
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
    app.state.served.jobs.close()
    assert not failures, failures
