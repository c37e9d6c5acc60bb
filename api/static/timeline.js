// The public project timeline page: /projects/<code>.
//
// It reads the project (GET /v1/projects/<code>), its records in log order
// (GET /v1/projects/<code>/timeline: anonymous readers get the public ones only) and its
// completeness proof (GET /v1/projects/<code>/proof), and judges the proof here, in the browser,
// against this server's log key pinned as /verify pins it (page.js, projectproof.js). A record is
// marked verified only when the verified proof holds it, as the same kind; its details (signers,
// amounts) are shown from the proof, never from an unverified answer. Every value from the server
// is put on the page as text.

import { initialLanguage, saveLanguage, translate } from "./i18n.js";
import { PageError, el, fetchTrust, request, text } from "./page.js";
import { judgeProject } from "./projectproof.js";
import { isObject } from "./record.js";
import { WORDS } from "./timeline-words.js";
import { Level } from "./verdict.js";

const STEPS = ["application", "review", "notice", "implementation", "settlement", "archived"];
const PROJECT_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const VERIFIED = [Level.LOG_VERIFIED, Level.ANCHORED];

const state = { lang: "zh", data: null, error: null };
const $ = (id) => document.getElementById(id);
const t = (key, params) => translate(state.lang, key, params, WORDS);
const locale = () => (state.lang === "zh" ? "zh-CN" : "en");

// --- loading -------------------------------------------------------------------------------------

async function getJson(url) {
  const { status, body } = await request(url);
  if (status === 404) throw new PageError("error.notfound");
  if (status !== 200 && status !== 202) throw new PageError("error.server", { status });
  return { status, body };
}

/** Organisation id → name, for the ids the page shows (an id stays when its name is not found). */
async function organisationNames(ids) {
  const names = new Map();
  await Promise.all([...ids].map(async (id) => {
    try {
      const { body } = await getJson(`/v1/organisations/${encodeURIComponent(id)}`);
      if (isObject(body) && typeof body.name === "string") names.set(id, body.name);
    } catch {
      // the id is shown instead
    }
  }));
  return names;
}

async function load(code) {
  const base = `/v1/projects/${encodeURIComponent(code)}`;
  const [project, timeline, proof, trust] = await Promise.all([
    getJson(base), getJson(`${base}/timeline`), getJson(`${base}/proof`), fetchTrust(),
  ]);
  const items = (Array.isArray(timeline.body.steps) ? timeline.body.steps : [])
    .flatMap((run) => (Array.isArray(run.records) ? run.records.map((r) => ({ ...r, stage: run.stage })) : []));
  const judged = proof.status === 200 ? await judgeProject(proof.body, trust.doc) : null;
  const orgIds = new Set([
    ...items.map((r) => r.org), ...(project.body.powers || []).map((p) => p.organisation),
  ].filter((id) => typeof id === "string"));
  return {
    project: project.body,
    items,
    proof: judged ? proof.body : null,
    judged,
    trust,
    orgs: await organisationNames(orgIds),
  };
}

// --- what each record's check says ---------------------------------------------------------------

/** {status: verified | failed | pending | unchecked, record: the verified record or null}. */
function recordStatus(item, data) {
  const { judged, proof } = data;
  if (judged === null) return { status: "pending", record: null };
  const size = isObject(proof.checkpoint) ? proof.checkpoint.tree_size : 0;
  if (!(item.leaf_index < size)) return { status: "pending", record: null };
  if (!VERIFIED.includes(judged.level)) {
    return { status: judged.level === Level.NOT_VERIFIED ? "failed" : "unchecked", record: null };
  }
  const held = judged.records.find((r) => r.leaf_index === item.leaf_index);
  if (!held || held.record === null || held.record.kind !== item.kind) return { status: "failed", record: null };
  return { status: "verified", record: held.record };
}

// --- formatting ----------------------------------------------------------------------------------

function yuan(fen) {
  if (!Number.isSafeInteger(fen)) return null;
  const amount = (fen / 100).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return t("yuan", { amount });
}

function when(value) {
  const date = new Date(value);
  if (typeof value !== "string" || Number.isNaN(date.getTime())) return text(value);
  return date.toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" });
}

function kindWords(kind) {
  const key = `kind.${kind}`;
  return key in WORDS.zh ? t(key) : t("kind.other", { kind });
}

const roleWords = (role) => (`role.${role}` in WORDS.zh ? t(`role.${role}`) : text(role));
const orgName = (id, data) => (id ? data.orgs.get(id) || id : null);

function fields(rows) {
  const dl = el("dl", { class: "fields" });
  for (const [key, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    dl.append(el("div", { class: "field", "data-field": key }, el("dt", {}, t(key)), el("dd", {}, value)));
  }
  return dl;
}

// --- the project ---------------------------------------------------------------------------------

function renderProject(data) {
  const p = data.project;
  const reg = isObject(p.registration) ? p.registration : {};
  const region = isObject(p.region) ? [p.region.county, p.region.township, p.region.village].filter(Boolean).join(" ") : "";
  const step = STEPS.includes(p.step) ? p.step : null;
  const powers = (p.powers || []).map((h) => `${t(`power.${h.power}`)}：${orgName(h.organisation, data)}`);
  const box = $("project");
  box.replaceChildren(
    el("h1", { id: "project-name" }, text(p.name) || text(p.code)),
    fields([
      ["project.code", text(p.code)],
      ["project.region", region],
      ["project.budget", yuan(reg.budget_fen)],
      ["project.period", reg.planned_start && reg.planned_end ? `${reg.planned_start} – ${reg.planned_end}` : null],
      ["project.step", step ? t(`step.${step}`) : text(p.step)],
      ["project.powers", powers.length ? powers.join("；") : null],
    ]),
  );
  box.dataset.step = step || "";
  box.hidden = false;
}

// --- the whole project's verification ------------------------------------------------------------

function wholeState(data) {
  if (data.judged === null) return "pending";
  if (VERIFIED.includes(data.judged.level)) return "ok";
  return data.judged.level === Level.NOT_VERIFIED ? "bad" : "unauth";
}

function wholeLines(data, shown) {
  const { judged, proof } = data;
  if (shown === "pending") return [t("whole.pending.text")];
  if (shown === "unauth") return [t("whole.unauth.text")];
  if (shown === "bad") {
    const failing = judged.checks.find((c) => c.passed === false);
    return [t("whole.bad.text", { check: t(`check.${failing.check}`) })];
  }
  const withheld = judged.records.filter((r) => r.record === null).length;
  const later = data.items.filter((r) => !(r.leaf_index < proof.checkpoint.tree_size)).length;
  return [
    t("whole.ok.text", { time: when(proof.checkpoint.timestamp), n: judged.records.length }),
    withheld ? t("whole.withheld", { n: withheld }) : null,
    later ? t("whole.later", { n: later }) : null,
  ];
}

function checkList(checks) {
  return el("ul", { class: "checks", "data-checks": "browser" }, checks.map((c) => {
    const status = String(c.passed);
    return el("li", { class: `check check--${status}`, "data-check": c.check, "data-passed": status },
      el("span", { class: "check-icon", "aria-hidden": "true" }),
      el("span", { class: "check-body" },
        el("span", { class: "check-label" }, t(`check.${c.check}`)),
        el("span", { class: "check-status" }, t(`status.${status}`)),
        el("span", { class: "check-detail" }, t(c.key, c.params))));
  }));
}

function trustLine(trust) {
  if (trust.source === "none") return null;
  return el("p", { class: "trust-note", id: "trust-note", "data-trust-source": trust.source },
    t(trust.source === "cache" ? "whole.key.cache" : "whole.key"), el("span", { class: "mono" }, trust.logId));
}

function renderWhole(data) {
  const shown = wholeState(data);
  const verdict = { ok: "ok", bad: "bad", unauth: "warn", pending: "pending" }[shown];
  const box = $("whole");
  box.dataset.state = shown;
  box.dataset.level = data.judged ? data.judged.level : "pending";
  box.replaceChildren(
    el("h2", {}, t("whole.title")),
    el("div", { class: `verdict verdict--${verdict}`, id: "whole-verdict" },
      el("span", { class: "verdict-icon", "aria-hidden": "true" }),
      el("div", {},
        el("p", { class: "verdict-title" }, t(`whole.${shown}`)),
        wholeLines(data, shown).filter(Boolean).map((line) => el("p", { class: "verdict-text" }, line)))),
    trustLine(data.trust),
    data.judged ? el("details", { class: "whole-checks" },
      el("summary", {}, t("whole.details")), checkList(data.judged.checks)) : null,
  );
  box.hidden = false;
}

// --- the steps and their records -----------------------------------------------------------------

function signers(record) {
  const seats = isObject(record.data) && Array.isArray(record.data.signers) ? record.data.signers : [];
  return (record.signatures || []).map((s) => {
    const seat = seats.find((x) => isObject(x) && x.person === s.party);
    return seat ? `${s.party}（${roleWords(seat.role)}）` : text(s.party);
  });
}

function detailRows(record, data) {
  const d = isObject(record.data) ? record.data : {};
  const gps = isObject(d.gps) && typeof d.gps.lat === "number" ? `${d.gps.lat}, ${d.gps.lon}` : null;
  const amount = d.amount_fen ?? d.final_amount_fen;
  const percent = Number.isInteger(d.percent) ? t("record.percent", { n: d.percent }) : null;
  return [
    ["record.power", d.power ? `${t(`power.${d.power}`)}：${orgName(d.organisation, data)}` : null],
    ["record.amount", amount === undefined ? null : yuan(amount)],
    ["record.note", text(d.opinion ?? d.reason) ?? percent],
    ["record.file", isObject(record.content) ? text(record.content.name) : null],
    ["record.gps", gps],
    ["record.signed", signers(record).join("、")],
  ];
}

// A site photo's flags, as the server raised them (not part of the proof): in plain words.
function flagWords(flag) {
  const ev = isObject(flag.evidence) ? flag.evidence : {};
  const metres = typeof ev.distance_m === "number" ? ev.distance_m : null;
  const distance = metres === null ? null
    : metres >= 1000 ? t("unit.km", { n: (metres / 1000).toFixed(1) }) : t("unit.m", { n: Math.round(metres) });
  const key = `flag.${flag.id}`;
  if (!(key in WORDS.zh)) return t("flag.other", { id: text(flag.id) });
  return t(key, { distance, days: Number.isInteger(ev.days_outside) ? ev.days_outside : "?" });
}

function photoFlags(item) {
  const flags = isObject(item.evidence) && Array.isArray(item.evidence.flags) ? item.evidence.flags : [];
  const words = flags.filter(isObject).map(flagWords);
  return words.length ? el("ul", { class: "record-flags" }, words.map((w) => el("li", { class: "record-flag" }, w))) : null;
}

function renderRecord(item, data) {
  const { status, record } = recordStatus(item, data);
  const actor = record && isObject(record.data) && isObject(record.data.actor) ? record.data.actor : {};
  const person = actor.role ? `${text(item.submitter)}（${roleWords(actor.role)}）` : text(item.submitter);
  const rows = [
    ["record.time", when(item.received_at)],
    ["record.by", person],
    ["record.for", orgName(item.org, data)],
    ...(record ? detailRows(record, data) : []),
  ];
  return el("li", { class: `record record--${status}`, "data-kind": item.kind, "data-leaf": item.leaf_index, "data-status": status },
    el("div", { class: "record-head" },
      el("span", { class: "record-kind" }, kindWords(item.kind)),
      el("span", { class: `record-status record-status--${status}` }, t(`record.${status}`))),
    fields(rows),
    photoFlags(item),
    el("a", { class: "record-link", href: `/verify?id=${encodeURIComponent(item.id)}` }, t("record.check_one")));
}

function stepState(step, current) {
  const at = STEPS.indexOf(current);
  const here = STEPS.indexOf(step);
  if (current === "archived" || here < at) return "done";
  return here === at ? "current" : "future";
}

function renderSteps(data) {
  const current = data.project.step;
  const list = $("steps");
  list.replaceChildren(...STEPS.map((step, n) => {
    const records = data.items.filter((r) => r.stage === step);
    const shown = stepState(step, current);
    const label = step === "archived" && current === "archived" ? t("step.archived.current") : t(`step.${shown}`);
    const body = step === "archived" ? [] : [
      records.length
        ? el("ol", { class: "records" }, records.map((r) => renderRecord(r, data)))
        : el("p", { class: "muted small" }, t("step.empty")),
    ];
    return el("li", { class: `step step--${shown}`, "data-step": step, "data-state": shown, "aria-current": shown === "current" ? "step" : null },
      el("h2", { class: "step-title" },
        el("span", { class: "step-number", "aria-hidden": "true" }, String(n + 1)),
        el("span", { class: "step-name" }, t(`step.${step}`)),
        el("span", { class: "step-state" }, records.length ? `${label} · ${t("step.count", { n: records.length })}` : label)),
      ...body);
  }));
  list.hidden = false;
}

// --- the page ------------------------------------------------------------------------------------

function render() {
  const status = $("status");
  if (state.error) {
    status.className = "error-box";
    status.dataset.state = "error";
    status.textContent = t(state.error.key, state.error.params);
    return;
  }
  if (!state.data) return;
  status.hidden = true;
  renderProject(state.data);
  renderWhole(state.data);
  renderSteps(state.data);
}

function applyLanguage(lang) {
  state.lang = lang in WORDS ? lang : "en";
  document.documentElement.lang = locale();
  document.title = t("page.title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("lang-zh").setAttribute("aria-pressed", String(state.lang === "zh"));
  $("lang-en").setAttribute("aria-pressed", String(state.lang === "en"));
  render();
}

async function main() {
  const choose = (lang) => {
    saveLanguage(lang);
    applyLanguage(lang);
  };
  $("lang-zh").addEventListener("click", () => choose("zh"));
  $("lang-en").addEventListener("click", () => choose("en"));
  applyLanguage(initialLanguage());
  const code = decodeURIComponent(window.location.pathname.split("/")[2] || "");
  try {
    if (!PROJECT_CODE.test(code)) throw new PageError("error.notfound");
    state.data = await load(code);
  } catch (e) {
    state.error = e instanceof PageError ? { key: e.key, params: { ...e.params, code } } : { key: "error.network", params: {} };
  }
  render();
}

main();
