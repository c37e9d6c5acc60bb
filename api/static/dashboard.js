// The oversight dashboard: a county's indicators, its townships on a bar chart (own inline SVG,
// no chart library), the red and black lists, the notarized alerts, each linked to its
// record on /verify (checked there against the pinned log key) and to its projects' timelines,
// and the forecasts of delay and overrun of running projects — warnings, set apart from the alerts.
// Chinese first; every text is set as text, never HTML.

import { initialLanguage, saveLanguage, translate } from "./i18n.js";
import { el, request } from "./page.js";

const WORDS = {
  zh: {
    "page.title": "监督看板 · 阳光存证",
    "brand.sub": "监督看板",
    loading: "正在读取……",
    "error.network": "无法连接平台，请稍后再试。",
    "error.server": "平台出错（{status}）。请稍后再试。",
    "error.nocounty": "还没有登记的项目。",
    "filter.township": "乡镇",
    "filter.all": "全部乡镇",
    "filter.from": "从",
    "filter.to": "到",
    "filter.apply": "查看",
    "tile.registered": "登记项目",
    "tile.start": "开工率",
    "tile.completion": "完工率",
    "tile.paid": "资金支付率",
    "tile.objections": "公示异议",
    "chart.title": "各乡镇完工率与预警",
    "chart.rate": "完工率",
    "chart.alerts": "预警数",
    "ranking.title": "红黑榜",
    "ranking.red": "红榜",
    "ranking.black": "黑榜",
    "ranking.row": "第 {rank} 名 {township}：预警 {alerts} 条，完工率 {rate}",
    "alerts.title": "预警",
    "alerts.none": "没有预警。",
    "alerts.count": "共 {n} 条",
    "alert.record": "核验预警记录",
    "alert.evidence": "依据记录 {n}",
    "alert.private": "依据记录 {n}（不公开）",
    "alert.project": "项目 {code}",
    "severity.notice": "提示",
    "severity.warning": "警告",
    "severity.serious": "严重",
    "forecasts.title": "风险预警（预测）",
    "forecasts.none": "目前没有在建项目。",
    "forecasts.training": "模型依据本县已有结果的项目训练（是否延误 {delay} 个、是否超支 {overrun} 个），{date}。",
    "forecast.tag": "预测，非结论",
    "forecast.delay": "延误风险 {risk}",
    "forecast.overrun": "超支风险 {risk}",
    "forecast.factors": "：{factors}",
    "forecast.join": "；",
  },
  en: {
    "page.title": "Oversight · Sunlight",
    "brand.sub": "Oversight dashboard",
    loading: "Loading…",
    "error.network": "Cannot reach the platform; please try again later.",
    "error.server": "The platform failed ({status}). Please try again later.",
    "error.nocounty": "No project is registered yet.",
    "filter.township": "Township",
    "filter.all": "All townships",
    "filter.from": "From",
    "filter.to": "To",
    "filter.apply": "Show",
    "tile.registered": "Projects registered",
    "tile.start": "Started",
    "tile.completion": "Completed",
    "tile.paid": "Budget paid",
    "tile.objections": "Objections",
    "chart.title": "Completion and alerts by township",
    "chart.rate": "completion",
    "chart.alerts": "alerts",
    "ranking.title": "Red and black lists",
    "ranking.red": "red list",
    "ranking.black": "black list",
    "ranking.row": "#{rank} {township}: {alerts} alert(s), completion {rate}",
    "alerts.title": "Alerts",
    "alerts.none": "No alerts.",
    "alerts.count": "{n} in all",
    "alert.record": "Verify the alert record",
    "alert.evidence": "evidence record {n}",
    "alert.private": "evidence record {n} (not public)",
    "alert.project": "project {code}",
    "severity.notice": "notice",
    "severity.warning": "warning",
    "severity.serious": "serious",
    "forecasts.title": "Forecast warnings",
    "forecasts.none": "No project is running.",
    "forecasts.training": "Trained on this county's projects whose outcome is known ({delay} for delay, {overrun} for overrun), {date}.",
    "forecast.tag": "forecast, not a verdict",
    "forecast.delay": "Risk of delay {risk}",
    "forecast.overrun": "Risk of overrun {risk}",
    "forecast.factors": ": {factors}",
    "forecast.join": "; ",
  },
};

const state = { lang: "zh", county: "", data: null };
const $ = (id) => document.getElementById(id);
const t = (key, params) => translate(state.lang, key, params, WORDS);
const pct = (rate) => (rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`);
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/** A horizontal bar chart: per township its completion rate (green) and alerts (red). */
function barChart(rows) {
  const rowH = 34, labelW = 90, width = 320, barW = width - labelW - 40;
  const maxAlerts = Math.max(1, ...rows.map((r) => r.alerts));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 24}`, role: "img" });
  chart.append(svg("title", {}, t("chart.title")));
  rows.forEach((row, i) => {
    const y = i * rowH;
    const rate = row.indicators.completion_rate || 0;
    chart.append(svg("text", { x: 0, y: y + 14 }, row.township));
    chart.append(svg("rect", { class: "bar-rate", x: labelW, y: y + 4, height: 11, width: Math.max(1, rate * barW) }));
    chart.append(svg("text", { x: labelW + rate * barW + 4, y: y + 14 }, pct(rate)));
    const aw = (row.alerts / maxAlerts) * barW;
    chart.append(svg("rect", { class: "bar-alerts", x: labelW, y: y + 18, height: 11, width: Math.max(1, aw) }));
    chart.append(svg("text", { x: labelW + aw + 4, y: y + 28 }, String(row.alerts)));
  });
  const legend = rows.length * rowH + 16;
  chart.append(svg("rect", { class: "bar-rate legend", x: labelW, y: legend - 9, width: 10, height: 10 }));
  chart.append(svg("text", { x: labelW + 14, y: legend }, t("chart.rate")));
  chart.append(svg("rect", { class: "bar-alerts legend", x: labelW + 90, y: legend - 9, width: 10, height: 10 }));
  chart.append(svg("text", { x: labelW + 104, y: legend }, t("chart.alerts")));
  return chart;
}

function tile(key, value) {
  return el("div", { class: "tile" }, el("span", { class: "tile-value" }, value), el("span", { class: "tile-name" }, t(key)));
}

function alertItem(a) {
  const links = [el("a", { class: "alert-record", href: a.record.verify_url }, t("alert.record"))];
  for (const code of a.subject.projects) {
    links.push(el("a", { class: "alert-project", href: a.project_urls[code] }, t("alert.project", { code })));
  }
  for (const ev of a.evidence.slice(0, 5)) {
    links.push(
      ev.verify_url
        ? el("a", { class: "alert-evidence", href: ev.verify_url }, t("alert.evidence", { n: ev.leaf_index }))
        : el("span", {}, t("alert.private", { n: ev.leaf_index })),
    );
  }
  const words = state.lang === "zh" ? "zh" : "en";
  return el(
    "li",
    { class: "alert", "data-severity": a.severity, "data-rule": a.rule },
    el("div", { class: "alert-title" }, `${t(`severity.${a.severity}`)} · ${a.title[words]}`),
    el("p", {}, a.explanation[words]),
    el("div", { class: "alert-links" }, links),
  );
}

function riskLine(key, risk, words) {
  if (risk.happened) return el("p", { class: "forecast-happened" }, risk.happened[words]);
  const factors = risk.factors.map((f) => f.words[words]).join(t("forecast.join"));
  const text = t(key, { risk: pct(risk.risk) }) + (factors ? t("forecast.factors", { factors }) : "");
  return el("p", { class: `forecast-${key.split(".")[1]}` }, text);
}

function forecastItem(f, words) {
  const { township, village } = f.region;
  return el(
    "li",
    { class: "forecast", "data-code": f.code },
    el(
      "div",
      { class: "forecast-title" },
      el("a", { href: f.project_url }, `${f.code} ${f.name}`),
      el("span", { class: "forecast-tag" }, t("forecast.tag")),
    ),
    el("div", { class: "forecast-place" }, `${township} ${village}`),
    riskLine("forecast.delay", f.delay, words),
    riskLine("forecast.overrun", f.overrun, words),
  );
}

function renderForecasts(forecasts) {
  const words = state.lang === "zh" ? "zh" : "en";
  $("forecast-note").textContent = forecasts.note[words];
  const empty = forecasts.available ? t("forecasts.none") : forecasts.reason[words];
  $("forecasts").replaceChildren(
    ...(forecasts.forecasts.length
      ? forecasts.forecasts.map((f) => forecastItem(f, words))
      : [el("li", { class: "forecast-empty" }, empty)]),
  );
  const { known, trained_at: trained } = forecasts.training;
  $("forecast-training").textContent = forecasts.available
    ? t("forecasts.training", { delay: known.delay, overrun: known.overrun, date: trained.slice(0, 10) })
    : "";
}

function render() {
  const { indicators: ind, ranking, alerts, forecasts } = state.data;
  document.title = t("page.title");
  $("county").textContent = state.county;
  $("tiles").replaceChildren(
    tile("tile.registered", String(ind.registered)),
    tile("tile.start", pct(ind.start_rate)),
    tile("tile.completion", pct(ind.completion_rate)),
    tile("tile.paid", pct(ind.paid_ratio)),
    tile("tile.objections", String(ind.objections)),
  );
  $("chart").replaceChildren(barChart(ranking.townships));
  $("ranking").replaceChildren(
    ...ranking.townships.map((r) =>
      el(
        "li",
        { "data-list": r.list },
        r.list ? el("span", { class: `list-${r.list}` }, t(`ranking.${r.list}`)) : null,
        " ",
        t("ranking.row", { rank: r.rank, township: r.township, alerts: r.alerts, rate: pct(r.indicators.completion_rate) }),
      ),
    ),
  );
  $("alerts").replaceChildren(
    ...(alerts.alerts.length ? alerts.alerts.map(alertItem) : [el("li", {}, t("alerts.none"))]),
  );
  renderForecasts(forecasts);
  const select = $("township");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, t("filter.all")));
  for (const r of ranking.townships) select.append(el("option", { value: r.township }, r.township));
  select.value = chosen;
}

async function getJson(url) {
  const { status, body } = await request(url);
  if (status !== 200 || body === null) throw new Error(t("error.server", { status }));
  return body;
}

async function load() {
  const status = $("status");
  status.hidden = false;
  status.textContent = t("loading");
  try {
    if (!state.county) {
      const list = await getJson("/v1/projects?limit=1");
      if (!list.projects.length) throw new Error(t("error.nocounty"));
      state.county = list.projects[0].region.county;
    }
    const region = new URLSearchParams({ county: state.county });
    const township = $("township").value;
    if (township) region.set("township", township);
    const period = new URLSearchParams(region);
    if ($("from").value) period.set("from", $("from").value);
    if ($("to").value) period.set("to", $("to").value);
    const county = new URLSearchParams(period);
    county.delete("township");
    const top = new URLSearchParams(region);
    top.set("limit", "10");
    const [indicators, ranking, alerts, forecasts] = await Promise.all([
      getJson(`/v1/oversight/indicators?${period}`),
      getJson(`/v1/oversight/ranking?${county}`),
      getJson(`/v1/alerts?${region}`),
      getJson(`/v1/oversight/forecasts?${top}`),
    ]);
    state.data = { indicators, ranking, alerts, forecasts };
    render();
    status.hidden = true;
    document.body.dataset.loaded = township || "all";
  } catch (e) {
    status.textContent = e instanceof Error && e.message ? e.message : t("error.network");
    status.className = "error-box";
  }
}

function applyLanguage(lang) {
  state.lang = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang-zh").setAttribute("aria-pressed", String(lang === "zh"));
  $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
  if (state.data) render();
}

function main() {
  const params = new URLSearchParams(window.location.search);
  state.county = params.get("county") || "";
  for (const lang of ["zh", "en"]) {
    $(`lang-${lang}`).addEventListener("click", () => {
      saveLanguage(lang);
      applyLanguage(lang);
    });
  }
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  applyLanguage(initialLanguage());
  load();
}

main();
