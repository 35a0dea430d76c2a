// Overland map page: network by mode and status, a date slider over the timeline,
// route queries with alternatives, breakdowns, charts, comparisons of two states,
// analysis layers with their scales, a legend that follows what is drawn, permalinks
// and downloads. Libraries (Leaflet, topojson-client, Chart.js, world-atlas) come from
// npm at setup time; nothing here is inline in the page (the server's CSP forbids it).
"use strict";

const START = new Date("1988-01-02T00:00:00Z");
const END = new Date("2030-12-31T00:00:00Z");
const DAY = 86400000;
const COUNTRIES = ["RU", "IR", "AZ", "GE", "AM", "TR", "KZ", "TM", "UZ", "CN", "BY", "UA"];
const MODES = ["rail", "road", "ferry", "sea", "air"];

// Colours. Routes use the Okabe–Ito colour-blind-safe set; the network is drawn in
// low-chroma tones and told apart by dash and width, so no route shares a colour with it
// (tests/test_web.py checks CIEDE2000 between them, also under simulated protanopia,
// deuteranopia and tritanopia). Analysis scales are viridis/inferno-like ramps.
const PALETTE = {
  routes: ["#0072B2", "#D55E00", "#E69F00"],
  network: {
    rail_1520: "#3a3a3a", rail_1435: "#7a6a58", rail_other: "#9a9a9a", road: "#b5ad9f",
    ferry: "#8a9490", sea: "#8a9490", closed: "#111111", planned: "#c8c8c8",
    oil_pipeline: "#4a4038", gas_pipeline: "#8f8a6a", fibre: "#8a8290", power: "#6e5a5a",
  },
  flows: ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"].reverse(),
  critical: ["#fcffa4", "#f98e09", "#bc3754", "#57106e", "#000004"],
  diff: { opened: "#1b7837", closed: "#762a83", more: "#5aae61", less: "#9970ab" },
};
const NET_STYLE = {
  rail_1520: { color: PALETTE.network.rail_1520, weight: 2.4, dashArray: null, label: "rail, 1520 mm (broad gauge)" },
  rail_1435: { color: PALETTE.network.rail_1435, weight: 2.4, dashArray: "10 3", label: "rail, 1435 mm (standard gauge)" },
  rail_other: { color: PALETTE.network.rail_other, weight: 2, dashArray: "10 3 2 3", label: "rail, other or dual gauge" },
  road: { color: PALETTE.network.road, weight: 1.6, dashArray: "6 3", label: "road" },
  ferry: { color: PALETTE.network.ferry, weight: 1.8, dashArray: "1 5", label: "ferry" },
  sea: { color: PALETTE.network.sea, weight: 1.6, dashArray: "3 4 1 4", label: "sea lane (along its course)" },
  planned: { color: PALETTE.network.planned, weight: 1.5, dashArray: "2 6", label: "planned (not open on the date)" },
  closed: { color: PALETTE.network.closed, weight: 1.5, dashArray: "4 4", label: "closed on the date" },
  oil_pipeline: { color: PALETTE.network.oil_pipeline, weight: 2.6, dashArray: "12 3", label: "oil pipeline" },
  gas_pipeline: { color: PALETTE.network.gas_pipeline, weight: 2.6, dashArray: "12 3 2 3", label: "gas pipeline" },
  fibre: { color: PALETTE.network.fibre, weight: 2, dashArray: "1 3", label: "fibre" },
  power: { color: PALETTE.network.power, weight: 2.6, dashArray: "14 2 2 2 2 2", label: "power line" },
};
const UTILITY = ["oil_pipeline", "gas_pipeline", "fibre", "power"];
window.overland = { palette: PALETTE };

const state = {
  places: [], byId: {}, horizons: {}, scenarios: [], asOf: null,
  routes: [], selected: 0, queried: false, chart: null, mode: "idle",
  compare: null, analysis: null, network: null, links: {}, degree: {}, netKeys: new Set(),
};

const $ = (id) => document.getElementById(id);
const iso = (d) => d.toISOString().slice(0, 10);
const dayIndex = (text) => Math.round((new Date(text + "T00:00:00Z") - START) / DAY);
const dateOf = (i) => iso(new Date(START.getTime() + i * DAY));
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const num = (v, digits = 0) => Number(v).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const placeName = (id) => (state.byId[id] ? state.byId[id].name : id);
const signed = (v, digits, unit) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${num(Math.abs(v), digits)} ${unit}`;

async function getJSON(url, options) {
  const response = await fetch(url, options);
  let body;
  try { body = await response.json(); } catch (e) { body = {}; }
  if (!response.ok) {
    const err = new Error(body.error ? body.error.message : `${response.status} ${response.statusText}`);
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

// ------------------------------------------------------------------------------ map

const map = L.map("map", { zoomControl: true, preferCanvas: true, worldCopyJump: true, zoomSnap: 0.25 }).setView([42, 50], 4);
const outlineLayer = L.layerGroup().addTo(map);
const networkLayer = L.layerGroup().addTo(map);
const analysisLayer = L.layerGroup().addTo(map);
const routeLayer = L.layerGroup().addTo(map);
const placeLayer = L.layerGroup().addTo(map);
const labelLayer = L.layerGroup().addTo(map);
L.control.scale({ imperial: false }).addTo(map);

// Brings bounds into view beside the legend (not under it), without animation so the view
// is settled as soon as the call returns.
function fit(bounds) {
  const box = $("legend");
  const size = map.getSize();
  const right = box && !box.hidden ? Math.min(box.offsetWidth + 16, size.x / 2) : 16;
  map.fitBounds(bounds, { paddingTopLeft: [24, 24], paddingBottomRight: [right, 24], animate: false });
  map.getContainer().dataset.view = map.getBounds().toBBoxString();
}

function netKey(p) {
  if (UTILITY.includes(p.mode)) return p.mode;
  if (p.status === "closed") return "closed";
  if (p.status === "planned") return "planned";
  if (p.mode === "rail") return p.gauge === "1520" ? "rail_1520" : p.gauge === "1435" ? "rail_1435" : "rail_other";
  return NET_STYLE[p.mode] ? p.mode : "rail_other";
}

function linkStyle(p) {
  const s = NET_STYLE[netKey(p)];
  const dim = $("analysis").value ? 0.35 : 0.85;
  const style = { color: s.color, weight: s.weight, dashArray: s.dashArray, opacity: dim };
  if (UTILITY.includes(p.mode) && p.status !== "open") style.dashArray = "2 6";
  return style;
}

// great-circle km between two [lon, lat] points
function km(a, b) {
  const r = Math.PI / 180;
  const h = Math.sin((b[1] - a[1]) * r / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin((b[0] - a[0]) * r / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}

// A sea lane given only as its two ends, whose length says it goes around land, is not
// drawn as a chord across the continent: it is listed at its ports instead.
function chordOnly(f) {
  const c = f.geometry.coordinates;
  return f.properties.mode === "sea" && c.length === 2 && Number(f.properties.length_km) > 1.3 * km(c[0], c[1]) + 50;
}

async function loadOutlines() {
  try {
    const topo = await getJSON("/vendor/world-atlas/countries-50m.json");
    const geo = topojson.feature(topo, topo.objects.countries);
    // rings that cross the antimeridian (Chukotka, Fiji) are drawn east of 180° instead
    // of as lines across the whole map; Antarctica, which has no freight, is left out
    geo.features = geo.features.filter((f) => f.properties.name !== "Antarctica");
    for (const f of geo.features) {
      const polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
      for (const ring of polys.flat()) {
        if (ring.some((pt, i) => i && Math.abs(pt[0] - ring[i - 1][0]) > 180)) for (const pt of ring) if (pt[0] < 0) pt[0] += 360;
      }
    }
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
  const asked = params.toString();
  state.networkAsked = asked;
  const doc = await getJSON("/api/network?" + params);
  if (state.networkAsked !== asked) return;
  state.network = doc;
  drawNetwork();
  const rules = doc.properties.rules_in_force || [];
  $("rules").innerHTML = rules.length
    ? `<details><summary>${rules.length} transit rule${rules.length > 1 ? "s" : ""} in force on ${esc(doc.properties.date)}</summary><ul>${rules.map((r) => `<li>${esc(r.title)}</li>`).join("")}</ul></details>`
    : "No transit rules in force.";
  // a date the data does not reach (after data_as_of, outside the demand years) says so
  for (const n of doc.properties.notes || []) $("rules").insertAdjacentHTML("beforeend", `<div class="note small">Note: ${esc(n)}</div>`);
  $("rules").dataset.rules = rules.map((r) => r.id).join(",");
  highlightEvents();
}

function drawNetwork(fitView) {
  const doc = state.network;
  if (!doc) return;
  networkLayer.clearLayers();
  placeLayer.clearLayers();
  const shown = shownLayers();
  const keys = new Set();
  const seaAt = {};
  const airAt = {};
  state.links = {};
  state.degree = {};
  let drawnUtility = [];
  for (const f of doc.features) {
    const p = f.properties;
    if (p.feature_type !== "link") continue;
    state.links[p.id] = f;
    if (!UTILITY.includes(p.mode)) for (const end of [p.from, p.to]) state.degree[end] = (state.degree[end] || 0) + 1;
  }
  const layer = L.geoJSON(doc, {
    filter: (f) => {
      const p = f.properties;
      if (p.feature_type !== "link") return false;
      if (UTILITY.includes(p.mode) && !shown.includes(p.mode)) return false;
      if (chordOnly(f)) {
        for (const [here, there] of [[p.from, p.to_name], [p.to, p.from_name]]) (seaAt[here] = seaAt[here] || []).push(`${there}${p.detour_reason ? " (" + p.detour_reason + ")" : ""}`);
        return false;
      }
      if (p.mode === "air") { // long straight lines across the map: listed at their airports
        for (const [here, there] of [[p.from, p.to_name], [p.to, p.from_name]]) (airAt[here] = airAt[here] || []).push(there);
        return false;
      }
      keys.add(netKey(p));
      return true;
    },
    style: (f) => linkStyle(f.properties),
    onEachFeature: (f, l) => {
      const p = f.properties;
      if (UTILITY.includes(p.mode)) drawnUtility.push(l);
      l.bindTooltip(`${esc(p.name || p.from_name + " – " + p.to_name)}: ${esc(p.mode)} ${esc(p.gauge || "")} (${esc(p.status)})`);
    },
  }).addTo(networkLayer);
  for (const f of doc.features) {
    const p = f.properties;
    if (p.feature_type !== "place") continue;
    const [lon, lat] = f.geometry.coordinates;
    const sea = (seaAt[p.id] ? `<br>sea lanes to ${seaAt[p.id].map(esc).join("; ")}` : "")
      + (airAt[p.id] ? `<br>air freight to ${airAt[p.id].map(esc).join("; ")}` : "");
    L.circleMarker([lat, lon], { radius: p.kind === "border" ? 2.5 : 3.5, color: "#333", weight: 1, fillColor: p.kind === "port" ? "#cfe3ea" : "#fff", fillOpacity: 1 })
      .bindTooltip(esc(p.name) + sea).on("click", () => pickPlace(p.id)).addTo(placeLayer);
  }
  state.netKeys = keys;
  state.seaListed = Object.keys(seaAt).length > 0;
  state.airListed = Object.keys(airAt).length > 0;
  drawLabels();
  renderLegend();
  if (fitView && drawnUtility.length) fit(L.featureGroup(drawnUtility).getBounds());
  void layer;
}

// Place labels: the best connected cities and ports first, as many as fit without
// overlapping at the current zoom (more appear as one zooms in).
function drawLabels() {
  labelLayer.clearLayers();
  if (!state.places.length) return;
  const zoom = map.getZoom();
  const candidates = state.places
    .filter((p) => p.kind === "city" || p.kind === "port")
    .map((p) => ({ p, rank: (state.degree[p.id] || 0) + (p.kind === "city" ? 1.5 : 0.5) }))
    .filter((c) => c.rank >= (zoom <= 4 ? 3 : zoom <= 5 ? 2 : 1))
    .sort((a, b) => b.rank - a.rank || a.p.name.localeCompare(b.p.name));
  const limit = zoom <= 3 ? 12 : zoom <= 4 ? 30 : zoom <= 5 ? 60 : 200;
  const boxes = [];
  const bounds = map.getBounds().pad(0.1);
  let n = 0;
  for (const { p } of candidates) {
    if (n >= limit) break;
    if (!bounds.contains([p.lat, p.lon])) continue;
    const pt = map.latLngToLayerPoint([p.lat, p.lon]);
    const w = p.name.length * 6.6 + 6;
    const box = [pt.x + 4, pt.y - 9, pt.x + 12 + w, pt.y + 9];
    if (boxes.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
    boxes.push(box, [pt.x - 4, pt.y - 4, pt.x + 4, pt.y + 4]);
    n += 1;
    L.tooltip({ permanent: true, direction: "right", offset: [4, 0], className: "place-label", interactive: false })
      .setLatLng([p.lat, p.lon]).setContent(esc(p.name)).addTo(labelLayer);
  }
  $("map").dataset.labels = String(n);
}
map.on("zoomend", drawLabels);
map.on("moveend", () => { if (state.places.length) drawLabels(); });

// ------------------------------------------------------------------------- legend

const legend = L.control({ position: "bottomright" });
legend.onAdd = () => {
  const div = L.DomUtil.create("div", "legend");
  div.id = "legend";
  if (window.innerWidth < 1000) div.dataset.collapsed = "1";  // narrow screens: the map first
  L.DomEvent.disableScrollPropagation(div);
  L.DomEvent.disableClickPropagation(div);
  return div;
};
legend.addTo(map);

function lineSample(style) {
  return `<svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" stroke="${style.color}" stroke-width="${Math.min(style.weight, 7)}"${style.dashArray ? ` stroke-dasharray="${style.dashArray}"` : ""} stroke-linecap="round"/></svg>`;
}

function entry(key, style, label) {
  return `<div class="entry" data-key="${esc(key)}">${lineSample(style)}<span>${label}</span></div>`;
}

function rampHtml(key, colours, labels, title) {
  return `<div class="scale" data-key="${esc(key)}"><div>${title}</div><div class="ramp">${colours.map((c) => `<span style="background:${c}"></span>`).join("")}</div>`
    + `<div class="ramp-labels">${labels.map((l) => `<span>${l}</span>`).join("")}</div></div>`;
}

function renderLegend() {
  const parts = [];
  const order = ["rail_1520", "rail_1435", "rail_other", "road", "ferry", "sea", "planned", "closed", ...UTILITY];
  const net = order.filter((k) => state.netKeys.has(k));
  if (net.length) {
    parts.push("<h3>Network</h3>");
    for (const k of net) parts.push(entry(k, NET_STYLE[k], NET_STYLE[k].label));
    if (state.seaListed) parts.push(`<div class="entry small" data-key="sea-listed">sea lanes around continents: listed at their ports</div>`);
    if (state.airListed) parts.push(`<div class="entry small" data-key="air-listed">air freight links: listed at their airports</div>`);
    parts.push(`<div class="entry" data-key="places"><svg width="34" height="10" aria-hidden="true"><circle cx="10" cy="5" r="3.5" fill="#fff" stroke="#333"/><circle cx="24" cy="5" r="3.5" fill="#cfe3ea" stroke="#333"/></svg><span>place, port (click: from / to)</span></div>`);
  }
  const a = state.analysis;
  if (a && a.legend) parts.push(a.legend);
  if (state.mode === "routes" && state.routes.length) {
    parts.push("<h3>Routes</h3>");
    state.routes.forEach((r, i) => parts.push(entry(`route-${i + 1}`, { color: routeColour(i), weight: i === state.selected ? 6 : 4 },
      `${i + 1}: ${esc(r.countries.join("–"))}, ${r.days.toFixed(1)} d, ${num(r.cost_usd_per_t)} USD/t`)));
  }
  if (state.mode === "compare" && state.compare) {
    parts.push("<h3>Compared</h3>");
    state.compare.sides.forEach((s, i) => {
      const r = s.row.route;
      parts.push(entry(`compare-${s.name}`, { color: routeColour(i), weight: 5 },
        `${s.name}: ${esc(s.row.label)} (${esc(s.row.date)})${r ? ", " + esc(r.countries.join("–")) : ", no route"}`));
    });
  }
  const open = $("legend").dataset.collapsed !== "1";
  $("legend").innerHTML = `<details${open ? " open" : ""}><summary>Legend</summary>${parts.join("")}</details>`;
  $("legend").querySelector("details").addEventListener("toggle", (e) => { $("legend").dataset.collapsed = e.target.open ? "0" : "1"; });
  $("legend").hidden = parts.length === 0;
}

// ------------------------------------------------------------------ analysis layers

function ramp(colours, value, top) {
  const i = Math.min(colours.length - 1, Math.floor(colours.length * value / (top || 1)));
  return colours[Math.max(0, i)];
}

function niceLabels(top, n, scale, digits) {
  const out = [];
  for (let i = 0; i <= n; i += 1) out.push(num(top * i / n / scale, digits));
  return out;
}

function linkLabel(id) {
  const f = state.links[id];
  if (!f) return id;
  const p = f.properties;
  return p.name || `${p.from_name} – ${p.to_name} (${p.mode})`;
}

async function loadAnalysis() {
  analysisLayer.clearLayers();
  const which = $("analysis").value;
  const info = $("analysis-info");
  state.analysis = null;
  info.textContent = "";
  info.dataset.state = which ? "loading" : "idle";
  delete info.dataset.features;
  $("analysis-dl").hidden = true;
  drawNetwork();
  if (!which) { writeURL(); return; }
  const body = { date: currentDate(), scenario: $("scenario").value || null };
  if (which === "critical") Object.assign(body, { top: 40, kinds: ["link", "crossing", "port"] });
  info.textContent = which === "diff" ? "comparing the two states…" : "computing… (a job on the server)";
  const asked = JSON.stringify([which, body, compareSides()]);
  state.analysisAsked = asked;
  let drawn;
  try {
    drawn = which === "diff" ? await diffLayer() : await jobLayer(which, body);
  } catch (e) {
    if (state.analysisAsked !== asked) return;
    info.dataset.state = "error";
    info.textContent = `${which} failed: ${e.message}`;
    renderLegend();
    return;
  }
  if (state.analysisAsked !== asked) return;  // a newer request replaced this one
  state.analysis = drawn;
  drawn.layer.addTo(analysisLayer);
  info.dataset.features = String(drawn.count);
  info.dataset.state = "ok";
  info.innerHTML = drawn.info;
  $("analysis-dl").hidden = !drawn.rows.length;
  renderLegend();
  if (drawn.fit && drawn.fit.isValid()) fit(drawn.fit);
  writeURL();
}

async function jobLayer(which, body) {
  const doc = await runJob(which, body);
  const feats = doc.layer.features;
  if (which === "flows") {
    const top = Math.max(1, ...feats.map((f) => f.properties.tonnes));
    const over = [];
    const layer = L.geoJSON(doc.layer, {
      style: (f) => ({ color: ramp(PALETTE.flows, f.properties.tonnes, top), weight: 2 + 8 * f.properties.tonnes / top, opacity: 0.9 }),
      onEachFeature: (f, l) => {
        const p = f.properties;
        if (p.volume_capacity > 1) over.push(f);
        l.bindTooltip(`${esc(linkLabel(p.id))}: ${num(p.tonnes)} t/yr both ways, V/C ${p.volume_capacity} (loaded direction)${p.wait_added_h ? `, +${p.wait_added_h} h wait` : ""}${p.premium_usd_per_t ? `, slot premium ${p.premium_usd_per_t} USD/t` : ""}`);
      },
    });
    const group = L.featureGroup([layer]);
    if (over.length) L.geoJSON({ type: "FeatureCollection", features: over }, { style: { color: "#000", weight: 1.5, dashArray: "2 4", opacity: 1 }, interactive: false }).addTo(group);
    const g = doc.link_groups[0];
    const legendHtml = "<h3>Corridor flows</h3>"
      + rampHtml("flows-scale", PALETTE.flows, niceLabels(top, 2, 1e6, 1), "tonnes per year (Mt/yr), colour and width")
      + entry("flows-over", { color: "#000", weight: 1.5, dashArray: "2 4" }, "V/C above 1: above capacity, queues");
    return {
      layer: group, count: feats.length, fit: layer.getBounds(), legend: legendHtml,
      info: (g ? `${esc(g.name)}: ${num(g.tonnes)} t/yr; ` : "")
        + `${num(doc.over_capacity_tonnes)} t/yr above capacity (they queue) at ${doc.over_capacity_links} links/posts, dotted black; ${num(doc.unserved_tonnes)} t/yr without a route.`,
      rows: feats.map((f) => ({ link: f.properties.id, name: linkLabel(f.properties.id), tonnes_per_year: f.properties.tonnes, volume_capacity: f.properties.volume_capacity, wait_added_h: f.properties.wait_added_h, premium_usd_per_t: f.properties.premium_usd_per_t })),
      name: `flows-${body.date}${body.scenario ? "-" + body.scenario : ""}.csv`,
    };
  }
  const top = Math.max(1, ...feats.map((f) => f.properties.impact_usd_per_year));
  const colour = (f) => ramp(PALETTE.critical.slice(1), f.properties.impact_usd_per_year, top);
  const layer = L.geoJSON(doc.layer, {
    style: (f) => ({ color: colour(f), weight: 2 + 8 * f.properties.impact_usd_per_year / top, opacity: 0.9 }),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 4 + 8 * f.properties.impact_usd_per_year / top, color: "#000", weight: 1, fillColor: colour(f), fillOpacity: 0.9 }),
    onEachFeature: (f, l) => l.bindTooltip(`#${f.properties.rank} ${esc(f.properties.name)}: ${num(f.properties.impact_usd_per_year)} USD/yr`),
  });
  // the view shows the worst elements (the first ten), not the whole list
  const worst = L.geoJSON({ type: "FeatureCollection", features: feats.filter((f) => f.properties.rank <= 10) });
  const w = doc.failures[0];
  return {
    layer, count: feats.length, fit: worst.getBounds(),
    legend: "<h3>Criticality</h3>" + rampHtml("critical-scale", PALETTE.critical.slice(1), niceLabels(top, 2, 1e6, 0), "impact of losing it (million USD/yr), colour and width"),
    info: w ? `Worst single failure: ${esc(w.name)} (${num(w.impact_usd_per_year)} USD/yr; ${num(w.unserved_tonnes)} t/yr left without a route)` : "No failure hurts the flows.",
    rows: doc.failures.map((f, i) => ({ rank: i + 1, kind: f.kind, id: f.id, name: f.name, impact_usd_per_year: f.impact_usd_per_year, extra_cost_usd_per_year: f.extra_cost_usd_per_year, unserved_tonnes: f.unserved_tonnes, rerouted_tonnes: f.rerouted_tonnes, ods_hit: f.ods_hit })),
    name: `criticality-${body.date}${body.scenario ? "-" + body.scenario : ""}.csv`,
  };
}

// The scenario diff layer: links whose status changes from A to B (GET /api/diff) and the
// change in corridor flows between the two states (two flows jobs).
async function diffLayer() {
  const [a, b] = compareSides();
  const params = new URLSearchParams({ a: a.scenario || "none", b: b.scenario || "none" });
  if (a.date) params.set("date_a", a.date);
  if (b.date) params.set("date_b", b.date);
  const doc = await getJSON("/api/diff?" + params);
  const [fa, fb] = await Promise.all([
    runJob("flows", { date: doc.a.date, scenario: doc.a.scenario }),
    runJob("flows", { date: doc.b.date, scenario: doc.b.scenario }),
  ]);
  const tonnes = (d) => Object.fromEntries(d.layer.features.map((f) => [f.properties.id, f.properties.tonnes]));
  const ta = tonnes(fa);
  const tb = tonnes(fb);
  const deltas = [...new Set([...Object.keys(ta), ...Object.keys(tb)])]
    .map((id) => ({ id, before: ta[id] || 0, after: tb[id] || 0 }))
    .map((d) => ({ ...d, change: d.after - d.before }));
  const top = Math.max(1, ...deltas.map((d) => Math.abs(d.change)));
  const moved = deltas.filter((d) => Math.abs(d.change) >= 0.05 * top && state.links[d.id]).sort((x, y) => Math.abs(y.change) - Math.abs(x.change));
  const group = L.featureGroup();
  for (const d of moved) {
    L.geoJSON(state.links[d.id], {
      style: { color: d.change > 0 ? PALETTE.diff.more : PALETTE.diff.less, weight: 2 + 8 * Math.abs(d.change) / top, opacity: 0.85 },
    }).bindTooltip(`${esc(linkLabel(d.id))}: ${num(d.before)} → ${num(d.after)} t/yr (${signed(d.change, 0, "t/yr")})`).addTo(group);
  }
  for (const f of doc.layer.features) {
    const p = f.properties;
    const geo = state.links[p.id] || f;
    const opened = p.after === "open";
    L.geoJSON(geo, { style: { color: opened ? PALETTE.diff.opened : PALETTE.diff.closed, weight: 5, opacity: 1, dashArray: opened ? null : "6 4" } })
      .bindTooltip(`${esc(p.name)}: ${esc(p.before)} → ${esc(p.after)}`).addTo(group);
  }
  const label = (s) => `${s.scenario || "no scenario"} (${s.date})`;
  const rows = [
    ...doc.links_changed.map((c) => ({ change: "status", id: c.id, name: linkLabel(c.id), before: c.before, after: c.after })),
    ...doc.crossings_changed.map((c) => ({ change: "crossing status", id: c.id, name: c.id, before: c.before, after: c.after })),
    ...doc.rules_changed.map((c) => ({ change: "rule in force", id: c.id, name: c.title, before: c.before, after: c.after })),
    ...moved.map((d) => ({ change: "tonnes per year", id: d.id, name: linkLabel(d.id), before: d.before, after: d.after })),
  ];
  return {
    layer: group, count: doc.layer.features.length + moved.length, fit: group.getBounds(),
    legend: `<h3>A → B</h3><div class="small">A: ${esc(label(doc.a))}<br>B: ${esc(label(doc.b))}</div>`
      + entry("diff-opened", { color: PALETTE.diff.opened, weight: 5 }, "opens in B")
      + entry("diff-closed", { color: PALETTE.diff.closed, weight: 5, dashArray: "6 4" }, "closes or not yet open in B")
      + entry("diff-more", { color: PALETTE.diff.more, weight: 6 }, `more tonnes in B (widest ${signed(top, 0, "t/yr")})`)
      + entry("diff-less", { color: PALETTE.diff.less, weight: 6 }, "fewer tonnes in B"),
    info: `From A, ${esc(label(doc.a))}, to B, ${esc(label(doc.b))}: ${doc.links_changed.length} links change status, `
      + `${doc.rules_changed.length} rules change, ${moved.length} links change their flow by 5% of the largest change or more `
      + `(corridor total ${num(fa.total_tonnes)} → ${num(fb.total_tonnes)} t/yr, unserved ${num(fa.unserved_tonnes)} → ${num(fb.unserved_tonnes)}).`,
    rows, name: `diff-${doc.a.scenario || "none"}-${doc.a.date}-${doc.b.scenario || "none"}-${doc.b.date}.csv`,
  };
}

// ------------------------------------------------------------------------ timeline

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
  if (state.queried && state.mode === "routes") await runRoute();
  writeURL();
}

// -------------------------------------------------------------------------- routes

function routeColour(i) { return PALETTE.routes[i % PALETTE.routes.length]; }

function query(extra) {
  const params = new URLSearchParams({
    from: $("origin").value.trim(), to: $("destination").value.trim(), date: currentDate(),
    objective: $("objective").value, k: "3",
  });
  if ($("scenario").value) params.set("scenario", $("scenario").value);
  if ($("commodity").value) params.set("commodity", $("commodity").value);
  const modes = checked("modes");
  if (modes.length && modes.length < MODES.length) params.set("modes", modes.join(","));
  const avoid = checked("avoid");
  if (avoid.length) params.set("avoid", avoid.join(","));
  for (const [k, v] of Object.entries(extra || {})) { if (v === null) params.delete(k); else params.set(k, v); }
  return params;
}

function checked(box) { return [...document.querySelectorAll(`#${box} input:checked`)].map((i) => i.value); }

function routeRow(r, i) {
  return `<tr class="route" data-index="${i}" data-countries="${r.countries.join("-")}">
    <td><span class="swatch" style="background:${routeColour(i)}"></span>${i + 1}</td><td>${r.days.toFixed(1)} d</td>
    <td>${num(r.cost_usd_per_t)} USD/t</td><td>${num(r.distance_km)} km</td>
    <td>${esc(r.countries.join(" → "))}</td></tr>`;
}

// Clears every result of the previous query, so nothing stale stays while a new one runs
// or after it fails.
function clearResults(text, dataState) {
  state.routes = [];
  state.compare = null;
  routeLayer.clearLayers();
  $("breakdown").innerHTML = "";
  $("downloads").hidden = true;
  hideChart();
  const box = $("results");
  box.dataset.state = dataState;
  box.dataset.countries = "";
  delete box.dataset.selected;
  box.innerHTML = text;
  renderLegend();
}

async function runRoute(selectIndex) {
  if (!$("origin").value || !$("destination").value) return;
  state.queried = true;
  state.mode = "routes";
  clearResults(`<p class="hint">Searching routes from ${esc($("origin").value)} to ${esc($("destination").value)}…</p>`, "loading");
  const box = $("results");
  const asked = query().toString();
  state.routeAsked = asked;
  try {
    const doc = await getJSON("/api/route?" + asked);
    if (state.routeAsked !== asked) return;
    state.routes = doc.routes;
    box.innerHTML = `<table><thead><tr><th></th><th>time</th><th>cost</th><th>distance</th><th>countries</th></tr></thead><tbody>${doc.routes.map(routeRow).join("")}</tbody></table>${shapedBy(doc)}`;
    box.dataset.countries = doc.routes[0].countries.join("-");
    box.dataset.state = "ok";
    for (const tr of box.querySelectorAll("tr.route")) tr.addEventListener("click", () => selectRoute(Number(tr.dataset.index)));
    $("downloads").hidden = false;
    const i = Number.isInteger(selectIndex) && selectIndex < doc.routes.length ? selectIndex : 0;
    selectRoute(i, true);
  } catch (e) {
    if (state.routeAsked !== asked) return;
    const none = e.body && e.body.error && e.body.error.type === "no_route";
    clearResults(`<p class="no-route">${esc(e.message)}</p>`, none ? "none" : "error");
  }
  writeURL();
}

// What is closed or in force on the date and keeps the best route off a better path,
// and that path (docs/json.md: shaped_by, unconstrained).
function shapedBy(doc) {
  const u = doc.unconstrained;
  if (!u || !(doc.shaped_by || []).length) return "";
  const items = doc.shaped_by.map((c) => `<li data-id="${esc(c.id)}">${esc(c.why)}</li>`).join("");
  return `<div id="shaped" class="shaped small"><p>Shaped by what is closed or in force on ${esc(doc.routes[0].date)}; without it: ${u.days.toFixed(1)} days, ${num(u.cost_usd_per_t)} USD/t, ${esc(u.countries.join(" → "))}</p><ul>${items}</ul></div>`;
}

// A route's course: each link along its drawn geometry (sea lanes around the coasts when
// the network gives them), oriented from where the previous link ended.
function routeLatLngs(r) {
  const out = [];
  const chords = [];
  let last = r.coordinates[0];
  for (const id of r.links || []) {
    const f = state.links[id];
    if (!f) return { path: r.coordinates.map(([lon, lat]) => [lat, lon]), chords: [] };
    let c = f.geometry.coordinates.slice();
    if (km(c[c.length - 1], last) < km(c[0], last)) c = c.reverse();
    if (chordOnly(f)) chords.push(c.map(([lon, lat]) => [lat, lon]));
    for (const pt of c) out.push([pt[1], pt[0]]);
    last = c[c.length - 1];
  }
  return { path: out.length ? out : r.coordinates.map(([lon, lat]) => [lat, lon]), chords };
}

function drawRouteLines(routes, selected) {
  routeLayer.clearLayers();
  const bounds = L.latLngBounds([]);
  routes.forEach((r, i) => {
    if (!r) return;
    const { path, chords } = routeLatLngs(r);
    const on = selected === null || i === selected;
    // a white casing under each route keeps it apart from the network below
    L.polyline(path, { color: "#fff", weight: on ? 10 : 7, opacity: 0.9, interactive: false }).addTo(routeLayer);
    L.polyline(path, { color: routeColour(i), weight: on ? 6 : 4, opacity: on ? 0.95 : 0.7 })
      .bindTooltip(`${i + 1}: ${esc(r.countries.join(" → "))}`).on("click", () => { if (state.mode === "routes") selectRoute(i); }).addTo(routeLayer);
    // a sea lane the package gives only by its ends: its course is not drawn, only marked
    for (const ch of chords) L.polyline(ch, { color: "#fff", weight: on ? 6 : 4, dashArray: "2 10", opacity: 1 }).bindTooltip("sea lane: the package gives no course, only its ports").addTo(routeLayer);
    for (const pt of path) bounds.extend(pt);
  });
  if (bounds.isValid()) fit(bounds);
}

function selectRoute(i) {
  state.selected = i;
  for (const tr of document.querySelectorAll("#results tr.route")) tr.classList.toggle("selected", Number(tr.dataset.index) === i);
  $("results").dataset.selected = String(i);
  drawRouteLines(state.routes, i);
  const r = state.routes[i];
  const legs = r.legs.map((l) => `<tr><td>${esc(l.mode)} ${esc(l.gauge || "")}</td><td>${esc(l.to_country && l.to_country !== l.country ? `${l.country}→${l.to_country}` : l.country)}</td><td>${esc(placeName(l.from))} → ${esc(placeName(l.to))}</td><td>${num(l.distance_km)} km</td><td>${l.time_h.toFixed(1)} h</td></tr>`).join("");
  const borders = r.borders.map((b) => `<tr><td>${esc(b.from)} → ${esc(b.to)}</td><td>${esc(placeName(b.place))}</td><td>${b.dwell_h.toFixed(1)} h (P90 ${b.dwell_p90_h.toFixed(0)})</td><td>${b.fee_usd_per_t.toFixed(2)} USD/t</td></tr>`).join("");
  const transfers = r.transfers.map((t) => `<tr><td>${esc(placeName(t.place))}</td><td>${esc(t.from)} → ${esc(t.to)}</td><td>${t.time_h.toFixed(1)} h</td><td>${t.gauge_change ? "gauge change" : ""}</td></tr>`).join("");
  // how the commodity is charged on each mode (rates.csv), and the event that set it
  const factor = (name, v) => (v === 1 ? "" : `${name} × ${v}`);
  const charges = (r.charges || []).map((c) => `<li>${esc(r.commodity)} by ${esc(c.mode)}${c.country ? ` in ${esc(c.country)}${c.traffic && c.traffic !== "all" ? `, ${esc(c.traffic)} traffic` : ""}` : ""}: ${([factor("rate per t-km", c.rate_factor), factor("border fees", c.fee_factor), factor("border dwell", c.dwell_factor), factor("speed", c.speed_factor), factor("back-haul rate", c.backhaul ? c.backhaul_factor : 1)].filter(Boolean).map(esc).join(", ") || "the mode's own rate, fees, dwell and speed")} <span class="small">(${c.set_by ? `event ${esc(c.set_by)}` : "rates.csv"})</span></li>`).join("");
  $("breakdown").innerHTML = `<h2><span class="swatch" style="background:${routeColour(i)}"></span>Route ${i + 1}: ${r.days.toFixed(1)} days, ${num(r.cost_usd_per_t)} USD/t, ${num(r.co2_kg_per_t)} kg CO₂/t</h2>
    <p class="small">${r.borders.length} border${r.borders.length === 1 ? "" : "s"}, ${r.gauge_changes} gauge change${r.gauge_changes === 1 ? "" : "s"}; speed ${r.indicators.speed_with_delay_kmh} km/h with delays, ${r.indicators.speed_without_delay_kmh} km/h without</p>
    <table><thead><tr><th>leg</th><th>country</th><th>from → to</th><th>km</th><th>time</th></tr></thead><tbody>${legs}</tbody></table>
    ${borders ? `<table><thead><tr><th>border</th><th>at</th><th>dwell</th><th>fee</th></tr></thead><tbody>${borders}</tbody></table>` : ""}
    ${transfers ? `<table><thead><tr><th>transfer</th><th>layers</th><th>time</th><th></th></tr></thead><tbody>${transfers}</tbody></table>` : ""}
    ${charges ? `<ul class="charges small">${charges}</ul>` : ""}`;
  drawChart([[r, i, `route ${i + 1}`]]);
  renderLegend();
  writeURL();
}

function hideChart() {
  if (state.chart) state.chart.destroy();
  state.chart = null;
  $("chart-box").hidden = true;
}

function drawChart(series) {
  hideChart();
  if (!series.length) return;
  $("chart-box").hidden = false;
  state.chart = new Chart($("chart"), {
    type: "line",
    data: { datasets: series.map(([r, i, label]) => ({
      label,
      data: r.steps.map((s) => ({ x: s.distance_km, y: s.time_h / 24 })),
      borderColor: routeColour(i), backgroundColor: routeColour(i),
      pointRadius: r.steps.map((s) => (s.kind === "border" || s.kind === "transfer") ? 3 : 0),
    })) },
    options: {
      animation: false, parsing: false, maintainAspectRatio: false,
      plugins: { title: { display: true, text: "cumulative time over distance (points: borders, transfers)" } },
      scales: { x: { type: "linear", title: { display: true, text: "km" } }, y: { title: { display: true, text: "days" } } },
    },
  });
}

// ------------------------------------------------------------------------- compare

// The two sides of the comparison: a scenario with an optional date each. Without a date
// the server evaluates a scenario at its horizon and no scenario as of the data.
function compareSides() {
  return ["a", "b"].map((s) => ({ scenario: $(`cmp-${s}-scenario`).value || null, date: $(`cmp-${s}-date`).value || null }));
}

function openCompareForm() {
  const form = $("compare-form");
  if (!form.hidden) return;
  form.hidden = false;
  $("compare-btn").setAttribute("aria-expanded", "true");
  if (!$("cmp-a-scenario").dataset.touched && !$("cmp-b-scenario").dataset.touched) {
    const page = $("scenario").value;
    const first = state.scenarios.length ? state.scenarios[0].id : "";
    $("cmp-a-scenario").value = "";
    $("cmp-b-scenario").value = page || first;
  }
}

async function runCompare() {
  if (!$("origin").value || !$("destination").value) {
    clearResults(`<p class="no-route">Type a place to start from and one to go to first.</p>`, "error");
    return;
  }
  state.queried = true;
  state.mode = "compare";
  clearResults(`<p class="hint">Comparing A and B…</p>`, "loading");
  const sides = compareSides();
  const asked = JSON.stringify([query().toString(), sides]);
  state.routeAsked = asked;
  const base = query();
  let rows;
  try {
    rows = await Promise.all(sides.map(async (s) => {
      const params = new URLSearchParams({ from: base.get("from"), to: base.get("to"), objective: base.get("objective"), scenarios: s.scenario || "none" });
      if (s.date) params.set("dates", s.date);
      for (const k of ["modes", "avoid", "commodity"]) if (base.get(k)) params.set(k, base.get(k));
      return (await getJSON("/api/compare?" + params)).rows[0];
    }));
  } catch (e) {
    if (state.routeAsked !== asked) return;
    clearResults(`<p class="error">${esc(e.message)}</p>`, "error");
    writeURL();
    return;
  }
  if (state.routeAsked !== asked) return;
  state.compare = { sides: rows.map((row, i) => ({ name: "AB"[i], row, asked: sides[i] })) };
  renderCompare();
  writeURL();
  if ($("analysis").value === "diff") loadAnalysis();
}

function bordersOf(r) { return r.borders.map((b) => `${b.from}→${b.to} at ${placeName(b.place)}`); }
function postsOf(r) { return r.borders.map((b) => placeName(b.place)); }

function renderCompare() {
  const [A, B] = state.compare.sides;
  const ra = A.row.route;
  const rb = B.row.route;
  const head = (s, i) => `<th scope="col"><span class="swatch" style="background:${routeColour(i)}"></span>${s.name}: ${esc(s.row.scenario || "no scenario")}<br><span class="small">${esc(s.row.date)}${s.asked.date ? "" : s.row.scenario ? ", its horizon" : ", as of the data"}</span></th>`;
  const cell = (r, f) => (r ? f(r) : "—");
  const delta = (f, digits, unit) => (ra && rb ? signed(f(rb) - f(ra), digits, unit) : "");
  const setDiff = (x, y) => x.filter((v) => !y.includes(v));
  const lines = [
    ["route?", (s) => (s.row.exists ? "yes" : `<span class="no-route">no: ${esc(s.row.reason || "")}</span>`), ""],
    ["time", (s) => cell(s.row.route, (r) => `${r.days.toFixed(1)} d`), delta((r) => r.days, 1, "d")],
    ["cost", (s) => cell(s.row.route, (r) => `${num(r.cost_usd_per_t)} USD/t`), delta((r) => r.cost_usd_per_t, 0, "USD/t")],
    ["distance", (s) => cell(s.row.route, (r) => `${num(r.distance_km)} km`), delta((r) => r.distance_km, 0, "km")],
    ["CO₂", (s) => cell(s.row.route, (r) => `${num(r.co2_kg_per_t)} kg/t`), delta((r) => r.co2_kg_per_t, 0, "kg/t")],
    ["countries", (s) => cell(s.row.route, (r) => esc(r.countries.join(" → "))),
      ra && rb ? esc([...setDiff(rb.countries, ra.countries).map((c) => "+" + c), ...setDiff(ra.countries, rb.countries).map((c) => "−" + c)].join(" ") || "same") : ""],
    ["borders", (s) => cell(s.row.route, (r) => esc(bordersOf(r).join("; ") || "none")),
      ra && rb ? esc([...setDiff(postsOf(rb), postsOf(ra)).map((c) => "+" + c), ...setDiff(postsOf(ra), postsOf(rb)).map((c) => "−" + c)].join(", ") || "same") : ""],
  ];
  const box = $("results");
  box.innerHTML = `<h2>${esc(A.row.route ? placeName(A.row.route.origin) : $("origin").value)} → ${esc(A.row.route ? placeName(A.row.route.destination) : $("destination").value)}: A and B</h2>
    <table id="comparison" data-a-countries="${ra ? ra.countries.join("-") : ""}" data-b-countries="${rb ? rb.countries.join("-") : ""}">
    <thead><tr><th></th>${head(A, 0)}${head(B, 1)}<th>B − A</th></tr></thead><tbody>
    ${lines.map(([name, f, d]) => `<tr data-row="${esc(name)}"><th>${name}</th><td>${f(A)}</td><td>${f(B)}</td><td class="delta">${d}</td></tr>`).join("")}
    </tbody></table>`;
  box.dataset.state = "compare";
  box.dataset.countries = [ra, rb].map((r) => (r ? r.countries.join("-") : "")).join("|");
  $("downloads").hidden = false;
  drawRouteLines([ra, rb], null);
  drawChart([[ra, 0, "A"], [rb, 1, "B"]].filter(([r]) => r));
  renderLegend();
}

// ------------------------------------------------------------------------ downloads

function download(name, type, content) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function csv(rows) {
  if (!rows.length) return "";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(","), ...rows.map((r) => cols.map((c) => cell(r[c])).join(","))].join("\n") + "\n";
}

function routeRecord(r) {
  return {
    origin: placeName(r.origin), destination: placeName(r.destination), date: r.date, scenario: r.scenario || "",
    commodity: r.commodity, objective: r.objective, days: r.days, time_h: r.time_h, cost_usd_per_t: r.cost_usd_per_t,
    distance_km: r.distance_km, co2_kg_per_t: r.co2_kg_per_t, countries: r.countries.join("-"),
    borders: bordersOf(r).join("; "), gauge_changes: r.gauge_changes, modes: r.modes.join("-"),
    places: r.places.map(placeName).join(" > "),
  };
}

function routeFeature(r, props) {
  return { type: "Feature", geometry: { type: "LineString", coordinates: routeLatLngs(r).path.map(([lat, lon]) => [lon, lat]) }, properties: { ...props, ...routeRecord(r), links: r.links } };
}

function slug() { return `${$("origin").value}-${$("destination").value}`.toLowerCase().replace(/[^a-z0-9]+/g, "-"); }

function downloadResult(kind) {
  let rows;
  let feats;
  let name;
  if (state.mode === "compare" && state.compare) {
    rows = state.compare.sides.map((s) => ({ side: s.name, label: s.row.label, state_date: s.row.date, state_scenario: s.row.scenario || "", exists: s.row.exists, reason: s.row.reason || "", ...(s.row.route ? routeRecord(s.row.route) : {}) }));
    feats = state.compare.sides.filter((s) => s.row.route).map((s) => routeFeature(s.row.route, { side: s.name, label: s.row.label }));
    name = `compare-${slug()}`;
  } else {
    rows = state.routes.map((r, i) => ({ rank: i + 1, selected: i === state.selected, ...routeRecord(r) }));
    feats = state.routes.map((r, i) => routeFeature(r, { rank: i + 1 }));
    name = `routes-${slug()}`;
  }
  if (kind === "csv") download(name + ".csv", "text/csv", csv(rows));
  else download(name + ".geojson", "application/geo+json", JSON.stringify({ type: "FeatureCollection", features: feats }));
}

// The map view as a PNG: Leaflet's canvases (outlines, network, analysis, routes) drawn
// in place on one canvas, with the place labels and the legend's words on top.
function downloadPNG() {
  const el = $("map");
  const box = el.getBoundingClientRect();
  const scale = window.devicePixelRatio || 1;
  const out = document.createElement("canvas");
  out.width = Math.round(box.width * scale);
  out.height = Math.round(box.height * scale);
  const ctx = out.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = "#dfeaf3";
  ctx.fillRect(0, 0, box.width, box.height);
  for (const c of el.querySelectorAll("canvas")) {
    const r = c.getBoundingClientRect();
    ctx.drawImage(c, r.left - box.left, r.top - box.top, r.width, r.height);
  }
  ctx.font = "600 11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (const t of el.querySelectorAll(".place-label")) {
    const r = t.getBoundingClientRect();
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#fff";
    ctx.strokeText(t.textContent, r.left - box.left + 4, r.top - box.top + r.height / 2);
    ctx.fillStyle = "#1f2933";
    ctx.fillText(t.textContent, r.left - box.left + 4, r.top - box.top + r.height / 2);
  }
  const items = [...$("legend").querySelectorAll(".entry, h3")];
  if (items.length) {
    const w = 300;
    const h = 8 + 16 * items.length;
    const x0 = box.width - w - 10;
    const y0 = box.height - h - 30;
    ctx.fillStyle = "rgba(255,255,255,.94)";
    ctx.fillRect(x0, y0, w, h);
    items.forEach((it, i) => {
      const y = y0 + 12 + 16 * i;
      const line = it.querySelector("line");
      if (line) {
        ctx.strokeStyle = line.getAttribute("stroke");
        ctx.lineWidth = Math.min(6, Number(line.getAttribute("stroke-width")));
        ctx.setLineDash((line.getAttribute("stroke-dasharray") || "").split(" ").filter(Boolean).map(Number));
        ctx.beginPath(); ctx.moveTo(x0 + 6, y); ctx.lineTo(x0 + 34, y); ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.fillStyle = "#1f2933";
      ctx.font = it.tagName === "H3" ? "700 10px system-ui, sans-serif" : "11px system-ui, sans-serif";
      ctx.fillText(it.textContent.slice(0, 48), x0 + (it.tagName === "H3" ? 6 : 40), y);
    });
  }
  ctx.fillStyle = "#1f2933";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`Overland · ${currentDate()}${$("scenario").value ? " · " + $("scenario").value : ""} · ${location.href}`.slice(0, 160), 8, box.height - 10);
  out.toBlob((blob) => download(`overland-map-${currentDate()}.png`, "image/png", blob), "image/png");
}

// ----------------------------------------------------------------------- permalinks

// The page's whole state in the URL (replaced as it changes; opening it restores it).
function writeURL() {
  if (state.restoring) return;
  const p = new URLSearchParams();
  p.set("date", currentDate());
  if ($("scenario").value) p.set("scenario", $("scenario").value);
  if (shownLayers().length) p.set("layers", shownLayers().join(","));
  if ($("analysis").value) p.set("analysis", $("analysis").value);
  if ($("origin").value) p.set("from", $("origin").value);
  if ($("destination").value) p.set("to", $("destination").value);
  if ($("commodity").value && $("commodity").value !== "general") p.set("commodity", $("commodity").value);
  if ($("objective").value !== "generalized") p.set("objective", $("objective").value);
  const modes = checked("modes");
  if (modes.length < MODES.length) p.set("modes", modes.join(",") || "none");
  if (checked("avoid").length) p.set("avoid", checked("avoid").join(","));
  if (state.mode === "routes" && state.routes.length) p.set("route", String(state.selected + 1));
  if (!$("compare-form").hidden || state.mode === "compare") {
    const [a, b] = compareSides();
    p.set("a", `${a.scenario || "none"}${a.date ? "@" + a.date : ""}`);
    p.set("b", `${b.scenario || "none"}${b.date ? "@" + b.date : ""}`);
  }
  if (state.mode === "compare") p.set("view", "compare");
  history.replaceState(null, "", `${location.pathname}?${p}`);
  document.body.dataset.url = p.toString();
}

function setSide(side, text) {
  const [scen, date] = (text || "none").split("@");
  const sel = $(`cmp-${side}-scenario`);
  sel.value = scen === "none" ? "" : scen;
  sel.dataset.touched = "1";
  $(`cmp-${side}-date`).value = date || "";
}

async function restore(p) {
  if (p.get("scenario")) $("scenario").value = p.get("scenario");
  const date = p.get("date") || (p.get("scenario") && state.horizons[p.get("scenario")]) || state.asOf;
  setDate(date, false);
  for (const box of document.querySelectorAll("#layers input")) box.checked = (p.get("layers") || "").split(",").includes(box.value);
  if (p.get("modes")) for (const box of document.querySelectorAll("#modes input")) box.checked = p.get("modes").split(",").includes(box.value);
  for (const box of document.querySelectorAll("#avoid input")) box.checked = (p.get("avoid") || "").split(",").includes(box.value);
  if (p.get("from")) $("origin").value = p.get("from");
  if (p.get("to")) $("destination").value = p.get("to");
  if (p.get("commodity")) $("commodity").value = p.get("commodity");
  if (p.get("objective")) $("objective").value = p.get("objective");
  if (p.get("a") || p.get("b")) {
    setSide("a", p.get("a"));
    setSide("b", p.get("b"));
    $("compare-form").hidden = false;
    $("compare-btn").setAttribute("aria-expanded", "true");
  }
  $("analysis").value = p.get("analysis") || "";
}

// ---------------------------------------------------------------------------- start

async function init() {
  const slider = $("date");
  slider.max = String(Math.round((END - START) / DAY));
  // the page opens on the date the package's data is current to (its data_as_of)
  const health = await getJSON("/api/health");
  state.asOf = health.data_as_of;
  setDate(health.data_as_of, false);
  slider.addEventListener("input", () => { $("date-label").textContent = currentDate(); });
  slider.addEventListener("change", onDateChange);
  $("date-text").addEventListener("change", () => { if ($("date-text").value) setDate($("date-text").value, true); });
  $("scenario").addEventListener("change", async () => {
    // a scenario opens at its horizon (the date of its last event); the slider still moves
    const horizon = state.horizons[$("scenario").value];
    setDate(horizon || state.asOf, false);
    await loadEvents();
    await onDateChange();
  });
  $("route-btn").addEventListener("click", () => runRoute());
  $("analysis").addEventListener("change", loadAnalysis);
  $("compare-btn").addEventListener("click", () => { openCompareForm(); writeURL(); });
  $("compare-run").addEventListener("click", runCompare);
  for (const s of ["a", "b"]) {
    $(`cmp-${s}-scenario`).addEventListener("change", (e) => { e.target.dataset.touched = "1"; writeURL(); });
    $(`cmp-${s}-date`).addEventListener("change", writeURL);
  }
  $("dl-csv").addEventListener("click", () => downloadResult("csv"));
  $("dl-geojson").addEventListener("click", () => downloadResult("geojson"));
  $("dl-analysis").addEventListener("click", () => { if (state.analysis) download(state.analysis.name, "text/csv", csv(state.analysis.rows)); });
  $("dl-png").addEventListener("click", downloadPNG);
  for (const id of ["commodity", "objective"]) $(id).addEventListener("change", writeURL);
  for (const m of MODES) {
    $("modes").insertAdjacentHTML("beforeend", `<label><input type="checkbox" value="${m}" checked> ${m}</label>`);
  }
  for (const layer of UTILITY) {
    $("layers").insertAdjacentHTML("beforeend", `<label>${lineSample(NET_STYLE[layer])}<input type="checkbox" value="${layer}"> ${layer.replace("_", " ")}</label>`);
  }
  for (const box of document.querySelectorAll("#layers input")) box.addEventListener("change", () => { drawNetwork(box.checked); writeURL(); });
  for (const box of document.querySelectorAll("#modes input, #avoid input")) box.addEventListener("change", writeURL);
  for (const c of COUNTRIES) {
    $("avoid").insertAdjacentHTML("beforeend", `<label><input type="checkbox" value="${c}"> ${c}</label>`);
  }
  const [places, scenarios, commodities] = await Promise.all([
    getJSON("/api/places"), getJSON("/api/scenarios"), getJSON("/api/commodities")]);
  state.places = places.places;
  for (const p of state.places) state.byId[p.id] = p;
  $("place-list").innerHTML = state.places.filter((p) => p.freight).map((p) => `<option value="${esc(p.name)}">`).join("");
  state.scenarios = scenarios.scenarios;
  for (const s of scenarios.scenarios) {
    state.horizons[s.id] = s.horizon;
    $("scenario").insertAdjacentHTML("beforeend", `<option value="${esc(s.id)}" title="${esc(s.title)}">${esc(s.id)} (to ${esc(s.horizon)})</option>`);
    for (const side of ["a", "b"]) $(`cmp-${side}-scenario`).insertAdjacentHTML("beforeend", `<option value="${esc(s.id)}" title="${esc(s.title)}">${esc(s.id)}</option>`);
  }
  $("commodity").innerHTML = commodities.commodities.map((c) => `<option value="${esc(c.id)}"${c.id === "general" ? " selected" : ""}>${esc(c.name)}</option>`).join("");
  $("package-title").textContent = `${health.title}: ${health.places} places, data as of ${health.data_as_of}`;
  const params = new URLSearchParams(location.search);
  state.restoring = true;
  await restore(params);
  await Promise.all([loadOutlines(), loadEvents(), loadNetwork()]);
  if (shownLayers().length) drawNetwork(true);
  state.restoring = false;
  if ($("analysis").value) await loadAnalysis();
  if ($("origin").value && $("destination").value) {
    if (params.get("view") === "compare") await runCompare();
    else if (params.get("route")) await runRoute(Number(params.get("route")) - 1);
  }
  writeURL();
  document.body.dataset.ready = "1";
}

init().catch((e) => {
  $("results").dataset.state = "error";
  $("results").innerHTML = `<p class="error">The page could not start: ${esc(e.message)}</p>`;
});
