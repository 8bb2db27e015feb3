// matchcast dashboard: a client of the public API like any other (no bulk endpoint, ADR-0006).
"use strict";

const PAGE_SIZE = 50;
const CONCURRENCY = 8; // parallel GET /predict/{id} at most
const OUTCOMES = [["h", "p_home", "Home"], ["d", "p_draw", "Draw"], ["a", "p_away", "Away"]];
const PICK = { H: "Home win", D: "Draw", A: "Away win" };
const NAMES = {
  class_prior: "Class prior", class_prior_league: "Class prior by league", elo: "Elo",
  dixon_coles: "Dixon–Coles", market_proportional: "Market (proportional)",
  market_shin: "Market (Shin)", market_power: "Market (power)",
};
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
const state = { offset: 0, total: 0, generation: 0, asOf: null, modelLoaded: false };

// --- helpers -------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "scope" || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value != null) node.setAttribute(key, value);
  for (const child of children) if (child != null) node.append(child);
  return node;
}

const num = (x, digits = 4) => (x == null || Number.isNaN(x) ? "—" : Number(x).toFixed(digits));
const pct = (p, digits = 0) => (100 * p).toFixed(digits);
const signed = (x, digits = 4) => (x == null ? "—" : `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`);

async function getJSON(url, signal) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, signal });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const error = new Error(`${response.status} ${typeof body.detail === "string" ? body.detail : response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function isoDay(date) { return date.toISOString().slice(0, 10); }
function shiftDay(iso, days) { const d = new Date(`${iso}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + days); return isoDay(d); }

function setStatus(id, message, isError = false) {
  const node = $(id);
  node.textContent = message;
  node.classList.toggle("error", isError);
}

// Run `worker` over `items` with at most `limit` calls in flight.
async function pool(items, limit, worker) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index], index);
    }
  });
  await Promise.all(lanes);
}

// --- views ---------------------------------------------------------------------------------------

const VIEWS = ["matches", "model", "value"];
function currentView() { const v = location.hash.slice(1); return VIEWS.includes(v) ? v : "matches"; }

function showView(fromUser) {
  const view = currentView();
  for (const name of VIEWS) {
    $(`view-${name}`).hidden = name !== view;
    const tab = $(`tab-${name}`);
    if (name === view) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
  }
  document.title = view === "matches" ? "matchcast — forecasts" : `matchcast — ${view}`;
  if (view === "model" && !state.modelLoaded) { state.modelLoaded = true; loadModelView(); }
  if (view === "value" && !state.valueLoaded) { state.valueLoaded = true; loadValueView(); }
  if (fromUser) { const heading = $(`${view}-title`); heading.tabIndex = -1; heading.focus(); }
}

// --- matches page --------------------------------------------------------------------------------

function probabilityCell(prediction) {
  const td = el("td", { class: "probs", "data-label": "Home / Draw / Away" });
  if (!prediction) return td;
  const bar = el("div", { class: "bar", role: "img",
    "aria-label": OUTCOMES.map(([, key, label]) => `${label} ${pct(prediction[key], 1)}%`).join(", ") });
  for (const [cls, key, label] of OUTCOMES) {
    const seg = el("span", { class: `seg ${cls}`, text: `${pct(prediction[key])}%`, title: `${label} ${pct(prediction[key], 1)}%`,
      "data-outcome": cls.toUpperCase() });
    seg.style.flexGrow = String(prediction[key]);
    seg.style.flexBasis = "0";
    bar.append(seg);
  }
  td.append(bar);
  return td;
}

function oddsText(odds) {
  return odds ? [odds.home, odds.draw, odds.away].map((o) => Number(o).toFixed(2)).join(" · ") : "—";
}

function resultCell(match, prediction) {
  const td = el("td", { class: "result", "data-label": "Result" });
  if (match.status !== "finished") { td.append(el("span", { class: "muted", text: "upcoming" })); return td; }
  const score = match.home_goals == null ? match.result : `${match.home_goals}–${match.away_goals}`;
  td.append(el("span", { class: "score", text: score }));
  if (prediction && prediction.correct != null) {
    td.append(el("span", { class: `verdict ${prediction.correct ? "right" : "wrong"}`,
      text: prediction.correct ? "✓ right" : "✗ wrong", "data-correct": String(prediction.correct) }));
  }
  return td;
}

// --- markets (expandable under a row; priced by the batch stage from the score grid) ----------

const AH_SHOWN = [-1.5, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5];
const lineText = (x) => (x > 0 ? `+${x}` : String(x));

function marketTable(caption, head, rows, key) {
  const t = el("table", { class: "data mkt", "data-market": key },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col", text: h })))));
  t.append(el("tbody", {}, ...rows.map((r) => el("tr", {},
    el("th", { scope: "row", text: r[0] }), ...r.slice(1).map((c) => el("td", { class: "num", text: c }))))));
  return t;
}

function marketsPanel(m, aware) {
  const p = (x) => `${pct(x, 1)}%`;
  const odds = (x) => (x == null ? "—" : Number(x).toFixed(2));
  const xg = m.expected_goals;
  const dc = m.double_chance;
  return el("div", { class: "markets-panel", "data-testid": "markets" },
    aware ? el("p", { class: "aware", "data-testid": "market-aware",
      text: `Market-aware forecast (pre-match price + football): home ${p(aware.home)} · draw ${p(aware.draw)} · away ${p(aware.away)}` }) : null,
    el("p", { class: "xg", "data-market": "expected_goals",
      text: `Expected goals ${xg.home.toFixed(2)} – ${xg.away.toFixed(2)} · both teams score ${p(m.btts.yes)}` }),
    marketTable("Over / under", ["Goals", "Over", "Under"],
      m.over_under.map((x) => [String(x.line), p(x.over), p(x.under)]), "over_under"),
    marketTable("Double chance", ["Outcome", "Probability"],
      [["Home or draw", p(dc.home_or_draw)], ["Home or away", p(dc.home_or_away)], ["Draw or away", p(dc.draw_or_away)]],
      "double_chance"),
    marketTable("Asian handicap (home line; fair odds)", ["Line", "Home", "Away"],
      m.asian_handicap.filter((x) => AH_SHOWN.includes(x.line))
        .map((x) => [lineText(x.line), odds(x.home.fair_odds), odds(x.away.fair_odds)]), "asian_handicap"),
    marketTable("Likeliest scores", ["Score", "Probability"],
      m.correct_scores.map((s) => [`${s.home}–${s.away}`, p(s.p)]), "correct_scores"));
}

function toggleMarkets(tr, button, markets, aware) {
  const open = button.getAttribute("aria-expanded") === "true";
  const next = tr.nextElementSibling;
  if (open) {
    if (next?.classList.contains("markets-row")) next.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const detail = el("tr", { class: "markets-row", "data-markets-for": tr.dataset.matchId },
    el("td", { colSpan: 7 }, marketsPanel(markets, aware)));
  tr.after(detail);
  button.setAttribute("aria-expanded", "true");
}

function fillRow(tr, match, prediction, failed) {
  const matchCell = el("td", { class: "match", "data-label": "Match" },
    el("span", { class: "teams", text: `${match.home_team} – ${match.away_team}` }),
    el("span", { class: "sub", text: `${match.league} · ${match.season}` }));
  if (prediction?.markets) {
    const button = el("button", { type: "button", class: "secondary expand", text: "Markets",
      "aria-expanded": "false", title: "Totals, both teams to score, Asian handicap, likeliest scores" });
    button.addEventListener("click", () => toggleMarkets(tr, button, prediction.markets, prediction.market_aware));
    matchCell.append(button);
  }
  const cells = [
    el("td", { class: "kick", "data-label": "Kick-off", text: match.kickoff.replace("T", " ").slice(0, 16) }),
    matchCell,
  ];
  if (prediction) {
    cells.push(probabilityCell(prediction));
    cells.push(el("td", { class: "pick", "data-label": "Forecast", text: PICK[prediction.predicted] }));
    cells.push(el("td", { class: "num fair", "data-label": "Fair odds", text: oddsText(prediction.fair_odds) }));
    cells.push(el("td", { class: "num market", "data-label": "Market odds", text: oddsText(prediction.market_odds) }));
  } else {
    const text = failed ? "forecast unavailable" : match.has_prediction ? "loading…"
      : match.status === "finished" ? "no forecast logged before kick-off" : "no forecast yet";
    const td = el("td", { class: "probs", "data-label": "Home / Draw / Away" }, el("span", { class: "pending", text }));
    cells.push(td, el("td", { "data-label": "Forecast" }), el("td", { class: "num", "data-label": "Fair odds" }),
      el("td", { class: "num", "data-label": "Market odds" }));
  }
  cells.push(resultCell(match, prediction));
  tr.replaceChildren(...cells);
}

function filters() {
  return { league: $("league").value, status: $("status").value, from: $("from").value, to: $("to").value };
}

async function loadMatches() {
  const generation = ++state.generation;
  const controller = new AbortController();
  state.abort?.abort();
  state.abort = controller;
  const f = filters();
  if (f.from && f.to && f.from > f.to) { setStatus("matches-status", "“From” is after “To”: nothing to show.", true); return; }
  const params = new URLSearchParams({ limit: PAGE_SIZE, offset: state.offset });
  if (f.league) params.set("league", f.league);
  if (f.status) params.set("status", f.status);
  if (f.from) params.set("date_from", f.from);
  if (f.to) params.set("date_to", f.to);
  setStatus("matches-status", "Loading matches…");
  let page;
  try {
    page = await getJSON(`/matches?${params}`, controller.signal);
  } catch (err) {
    if (err.name !== "AbortError") setStatus("matches-status", `Could not load matches: ${err.message}`, true);
    return;
  }
  if (generation !== state.generation) return;
  state.total = page.total;
  const rows = page.items.map((match) => {
    const tr = el("tr", { class: match.status, "data-match-id": match.match_id, "data-status": match.status, "data-league": match.league });
    fillRow(tr, match, null, false);
    return tr;
  });
  $("rows").replaceChildren(...rows);
  const last = Math.min(state.offset + PAGE_SIZE, state.total);
  $("page").textContent = state.total ? `${state.offset + 1}–${last} of ${state.total}` : "";
  $("prev").disabled = state.offset === 0;
  $("next").disabled = last >= state.total;
  if (!page.items.length) { setStatus("matches-status", "No matches for these filters."); return; }
  const wanted = page.items.map((m, i) => [m, i]).filter(([m]) => m.prediction_url);
  setStatus("matches-status", `Loading ${wanted.length} forecasts…`);
  let failures = 0;
  await pool(wanted, CONCURRENCY, async ([match, i]) => {
    try {
      const prediction = await getJSON(match.prediction_url, controller.signal);
      if (generation === state.generation) fillRow(rows[i], match, prediction, false);
    } catch (err) {
      if (err.name === "AbortError") return;
      failures += 1;
      if (generation === state.generation) fillRow(rows[i], match, null, true);
    }
  });
  if (generation !== state.generation) return;
  // Marks for benchmarks/dashboard_paint.py: every row and forecast of the page is in the DOM,
  // then painted (the next frame).
  performance.mark(`forecasts-rendered-${generation}`);
  requestAnimationFrame(() => setTimeout(() => performance.mark(`forecasts-painted-${generation}`), 0));
  const summary = `${page.items.length} matches (${state.offset + 1}–${last} of ${state.total}), ${wanted.length - failures} forecasts.`;
  setStatus("matches-status", failures ? `${summary} ${failures} could not be loaded.` : summary, failures > 0);
  document.body.dataset.matchesLoaded = String(generation);
}

// The first screen: the upcoming matches of the forecast horizon, with their forecasts.
function defaultDates() {
  if (!state.asOf) return;
  $("from").value = state.asOf;
  $("to").value = shiftDay(state.asOf, 14);
}

async function initMatches() {
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); state.offset = 0; loadMatches(); });
  $("reset").addEventListener("click", () => { $("league").value = ""; $("status").value = "scheduled"; defaultDates(); state.offset = 0; loadMatches(); });
  $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); loadMatches(); });
  $("next").addEventListener("click", () => { if (state.offset + PAGE_SIZE < state.total) { state.offset += PAGE_SIZE; loadMatches(); } });
  const query = new URLSearchParams(location.search);
  const leagues = getJSON("/leagues").then((body) => {
    const chosen = query.get("league") || $("league").value;
    $("league").append(...body.leagues.map((code) => el("option", { value: code, text: code })));
    $("league").value = chosen;
  }).catch(() => { /* the filter keeps "All leagues" */ });
  // The default date range is around the forecasts' information date (from /model);
  // filters given in the address (e.g. /?league=E0&from=2026-03-01) skip that wait.
  const model = getJSON("/model").then((m) => {
    const forecastsAsOf = m.predictions?.features_as_of || null;
    state.asOf = forecastsAsOf || m.trained_through || null;
    const when = forecastsAsOf ? ` · forecasts as of ${forecastsAsOf}`
      : m.trained_through ? ` · trained through ${m.trained_through}` : "";
    $("model-badge").textContent = `${m.name} v${m.version} @${m.alias}${when}`;
    if (m.as_of) {
      const mode = $("mode-badge");
      mode.textContent = m.as_of.mode === "live" ? `live · ${m.as_of.as_of}` : `replay of ${m.as_of.as_of}`;
      mode.title = m.as_of.reason;
      mode.dataset.mode = m.as_of.mode;
      mode.hidden = false;
    }
  }).catch((err) => { $("model-badge").textContent = `model unavailable: ${err.message}`; });
  if (!(query.has("from") || query.has("to"))) { await model; defaultDates(); }
  for (const id of ["status", "from", "to"]) if (query.has(id)) $(id).value = query.get(id);
  if (query.has("league")) { await leagues; }
  await loadMatches();
}

// --- model page ----------------------------------------------------------------------------------

function metaList(pairs) {
  return pairs.filter(([, v]) => v != null && v !== "").flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]);
}

function table(node, caption, head, rows) {
  const thead = el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { scope: "col", class: i ? "num" : null, text: h }))));
  const tbody = el("tbody", {}, ...rows.map((r) => el("tr", { class: r.cls || null, "data-key": r.key || null },
    el("th", { scope: "row", text: r.cells[0] }), ...r.cells.slice(1).map((c) => el("td", { class: "num", text: c })))));
  node.replaceChildren(el("caption", { class: "sr-only", text: caption }), thead, tbody);
}

function scoreCells(name, s) {
  return [name, s?.n ?? "—", num(s?.log_loss), num(s?.rps), num(s?.brier), num(s?.ece), s?.accuracy == null ? "—" : `${pct(s.accuracy, 1)}%`];
}

function renderEvaluation(ev) {
  const seasons = ev.test_seasons?.length ? `Test seasons ${ev.test_seasons.join(", ")}` : "Test period";
  const gap = ev.gap || {};
  $("scores-note").textContent = `${seasons}; every forecaster on the same ${ev.test?.n ?? "?"} matches. ` +
    `Model − market: log-loss ${signed(gap.log_loss)} ± ${num(gap.log_loss_se)}, RPS ${signed(gap.rps)} ± ${num(gap.rps_se)} (lower is better).`;
  const rows = [{ key: "model", cls: "ours", cells: scoreCells(`Model v${ev.model.version} (${ev.model.alias})`, ev.test) }];
  if (ev.market) rows.push({ key: "market", cells: scoreCells(`${NAMES[ev.market.method] || "Market"} — benchmark`, ev.market) });
  for (const [name, s] of Object.entries(ev.market_methods || {})) {
    if (ev.market && name === ev.market.method) continue;
    rows.push({ key: name, cells: scoreCells(NAMES[name] || name, s) });
  }
  for (const [name, s] of Object.entries(ev.baselines || {})) rows.push({ key: name, cells: scoreCells(NAMES[name] || name, s) });
  table($("scores"), "Test scores of the model, the market and the baselines",
    ["Forecaster", "Matches", "Log-loss", "RPS", "Brier", "ECE", "Accuracy"], rows);
  table($("leagues"), "Test scores by league: model, market and the gap between them",
    ["League", "Matches", "Model log-loss", "Market log-loss", "Gap", "Model RPS", "Market RPS", "Gap (RPS)"],
    (ev.per_league || []).map((l) => ({ key: l.league, cells: [l.league, l.n, num(l.model?.log_loss), num(l.market?.log_loss),
      signed(l.gap?.log_loss), num(l.model?.rps), num(l.market?.rps), signed(l.gap?.rps)] })));
  $("reliability").replaceChildren(reliabilityChart(ev.calibration || []));
  $("reliability-table").replaceChildren(calibrationDetails(ev.calibration || []));
}

// Reliability diagram: one point per (outcome, probability bin), area by number of forecasts.
function reliabilityChart(bins) {
  const W = 400, H = 400, m = { l: 52, r: 14, t: 14, b: 46 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const x = (p) => m.l + p * pw, y = (p) => m.t + (1 - p) * ph;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "rel-title rel-desc",
    "data-plot": [m.l, m.t, pw, ph].join(",") },
  svg("title", { id: "rel-title" }, "Reliability diagram"),
  svg("desc", { id: "rel-desc" }, `${bins.length} bins of home, draw and away forecasts; the table below lists them.`));
  for (let t = 0; t <= 1.0001; t += 0.2) {
    root.append(svg("line", { class: "gridline", x1: x(t), x2: x(t), y1: y(0), y2: y(1) }),
      svg("line", { class: "gridline", x1: x(0), x2: x(1), y1: y(t), y2: y(t) }),
      svg("text", { x: x(t), y: y(0) + 18, "text-anchor": "middle" }, t.toFixed(1)),
      svg("text", { x: x(0) - 8, y: y(t) + 4, "text-anchor": "end" }, t.toFixed(1)));
  }
  root.append(svg("line", { class: "axis", x1: x(0), x2: x(1), y1: y(0), y2: y(0) }),
    svg("line", { class: "axis", x1: x(0), x2: x(0), y1: y(0), y2: y(1) }),
    svg("line", { class: "diag", x1: x(0), y1: y(0), x2: x(1), y2: y(1) }),
    svg("text", { x: x(0.5), y: H - 8, "text-anchor": "middle" }, "forecast probability"),
    svg("text", { x: 14, y: y(0.5), "text-anchor": "middle", transform: `rotate(-90 14 ${y(0.5)})` }, "observed frequency"));
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  for (const [outcome, label] of [["H", "home"], ["D", "draw"], ["A", "away"]]) {
    const own = bins.filter((b) => b.outcome === outcome).sort((a, b) => a.mean_predicted - b.mean_predicted);
    const cls = outcome.toLowerCase();
    if (own.length > 1) {
      root.append(svg("polyline", { class: `ln-${cls}`, fill: "none", "stroke-width": 1.5, "stroke-opacity": 0.7,
        points: own.map((b) => `${x(b.mean_predicted)},${y(b.observed_rate)}`).join(" ") }));
    }
    for (const b of own) {
      const r = 3 + 5 * Math.sqrt(b.count / maxCount);
      const cx = x(b.mean_predicted), cy = y(b.observed_rate);
      const shape = outcome === "H" ? svg("circle", { cx, cy, r })
        : outcome === "D" ? svg("rect", { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r })
          : svg("path", { d: `M${cx},${cy - r * 1.2} L${cx + r * 1.1},${cy + r * 0.8} L${cx - r * 1.1},${cy + r * 0.8} Z` });
      shape.setAttribute("class", `pt pt-${cls}`);
      shape.setAttribute("fill-opacity", "0.85");
      shape.dataset.outcome = outcome;
      shape.dataset.cx = String(cx);
      shape.dataset.cy = String(cy);
      shape.append(svg("title", {}, `${label}: forecast ${pct(b.mean_predicted, 1)}%, happened ${pct(b.observed_rate, 1)}% of ${b.count}`));
      root.append(shape);
    }
  }
  const legend = svg("g", { transform: `translate(${x(0.04)},${y(0.97)})` });
  [["H", "home", "circle"], ["D", "draw", "rect"], ["A", "away", "path"]].forEach(([o, label], i) => {
    const cls = o.toLowerCase(), ly = i * 18;
    const mark = o === "H" ? svg("circle", { cx: 5, cy: ly, r: 5 }) : o === "D" ? svg("rect", { x: 0, y: ly - 5, width: 10, height: 10 })
      : svg("path", { d: `M5,${ly - 6} L11,${ly + 4} L-1,${ly + 4} Z` });
    mark.setAttribute("class", `pt-${cls}`);
    legend.append(mark, svg("text", { x: 16, y: ly + 4 }, label));
  });
  root.append(legend);
  return root;
}

function calibrationDetails(bins) {
  const t = el("table", { class: "data" });
  table(t, "Reliability table", ["Outcome", "Bin", "Mean forecast", "Observed", "Forecasts"],
    bins.map((b) => ({ cells: [b.outcome, String(b.bin), num(b.mean_predicted, 3), num(b.observed_rate, 3), String(b.count)] })));
  return el("details", {}, el("summary", { text: "Show the reliability table" }), el("div", { class: "table-wrap" }, t));
}

function lineChart(points, series, label) {
  const W = 900, H = 260, m = { l: 60, r: 16, t: 28, b: 34 };
  const values = points.flatMap((p) => series.map((s) => s.get(p))).filter((v) => v != null);
  if (points.length < 2 || !values.length) return null;
  let lo = Math.min(...values), hi = Math.max(...values);
  if (hi - lo < 1e-6) { lo -= 0.05; hi += 0.05; }
  const pad = (hi - lo) * 0.1; lo -= pad; hi += pad;
  const x = (i) => m.l + (i / (points.length - 1)) * (W - m.l - m.r);
  const y = (v) => m.t + (1 - (v - lo) / (hi - lo)) * (H - m.t - m.b);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label });
  for (let k = 0; k <= 4; k++) {
    const v = lo + (k / 4) * (hi - lo);
    root.append(svg("line", { class: "gridline", x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }),
      svg("text", { x: m.l - 6, y: y(v) + 4, "text-anchor": "end" }, v.toFixed(3)));
  }
  const step = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => { if (i % step === 0) root.append(svg("text", { x: x(i), y: H - 10, "text-anchor": "middle" }, p.label)); });
  series.forEach((s, k) => {
    const pts = points.map((p, i) => [i, s.get(p)]).filter(([, v]) => v != null);
    root.append(svg("polyline", { class: s.cls, fill: "none", "stroke-width": 2, points: pts.map(([i, v]) => `${x(i)},${y(v)}`).join(" ") }));
    const lx = m.l + 8 + k * 120;  // legend: a stroke of the series' colour, then its name
    root.append(svg("line", { class: s.cls, x1: lx, x2: lx + 22, y1: 12, y2: 12, "stroke-width": 3 }),
      svg("text", { x: lx + 28, y: 16, class: "legend" }, s.name));
  });
  return el("figure", { class: "chart wide" }, root, el("figcaption", { class: "muted", text: label }));
}

function qualityCells(name, q) {
  return [name, q?.n ?? 0, q?.n_market ?? 0, num(q?.model?.log_loss), num(q?.market?.log_loss), signed(q?.gap_log_loss),
    num(q?.model?.rps), num(q?.market?.rps), q?.model?.hit_rate == null ? "—" : `${pct(q.model.hit_rate, 1)}%`];
}

const QUALITY_HEAD = ["Group", "Matches", "With odds", "Model log-loss", "Market log-loss", "Gap", "Model RPS", "Market RPS", "Hit rate"];

function renderLiveQuality(report) {
  const box = $("live");
  const intro = el("p", { class: "muted", text: `Forecasts logged before kick-off, scored once the results came in: ${report.n} matches up to ${report.as_of} (report of ${String(report.generated_at).slice(0, 16).replace("T", " ")} UTC).` });
  const overall = el("table", { class: "data", "data-testid": "live-overall" });
  table(overall, "Live quality overall", QUALITY_HEAD, [{ key: "overall", cls: "ours", cells: qualityCells("All matches", report.overall) }]);
  const weeks = (report.by_week || []).map((w) => ({ label: w.week, q: w }));
  const chart = lineChart(weeks, [
    { name: "model", cls: "ln-h", get: (p) => p.q.model?.log_loss ?? null },
    { name: "market", cls: "ln-m", get: (p) => p.q.market?.log_loss ?? null },
  ], "Log-loss by week of match date (lower is better)");
  const byWeek = el("table", { class: "data", "data-testid": "live-weeks" });
  table(byWeek, "Live quality by week", ["Week", ...QUALITY_HEAD.slice(1)], (report.by_week || []).map((w) => ({ key: w.week, cells: qualityCells(w.week, w) })));
  const byLeague = el("table", { class: "data", "data-testid": "live-leagues" });
  table(byLeague, "Live quality by league", ["League", ...QUALITY_HEAD.slice(1)], (report.by_league || []).map((l) => ({ key: l.league, cells: qualityCells(l.league, l) })));
  box.replaceChildren(intro, el("div", { class: "table-wrap" }, overall), chart || el("p", { class: "muted", text: "Not enough weeks for a chart yet." }),
    el("h3", { text: "By week" }), el("div", { class: "table-wrap" }, byWeek), el("h3", { text: "By league" }), el("div", { class: "table-wrap" }, byLeague));
}

async function loadModelView() {
  setStatus("model-status", "Loading the model's evaluation…");
  const [model, evaluation, live] = await Promise.allSettled([getJSON("/model"), getJSON("/model/evaluation"), getJSON("/model/live-quality")]);
  const problems = [];
  if (model.status === "fulfilled") {
    const m = model.value, p = m.predictions || {};
    $("champion").replaceChildren(...metaList([
      ["Model", `${m.name} v${m.version}`], ["Alias", m.alias], ["Run", m.run_id], ["Trained through", m.trained_through],
      ["Training data", m.data_version], ["Features", m.feature_columns?.length], ["Forecasts served", p.n_predictions],
      ["Forecast data", p.data_version], ["Information as of", p.features_as_of],
      ["Computed", p.computed_at && String(p.computed_at).slice(0, 16).replace("T", " ") + " UTC"],
    ]));
  } else problems.push(`model: ${model.reason.message}`);
  if (evaluation.status === "fulfilled" && evaluation.value.available) renderEvaluation(evaluation.value);
  else {
    const why = evaluation.status === "fulfilled" ? "the champion's run holds no evaluation reports" : evaluation.reason.message;
    $("scores-note").textContent = `No test evaluation published (${why}).`;
    $("reliability").replaceChildren(el("p", { class: "muted", text: "No reliability data." }));
    if (evaluation.status === "rejected" && evaluation.reason.status !== 404) problems.push(`evaluation: ${why}`);
  }
  if (live.status === "fulfilled") renderLiveQuality(live.value);
  else if (live.reason.status === 404) {
    $("live").replaceChildren(el("p", { class: "muted", "data-testid": "live-empty",
      text: "No live-quality report yet: it appears once the monitor stage has scored published forecasts against results." }));
  } else {
    $("live").replaceChildren(el("p", { class: "muted", text: `Live quality unavailable: ${live.reason.message}` }));
    problems.push(`live quality: ${live.reason.message}`);
  }
  setStatus("model-status", problems.length ? `Some parts could not be loaded — ${problems.join("; ")}` : "Model evaluation loaded.", problems.length > 0);
  document.body.dataset.modelLoaded = "true";
}

// --- value page ----------------------------------------------------------------------------------

const MARKET_LABELS = { "1x2": "1X2", over_under_2_5: "Over/under 2.5", asian_handicap: "Asian handicap" };
const SERIES = ["ln-h", "ln-a", "ln-m"];
const FORECASTER_LABELS = { football_only: "Football-only model (served)", market_aware: "Market-aware",
  pre_match: "Pinnacle pre-match", closing: "Pinnacle closing — benchmark" };

// One line per market: its Kelly bankroll on the union of the betting days (carried forward).
function bankrollChart(markets) {
  const named = Object.entries(markets).filter(([, b]) => (b.curve || []).length);
  const dates = [...new Set(named.flatMap(([, b]) => b.curve.map((c) => c.date)))].sort();
  const points = dates.map((date) => ({ label: date.slice(0, 7), date }));
  const series = named.map(([name, b], k) => {
    const at = new Map(b.curve.map((c) => [c.date, c.kelly_bankroll]));
    let last = 1;
    const values = dates.map((d) => (at.has(d) ? (last = at.get(d)) : last));
    return { name: MARKET_LABELS[name] || name, cls: SERIES[k % SERIES.length], get: (p) => values[dates.indexOf(p.date)] };
  });
  return lineChart(points, series, "Kelly bankroll (starts at 1) by betting day, per market");
}

function backtestCells(name, b) {
  const f = b.flat || {}, k = b.kelly || {}, c = b.closing_line_value || {};
  const ci = f.roi_ci95?.length === 2 ? `${signed(f.roi_ci95[0], 3)} … ${signed(f.roi_ci95[1], 3)}` : "—";
  return [MARKET_LABELS[name] || name, b.bets, signed(f.roi, 3), ci, num(f.max_drawdown_units, 1), num(k.final_bankroll, 3),
    k.max_drawdown == null ? "—" : `${pct(k.max_drawdown, 1)}%`, c.beat_closing_share == null ? "—" : `${pct(c.beat_closing_share, 1)}%`];
}

// Objects come back with sorted keys: show them in a fixed order, unknown names last.
function ordered(obj, labels) {
  const known = Object.keys(labels).filter((k) => k in obj);
  return [...known, ...Object.keys(obj).filter((k) => !(k in labels))].map((k) => [k, obj[k]]);
}

function renderValue(value) {
  const markets = Object.fromEntries(ordered(value.markets || {}, MARKET_LABELS));
  $("verdicts").replaceChildren(...Object.entries(markets).map(([name, b]) =>
    el("li", { "data-key": name }, el("strong", { text: `${MARKET_LABELS[name] || name}: ` }), b.verdict)));
  table($("backtests"), "Backtests per market at the best pre-match price",
    ["Market", "Bets", "Flat ROI", "95 % interval", "Flat max drawdown (units)", "Kelly bankroll", "Kelly max drawdown", "Beat the close"],
    Object.entries(markets).map(([name, b]) => ({ key: name, cells: backtestCells(name, b) })));
  $("bankroll").replaceChildren(bankrollChart(markets) || el("p", { class: "muted", text: "No bets to chart." }));
}

function renderMarketAware(cmp) {
  $("aware-note").textContent = `Test seasons ${cmp.test_seasons.join(", ")}; the same ${cmp.n} matches with Pinnacle's pre-match and closing prices. ` +
    `Served by default: ${cmp.default === "football" ? "the football-only model" : cmp.default}; the market-aware forecast is served beside it. Gaps: forecaster − price (negative is better).`;
  table($("aware"), "Football-only, market-aware, pre-match and closing forecasts on the same matches",
    ["Forecaster", "Log-loss", "RPS", "Gap to closing", "Gap to pre-match"],
    ordered(cmp.forecasters, FORECASTER_LABELS).map(([name, s]) => ({ key: name, cls: name === "market_aware" ? "ours" : null, cells: [
      FORECASTER_LABELS[name] || name, num(s.log_loss), num(s.rps),
      s.gap_to_closing ? `${signed(s.gap_to_closing.log_loss)} ± ${num(s.gap_to_closing.log_loss_se)}` : "—",
      s.gap_to_pre_match ? `${signed(s.gap_to_pre_match.log_loss)} ± ${num(s.gap_to_pre_match.log_loss_se)}` : "—"] })));
}

async function loadValueView() {
  setStatus("value-status", "Loading the value report…");
  try {
    const m = await getJSON("/model");
    if (m.value) renderValue(m.value);
    else $("verdicts").replaceChildren(el("li", { text: "No value report published (the markets stage writes it)." }));
    if (m.market_aware) renderMarketAware(m.market_aware);
    else $("aware-note").textContent = "No market-aware comparison published (the market_aware stage writes it).";
    setStatus("value-status", "Value report loaded.");
  } catch (error) {
    setStatus("value-status", `The value report could not be loaded — ${error.message}`, true);
  }
  document.body.dataset.valueLoaded = "true";
}

// --- start ---------------------------------------------------------------------------------------

window.addEventListener("hashchange", () => showView(true));
showView(false);
initMatches();
