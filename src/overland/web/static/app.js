// Overland map page: network by mode and status, a date slider over the timeline,
// route queries with alternatives, breakdowns, charts and comparisons.
// Libraries (Leaflet, topojson-client, Chart.js, world-atlas) come from npm at setup time.
"use strict";

const START = new Date("1988-01-02T00:00:00Z");
const END = new Date("2030-12-31T00:00:00Z");
const DAY = 86400000;
const COLOURS = ["#1f5aa6", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207"];
const COUNTRIES = ["RU", "IR", "AZ", "GE", "AM", "TR", "KZ", "TM", "UZ", "CN", "BY", "UA"];
const state = { places: [], byId: {}, horizons: {}, routes: [], selected: 0, queried: false, chart: null };

const $ = (id) => document.getElementById(id);
const iso = (d) => d.toISOString().slice(0, 10);
const dayIndex = (text) => Math.round((new Date(text + "T00:00:00Z") - START) / DAY);
const dateOf = (i) => iso(new Date(START.getTime() + i * DAY));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) {
    const err = new Error(body.error ? body.error.message : response.statusText);
    err.body = body;
    err.status = response.status;
    throw err;
  }
  return body;
}

// Heavy analyses run as jobs on the server: submit, wait for it, fetch the result.
async function runJob(kind, body) {
  let job = await getJSON("/api/" + kind, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  while (job.status === "queued" || job.status === "running") {
    job = await getJSON(job.url + "?wait=20");
  }
  return getJSON(job.result_url);
}

const map = L.map("map", { zoomControl: true, preferCanvas: true, worldCopyJump: true }).setView([42, 50], 4);
const outlineLayer = L.layerGroup().addTo(map);
const networkLayer = L.layerGroup().addTo(map);
const analysisLayer = L.layerGroup().addTo(map);
const routeLayer = L.layerGroup().addTo(map);

const UTILITY = { oil_pipeline: "#111827", gas_pipeline: "#ca8a04", fibre: "#db2777", power: "#dc2626" };

function linkStyle(p) {
  const base = { weight: 2, opacity: 0.8 };
  if (UTILITY[p.mode]) return { ...base, color: UTILITY[p.mode], weight: 2.5, dashArray: p.status === "open" ? null : "2 6" };
  if (p.status === "closed") return { ...base, color: "#b91c1c", dashArray: "4 4", weight: 1.5 };
  if (p.status === "planned") return { ...base, color: "#9aa5b1", dashArray: "2 6", weight: 1.5 };
  if (p.mode === "rail") {
    const colour = p.gauge === "1520" ? "#1f3a5f" : p.gauge === "1435" ? "#15803d" : "#7c3aed";
    return { ...base, color: colour };
  }
  if (p.mode === "road") return { ...base, color: "#d97706", dashArray: "6 3", weight: 1.5 };
  return { ...base, color: "#0e7490", dashArray: "1 5", weight: 1.5 };
}

async function loadOutlines() {
  try {
    const topo = await getJSON("/vendor/world-atlas/countries-50m.json");
    const geo = topojson.feature(topo, topo.objects.countries);
    L.geoJSON(geo, { style: { color: "#9a9a9a", weight: 0.7, fillColor: "#f7f5ef", fillOpacity: 1 }, interactive: false }).addTo(outlineLayer);
  } catch (e) {
    console.warn("country outlines unavailable", e);
  }
}

function pickPlace(id) {
  const place = state.byId[id];
  if (!place) return;
  if (!$("origin").value || ($("origin").value && $("destination").value)) {
    $("origin").value = place.name;
    $("destination").value = "";
  } else {
    $("destination").value = place.name;
    runRoute();
  }
}

async function loadNetwork() {
  const params = new URLSearchParams({ date: currentDate() });
  if ($("scenario").value) params.set("scenario", $("scenario").value);
  const doc = await getJSON("/api/network?" + params);
  networkLayer.clearLayers();
  L.geoJSON(doc, {
    filter: (f) => f.properties.feature_type === "link" && f.properties.mode !== "sea"
      && (!UTILITY[f.properties.mode] || shownLayers().includes(f.properties.mode)),
    style: (f) => linkStyle(f.properties),
    onEachFeature: (f, layer) => layer.bindTooltip(
      `${esc(f.properties.from_name)} – ${esc(f.properties.to_name)}: ${esc(f.properties.mode)} ${esc(f.properties.gauge || "")} (${esc(f.properties.status)})`),
  }).addTo(networkLayer);
  for (const f of doc.features) {
    if (f.properties.feature_type !== "place") continue;
    const [lon, lat] = f.geometry.coordinates;
    L.circleMarker([lat, lon], { radius: f.properties.kind === "border" ? 2.5 : 3.5, color: "#333", weight: 1, fillColor: "#fff", fillOpacity: 1 })
      .bindTooltip(esc(f.properties.name)).on("click", () => pickPlace(f.properties.id)).addTo(networkLayer);
  }
  const rules = doc.properties.rules_in_force || [];
  $("rules").innerHTML = rules.length ? "Rules in force: " + rules.map((r) => esc(r.title)).join("; ") : "No transit rules in force.";
  $("rules").dataset.rules = rules.map((r) => r.id).join(",");
  highlightEvents();
}

// Analysis layers: corridor flows (line width by tonnes, red when over capacity) and
// criticality (line width by the impact of losing the element).
async function loadAnalysis() {
  analysisLayer.clearLayers();
  const which = $("analysis").value;
  const info = $("analysis-info");
  info.textContent = "";
  delete info.dataset.features;
  if (!which) return;
  const body = { date: currentDate(), scenario: $("scenario").value || null };
  if (which === "critical") Object.assign(body, { top: 40, kinds: ["link", "crossing", "port"] });
  info.textContent = "computing…";
  const asked = JSON.stringify([which, body]);
  state.analysisAsked = asked;
  let doc;
  try {
    doc = await runJob(which, body);
  } catch (e) {
    if (state.analysisAsked === asked) info.textContent = e.message;
    return;
  }
  if (state.analysisAsked !== asked) return;  // a newer request replaced this one
  const feats = doc.layer.features;
  const key = which === "flows" ? "tonnes" : "impact_usd_per_year";
  const top = Math.max(1, ...feats.map((f) => f.properties[key]));
  L.geoJSON(doc.layer, {
    style: (f) => ({
      color: which === "flows" ? (f.properties.volume_capacity > 1 ? "#b91c1c" : "#0f766e") : "#7c2d12",
      weight: 1 + 9 * f.properties[key] / top, opacity: 0.75,
    }),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 3 + 9 * f.properties[key] / top, color: "#7c2d12" }),
    onEachFeature: (f, layer) => layer.bindTooltip(which === "flows"
      ? `${esc(f.properties.id)}: ${f.properties.tonnes.toLocaleString()} t/yr, V/C ${f.properties.volume_capacity}`
      : `#${f.properties.rank} ${esc(f.properties.name)}: ${f.properties.impact_usd_per_year.toLocaleString()} USD/yr`),
  }).addTo(analysisLayer);
  info.dataset.features = String(feats.length);
  info.textContent = which === "flows"
    ? (doc.link_groups.length ? `${doc.link_groups[0].name}: ${doc.link_groups[0].tonnes.toLocaleString()} t/yr; ` : "") + `${doc.over_capacity_tonnes.toLocaleString()} t/yr above capacity (queues) at ${doc.over_capacity_links} links/posts, in red`
    : `Worst single failure: ${doc.failures[0].name} (${doc.failures[0].impact_usd_per_year.toLocaleString()} USD/yr)`;
}

let events = [];
async function loadEvents() {
  const params = new URLSearchParams();
  if ($("scenario").value) params.set("scenario", $("scenario").value);
  events = (await getJSON("/api/timeline?" + params)).events;
  $("events").innerHTML = events.map((e) => {
    const src = e.sources[0];
    return `<li data-date="${e.date}"><b>${esc(e.date)}</b> ${esc(e.title)}${src ? ` <a href="${esc(src.url)}" target="_blank" rel="noopener">source</a>` : ""}</li>`;
  }).join("");
  highlightEvents();
}

function highlightEvents() {
  const d = currentDate();
  for (const li of $("events").children) li.className = li.dataset.date <= d ? "applied" : "future";
}

function shownLayers() { return [...document.querySelectorAll("#layers input:checked")].map((i) => i.value); }

function currentDate() { return dateOf(Number($("date").value)); }

function setDate(text, fire) {
  $("date").value = String(dayIndex(text));
  $("date-label").textContent = text;
  $("date-text").value = text;
  if (fire) onDateChange();
}

async function onDateChange() {
  $("date-label").textContent = currentDate();
  $("date-text").value = currentDate();
  await loadNetwork();
  await loadAnalysis();
  if (state.queried) await runRoute();
}

function query(extra) {
  const params = new URLSearchParams({
    from: $("origin").value.trim(), to: $("destination").value.trim(), date: currentDate(),
    objective: $("objective").value, k: "3",
  });
  if ($("scenario").value) params.set("scenario", $("scenario").value);
  if ($("commodity").value) params.set("commodity", $("commodity").value);
  const modes = [...document.querySelectorAll("#modes input:checked")].map((i) => i.value);
  if (modes.length && modes.length < 4) params.set("modes", modes.join(","));
  const avoid = [...document.querySelectorAll("#avoid input:checked")].map((i) => i.value);
  if (avoid.length) params.set("avoid", avoid.join(","));
  for (const [k, v] of Object.entries(extra || {})) { if (v === null) params.delete(k); else params.set(k, v); }
  return params;
}

function routeRow(r, i) {
  return `<tr class="route" data-index="${i}" data-countries="${r.countries.join("-")}">
    <td style="color:${COLOURS[i % COLOURS.length]}">■ ${i + 1}</td><td>${r.days.toFixed(1)} d</td>
    <td>${r.cost_usd_per_t.toFixed(0)} USD/t</td><td>${Math.round(r.distance_km).toLocaleString()} km</td>
    <td>${esc(r.countries.join(" → "))}</td></tr>`;
}

async function runRoute() {
  if (!$("origin").value || !$("destination").value) return;
  state.queried = true;
  const box = $("results");
  box.dataset.state = "loading";
  box.innerHTML = "Searching…";
  try {
    const doc = await getJSON("/api/route?" + query());
    state.routes = doc.routes;
    state.selected = 0;
    box.innerHTML = `<table><thead><tr><th></th><th>time</th><th>cost</th><th>distance</th><th>countries</th></tr></thead><tbody>${doc.routes.map(routeRow).join("")}</tbody></table>`;
    box.dataset.state = "ok";
    box.dataset.countries = doc.routes[0].countries.join("-");
    for (const tr of box.querySelectorAll("tr.route")) tr.addEventListener("click", () => selectRoute(Number(tr.dataset.index)));
    drawRoutes();
    selectRoute(0);
  } catch (e) {
    state.routes = [];
    routeLayer.clearLayers();
    $("breakdown").innerHTML = "";
    box.dataset.state = e.body && e.body.error && e.body.error.type === "no_route" ? "none" : "error";
    box.dataset.countries = "";
    box.innerHTML = `<p class="no-route">${esc(e.message)}</p>`;
    drawChart([]);
  }
}

function drawRoutes() {
  routeLayer.clearLayers();
  state.routes.forEach((r, i) => {
    const latlngs = r.coordinates.map(([lon, lat]) => [lat, lon]);
    L.polyline(latlngs, { color: COLOURS[i % COLOURS.length], weight: i === state.selected ? 6 : 3, opacity: i === state.selected ? 0.9 : 0.5 })
      .on("click", () => selectRoute(i)).addTo(routeLayer);
  });
  if (state.routes.length) {
    const all = state.routes[state.selected].coordinates.map(([lon, lat]) => [lat, lon]);
    map.fitBounds(L.latLngBounds(all).pad(0.2));
  }
}

function selectRoute(i) {
  state.selected = i;
  for (const tr of document.querySelectorAll("#results tr.route")) tr.classList.toggle("selected", Number(tr.dataset.index) === i);
  drawRoutes();
  const r = state.routes[i];
  const name = (id) => esc(state.byId[id] ? state.byId[id].name : id);
  const legs = r.legs.map((l) => `<tr><td>${esc(l.mode)} ${esc(l.gauge || "")}</td><td>${esc(l.country)}</td><td>${name(l.from)} → ${name(l.to)}</td><td>${Math.round(l.distance_km)} km</td><td>${l.time_h.toFixed(1)} h</td></tr>`).join("");
  const borders = r.borders.map((b) => `<tr><td>${esc(b.from)} → ${esc(b.to)}</td><td>${name(b.place)}</td><td>${b.dwell_h.toFixed(1)} h (P90 ${b.dwell_p90_h.toFixed(0)})</td><td>${b.fee_usd_per_t.toFixed(2)} USD/t</td></tr>`).join("");
  const transfers = r.transfers.map((t) => `<tr><td>${name(t.place)}</td><td>${esc(t.from)} → ${esc(t.to)}</td><td>${t.time_h.toFixed(1)} h</td><td>${t.gauge_change ? "gauge change" : ""}</td></tr>`).join("");
  $("breakdown").innerHTML = `<h2>Route ${i + 1}: ${r.days.toFixed(1)} days, ${r.cost_usd_per_t.toFixed(0)} USD/t, ${r.co2_kg_per_t.toFixed(0)} kg CO₂/t</h2>
    <p class="small">${r.borders.length} borders, ${r.gauge_changes} gauge changes; speed ${r.indicators.speed_with_delay_kmh} km/h with delays, ${r.indicators.speed_without_delay_kmh} km/h without</p>
    <table><thead><tr><th>leg</th><th>country</th><th>from → to</th><th>km</th><th>time</th></tr></thead><tbody>${legs}</tbody></table>
    ${borders ? `<table><thead><tr><th>border</th><th>at</th><th>dwell</th><th>fee</th></tr></thead><tbody>${borders}</tbody></table>` : ""}
    ${transfers ? `<table><thead><tr><th>transfer</th><th>layers</th><th>time</th><th></th></tr></thead><tbody>${transfers}</tbody></table>` : ""}`;
  drawChart([r]);
}

function drawChart(routes) {
  if (state.chart) state.chart.destroy();
  state.chart = new Chart($("chart"), {
    type: "line",
    data: { datasets: routes.map((r, i) => ({
      label: `time (days), route ${state.selected + 1}`,
      data: r.steps.map((s) => ({ x: s.distance_km, y: s.time_h / 24 })),
      borderColor: COLOURS[state.selected % COLOURS.length], pointRadius: r.steps.map((s) => (s.kind === "border" || s.kind === "transfer") ? 3 : 0),
    })) },
    options: { animation: false, parsing: false, scales: { x: { type: "linear", title: { display: true, text: "km" } }, y: { title: { display: true, text: "days" } } } },
  });
}

async function runCompare() {
  const form = $("compare-form");
  if (form.hidden) { form.hidden = false; return; }
  const other = { date: $("compare-date").value || currentDate(), scenario: $("compare-scenario").value || null };
  const cells = [];
  for (const extra of [{}, other]) {
    try {
      const r = (await getJSON("/api/route?" + query({ ...extra, k: "1" }))).routes[0];
      cells.push(`<td>${r.days.toFixed(1)} d, ${r.cost_usd_per_t.toFixed(0)} USD/t, ${Math.round(r.distance_km)} km<br>${esc(r.countries.join(" → "))}</td>`);
    } catch (e) {
      cells.push(`<td class="no-route">${esc(e.message)}</td>`);
    }
  }
  const a = `${currentDate()}${$("scenario").value ? " / " + $("scenario").value : ""}`;
  const b = `${other.date}${other.scenario ? " / " + other.scenario : ""}`;
  $("results").innerHTML = `<table id="comparison"><thead><tr><th>${esc(a)}</th><th>${esc(b)}</th></tr></thead><tbody><tr>${cells.join("")}</tr></tbody></table>`;
  $("results").dataset.state = "compare";
}

async function init() {
  const slider = $("date");
  slider.max = String(Math.round((END - START) / DAY));
  // the page opens on the date the package's data is current to (its data_as_of)
  const health = await getJSON("/api/health");
  setDate(health.data_as_of, false);
  slider.addEventListener("input", () => { $("date-label").textContent = currentDate(); });
  slider.addEventListener("change", onDateChange);
  $("date-text").addEventListener("change", () => { if ($("date-text").value) setDate($("date-text").value, true); });
  $("scenario").addEventListener("change", async () => {
    // a scenario opens at its horizon (the date of its last event); the slider still moves
    const horizon = state.horizons[$("scenario").value];
    if (horizon) setDate(horizon, false);
    await loadEvents();
    await onDateChange();
  });
  $("route-btn").addEventListener("click", runRoute);
  $("analysis").addEventListener("change", loadAnalysis);
  $("compare-btn").addEventListener("click", runCompare);
  for (const m of ["rail", "road", "ferry", "sea"]) {
    $("modes").insertAdjacentHTML("beforeend", `<label><input type="checkbox" value="${m}" checked> ${m}</label>`);
  }
  for (const [layer, colour] of Object.entries(UTILITY)) {
    $("layers").insertAdjacentHTML("beforeend", `<label style="color:${colour}"><input type="checkbox" value="${layer}"> ${layer.replace("_", " ")}</label>`);
  }
  for (const box of document.querySelectorAll("#layers input")) box.addEventListener("change", loadNetwork);
  for (const c of COUNTRIES) {
    $("avoid").insertAdjacentHTML("beforeend", `<label><input type="checkbox" value="${c}"> ${c}</label>`);
  }
  const [places, scenarios, commodities] = await Promise.all([
    getJSON("/api/places"), getJSON("/api/scenarios"), getJSON("/api/commodities")]);
  state.places = places.places;
  for (const p of state.places) state.byId[p.id] = p;
  $("place-list").innerHTML = state.places.filter((p) => p.freight).map((p) => `<option value="${esc(p.name)}">`).join("");
  for (const s of scenarios.scenarios) {
    state.horizons[s.id] = s.horizon;
    const opt = `<option value="${esc(s.id)}">${esc(s.id)} (to ${esc(s.horizon)})</option>`;
    $("scenario").insertAdjacentHTML("beforeend", opt);
    $("compare-scenario").insertAdjacentHTML("beforeend", opt);
  }
  $("commodity").innerHTML = commodities.commodities.map((c) => `<option value="${esc(c.id)}"${c.id === "general" ? " selected" : ""}>${esc(c.name)}</option>`).join("");
  $("package-title").textContent = `${health.title}: ${health.places} places, data as of ${health.data_as_of}`;
  await Promise.all([loadOutlines(), loadEvents(), loadNetwork()]);
  document.body.dataset.ready = "1";
}

init();
