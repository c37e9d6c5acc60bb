// The public verification page.
//
// A file is hashed here, in the browser (it never leaves the machine); its SHA-256, a pasted
// SHA-256 or a proof bundle goes to POST /v1/verify; /verify?id=<record id> fetches the record's
// bundle first. The page pins this server's trust root (GET /v1/trust, kept in localStorage so a
// bundle can still be checked offline) and, whatever the server answers, judges every bundle again
// itself against that pinned key only (verdict.js): leaf hash, inclusion proof, the checkpoint's
// signature, the log it comes from, party signatures. It shows success only when the server says
// verified and the browser's own checks agree. Everything it reads is parsed by the strict parser
// (json.js: no duplicate keys, bounded depth), and every value from the server or a bundle is put
// on the page as text, never as HTML.

import { STRINGS, initialLanguage, saveLanguage, translate } from "./i18n.js";
import { MAX_DEPTH, parseJson } from "./json.js";
import { recordLeafHash } from "./merkle.js";
import { bundleProblem, isObject } from "./record.js";
import { Sha256, toHex } from "./sha256.js";
import { PageError, el, fetchTrust, request, text } from "./page.js";
import { Level, judge } from "./verdict.js";

const MAX_BUNDLE_BYTES = 1024 * 1024;
// Files up to this size are hashed by WebCrypto in one piece; larger ones (or every file, where
// WebCrypto is missing) in slices by the incremental SHA-256, in constant memory.
const WEBCRYPTO_MAX_BYTES = 64 * 1024 * 1024;
const SLICE_BYTES = 8 * 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const RECORD_ID = /^[A-Za-z0-9_-]{1,128}$/;

const state = { lang: "zh", view: null, trust: null };
const $ = (id) => document.getElementById(id);
const t = (key, params) => translate(state.lang, key, params);

// --- language ----------------------------------------------------------------------------------

function applyLanguage(lang) {
  state.lang = lang in STRINGS ? lang : "en";
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("page.title");
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  $("lang-zh").setAttribute("aria-pressed", String(state.lang === "zh"));
  $("lang-en").setAttribute("aria-pressed", String(state.lang === "en"));
  if (state.view) render(state.view);
}

// --- hashing -----------------------------------------------------------------------------------

async function hashFile(file, onProgress) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (subtle && file.size <= WEBCRYPTO_MAX_BYTES) {
    const digest = await subtle.digest("SHA-256", await file.arrayBuffer());
    onProgress(1);
    return toHex(new Uint8Array(digest));
  }
  const hasher = new Sha256();
  for (let offset = 0; offset < file.size; offset += SLICE_BYTES) {
    const chunk = await file.slice(offset, offset + SLICE_BYTES).arrayBuffer();
    hasher.update(new Uint8Array(chunk));
    onProgress(Math.min(1, (offset + chunk.byteLength) / file.size));
  }
  return toHex(hasher.digest());
}

// --- talking to the server ---------------------------------------------------------------------

async function postVerify(bodyText) {
  const { status, body } = await request("/v1/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: bodyText,
  });
  if (status === 200 && isObject(body) && Array.isArray(body.checks)) return body;
  if ((status === 400 || status === 422) && isObject(body) && typeof body.detail === "string") {
    throw new PageError("error.refused", { detail: body.detail });
  }
  throw new PageError("error.server", { status });
}

// --- the pinned trust root ---------------------------------------------------------------------

function loadTrust() {
  if (state.trust === null) state.trust = fetchTrust();
  return state.trust;
}

// --- checks made in the browser ----------------------------------------------------------------

function checkLabel(name) {
  const signature = /^signature:(.*)\/([^/]*)$/.exec(name);
  if (signature) return t("check.signature", { party: signature[1], key_id: signature[2] });
  const keyProof = /^key_proof@(\d+)$/.exec(name);
  if (keyProof) return t("check.key_proof", { index: keyProof[1] });
  return `check.${name}` in STRINGS[state.lang] ? t(`check.${name}`) : name;
}

/** The checks this browser makes on one registration; each {check, passed, key, params}. */
async function browserChecks(item, context, trust) {
  const checks = [];
  const add = (check, passed, key, params = {}) => checks.push({ check, passed, key, params });
  const bundle = item.bundle;
  const record = bundle ? bundle.record : item.record;

  if (bundle) {
    const file = context.file ? { sha256: context.file.sha256, size: context.file.size } : null;
    item.judged = await judge(bundle, trust.doc, file);
    checks.push(...item.judged.checks);
    const leaf = checks.find((c) => c.check === "leaf_hash");
    if (leaf && item.leaf_hash && item.leaf_hash !== bundle.leaf_hash) {
      // The server's own record of this leaf differs from the bundle it handed out.
      Object.assign(leaf, { passed: false, key: "browser.leaf_server", params: { got: item.leaf_hash, want: bundle.leaf_hash } });
    }
  } else {
    if (isObject(item.record) && typeof item.leaf_hash === "string") {
      let computed = null;
      try {
        computed = recordLeafHash(item.record);
      } catch {
        computed = null;
      }
      const ok = computed === item.leaf_hash;
      add("leaf_hash", ok, ok ? "browser.leaf_ok" : "browser.leaf_bad", { got: computed, want: item.leaf_hash });
    }
    add("inclusion", null, "browser.no_bundle");
    if (context.file) {
      const content = isObject(record) && isObject(record.content) ? record.content : null;
      const f = context.file;
      if (!content) add("file", false, "browser.file_none");
      else if (content.sha256 !== f.sha256) add("file", false, "browser.file_bad", { got: f.sha256, want: content.sha256 });
      else if (content.size !== f.size) add("file", false, "browser.file_size", { got: f.size, want: content.size });
      else add("file", true, "browser.file_ok");
    }
  }
  if (context.sha256) {
    const content = isObject(record) && isObject(record.content) ? record.content : null;
    const ok = Boolean(content) && content.sha256 === context.sha256;
    add("sha256", ok, ok ? "browser.sha_ok" : "browser.sha_bad", { want: content ? content.sha256 : t("none") });
  }
  return checks;
}

// --- building the view -------------------------------------------------------------------------

function itemsOf(response, context) {
  const records = response && Array.isArray(response.records) ? response.records.filter(isObject) : [];
  if (context.bundle) {
    const server = records[0] || {};
    return [{
      id: context.id || server.id || null,
      leaf_index: context.bundle.leaf_index,
      leaf_hash: server.leaf_hash || null,
      record: context.bundle.record,
      bundle: context.bundle,
      status: context.bundle.anchor ? "anchored" : server.status || "pending",
    }];
  }
  return records.map((r) => ({ ...r, bundle: isObject(r.bundle) && !bundleProblem(r.bundle) ? r.bundle : null }));
}

const failures = (checks) => checks.filter((c) => c.passed === false);

/**
 * The page's verdict: {verdict: ok | warn | bad | notfound | pending, level, ...}.
 *
 * ok only when the server says verified (anchored or verified_by_log, which it then is) and the
 * browser, judging the same bundle against the pinned key, found it verified_by_log with nothing
 * failed; "anchored" comes only from the server, which reads the chain. A server that says
 * verified while the browser fails a check is a mismatch, shown as a failure.
 */
function decide(response, items, serverChecks) {
  const browserFailed = items.flatMap((item) => failures(item.browser));
  const judged = items.filter((item) => item.judged);
  if (response === null) {
    // The server cannot be reached: the browser's own verdict, never shown as success.
    if (browserFailed.length) return { verdict: "bad", level: Level.NOT_VERIFIED, failing: browserFailed[0], offline: true };
    return { verdict: "warn", level: judged.length ? judged[0].judged.level : Level.NOT_AUTHENTICATED, offline: true };
  }
  const serverFailed = failures(serverChecks);
  if (items.length === 0) {
    return { verdict: response.verified === true ? "bad" : "notfound", level: response.level, mismatch: response.verified === true };
  }
  if (response.level === Level.NOT_VERIFIED || serverFailed.length) {
    return { verdict: "bad", level: Level.NOT_VERIFIED, failing: serverFailed[0] || browserFailed[0] || null };
  }
  if (browserFailed.length) {
    return { verdict: "bad", level: Level.NOT_VERIFIED, failing: browserFailed[0], mismatch: response.verified === true };
  }
  if (response.verified === true && (response.level === Level.ANCHORED || response.level === Level.LOG_VERIFIED)) {
    if (judged.some((item) => item.judged.level === Level.LOG_VERIFIED)) return { verdict: "ok", level: response.level };
    // A browser without Ed25519 proved leaf, inclusion and log but could not check the signature.
    const unsupported = judged.some((item) => ["leaf_hash", "inclusion", "log"].every(
      (n) => item.browser.some((c) => c.check === n && c.passed === true),
    ) && item.browser.some((c) => c.check === "checkpoint_signature" && c.key === "browser.unsupported"));
    if (unsupported) return { verdict: "ok", level: response.level, sigNote: true };
    return { verdict: "warn", level: Level.NOT_AUTHENTICATED, unconfirmed: true };
  }
  if (items.every((item) => !item.bundle)) return { verdict: "pending", level: response.level };
  return { verdict: "warn", level: Level.NOT_AUTHENTICATED };
}

async function buildView(response, context) {
  const trust = await loadTrust();
  const items = itemsOf(response, context);
  for (const item of items) item.browser = await browserChecks(item, context, trust);
  const serverChecks = response && Array.isArray(response.checks) ? response.checks.filter(isObject) : [];
  return { kind: "result", ...decide(response, items, serverChecks), items, serverChecks, context, trust };
}

// --- rendering ---------------------------------------------------------------------------------

function formatSize(bytes) {
  if (typeof bytes !== "number") return null;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = null;
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  const exact = `${bytes.toLocaleString(state.lang === "zh" ? "zh-CN" : "en")} ${t("bytes")}`;
  return unit ? `${value.toFixed(value < 10 ? 1 : 0)} ${unit} (${exact})` : exact;
}

function formatTime(value) {
  if (typeof value !== "string") return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  // The visitor's local time, with its offset from UTC spelled out: 2026-11-23 08:01:03 (UTC+8).
  const pad = (n) => String(n).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const hours = Math.floor(Math.abs(offset) / 60);
  const minutes = Math.abs(offset) % 60;
  const zone = offset === 0 ? "UTC" : `UTC${sign}${hours}${minutes ? `:${pad(minutes)}` : ""}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} `
    + `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} (${zone})`;
}

function translated(prefix, value) {
  if (typeof value !== "string") return null;
  const key = `${prefix}.${value}`;
  if (!(key in STRINGS[state.lang])) return value;
  const words = t(key);
  return words.toLowerCase() === value.replace(/_/g, " ") ? words : `${words} (${value})`;
}

function formatGps(data) {
  const gps = isObject(data) && isObject(data.gps) ? data.gps : null;
  if (!gps || typeof gps.lat !== "number" || typeof gps.lon !== "number") return null;
  const where = `${gps.lat}, ${gps.lon}`;
  return typeof gps.accuracy_m === "number" ? `${where} (${t("gps.accuracy", { m: gps.accuracy_m })})` : where;
}

function fields(rows) {
  const dl = el("dl", { class: "fields" });
  for (const [key, value, mono] of rows) {
    if (value === null || value === undefined) continue;
    dl.append(el("div", { class: "field", "data-field": key },
      el("dt", {}, t(`field.${key}`)),
      el("dd", { class: mono ? "mono" : null }, String(value))));
  }
  return dl;
}

const statusOf = (passed) => (passed === true ? "true" : passed === false ? "false" : "null");

/** A check's explanation: the browser's in the visitor's language, the server's as it wrote it. */
const detailOf = (c) => (c.key ? t(c.key, c.params) : text(c.detail));

function checkList(checks, who) {
  const list = el("ul", { class: "checks", "data-checks": who });
  for (const c of checks) {
    const status = statusOf(c.passed);
    const name = text(c.check) || "?";
    const detail = detailOf(c);
    list.append(el("li", { class: `check check--${status}`, "data-check": name, "data-passed": status },
      el("span", { class: "check-icon", "aria-hidden": "true" }),
      el("span", { class: "check-body" },
        el("span", { class: "check-label" }, checkLabel(name)),
        el("span", { class: "check-status" }, t(`status.${status}`)),
        detail ? el("span", { class: "check-detail" }, detail) : null)));
  }
  return list;
}

/**
 * A party signature as checked: by the browser when it judged the bundle, else by the server;
 * a signature nobody checked is "not checked", with the reason, and does not count.
 */
function signatureRow(sig, item, view, index) {
  const name = `signature:${text(sig.party) || "?"}/${text(sig.key_id) || "?"}`;
  const server = index === 0 ? view.serverChecks : [];
  const check = item.browser.find((c) => c.check === name) || server.find((c) => c.check === name);
  const status = statusOf(check ? check.passed : null);
  const why = check ? detailOf(check) : t(item.bundle ? "why.party_unproved" : "browser.no_bundle");
  return el("li", { class: `sig sig--${status}`, "data-signature": name, "data-passed": status },
    el("span", { class: "sig-status" }, t(`sig.${status}`)),
    " ",
    el("span", { class: "sig-party" }, text(sig.party) || "?"),
    ` · ${text(sig.alg) || "?"} · ${t("field.key_id")} `,
    el("span", { class: "mono" }, text(sig.key_id) || "?"),
    status === "true" ? null : el("span", { class: "sig-why" }, why));
}

function renderItem(item, index, count, view) {
  const record = isObject(item.record) ? item.record : {};
  const content = isObject(record.content) ? record.content : {};
  const bundle = item.bundle;
  // What a bundle that did not verify says is only its claim: the heading says so.
  const claimed = view.verdict === "bad" || view.verdict === "warn";
  const title = count > 1 ? t("section.record.n", { n: index + 1 })
    : t(claimed ? "section.record.claimed" : "section.record");
  const box = el("article", { class: "card record", "data-record": item.id || index });
  box.append(el("h2", {}, title));
  box.append(fields([
    ["project", text(record.project)],
    ["stage", translated("stage", record.stage)],
    ["kind", translated("kind", record.kind)],
    ["name", text(content.name)],
    ["size", formatSize(content.size)],
    ["media_type", text(content.media_type)],
    ["submitter", text(record.submitter)],
    ["received_at", formatTime(record.received_at)],
    ["client_time", formatTime(record.client_time)],
    ["gps", formatGps(record.data)],
    ["sha256", text(content.sha256), true],
    ["sm3", text(content.sm3), true],
    ["cid", text(content.cid), true],
    ["id", text(item.id), true],
    ["leaf_index", Number.isInteger(item.leaf_index) ? item.leaf_index : null],
    ["leaf_hash", text(bundle ? bundle.leaf_hash : item.leaf_hash), true],
  ]));

  const sigs = Array.isArray(record.signatures) ? record.signatures.filter(isObject) : [];
  box.append(el("h3", {}, t("section.signatures")));
  if (sigs.length === 0) box.append(el("p", { class: "muted" }, t("section.signatures.none")));
  else {
    box.append(el("p", { class: "muted small" }, t("section.signatures.note")));
    box.append(el("ul", { class: "sigs" }, sigs.map((s) => signatureRow(s, item, view, index))));
  }

  if (bundle) {
    const cp = bundle.checkpoint;
    box.append(el("h3", {}, t("section.checkpoint")));
    box.append(fields([
      ["tree_size", cp.tree_size],
      ["root_hash", text(cp.root_hash), true],
      ["timestamp", formatTime(cp.timestamp)],
    ]));
  }
  box.append(el("h3", {}, t("section.chain")));
  const anchor = bundle && isObject(bundle.anchor) ? bundle.anchor : null;
  if (anchor) {
    box.append(fields([
      ["chain_id", anchor.chain_id],
      ["contract", text(anchor.contract), true],
      ["tx_hash", text(anchor.tx_hash), true],
      ["block_number", anchor.block_number],
    ]));
  } else {
    box.append(el("p", { class: "pending-note" }, t("section.chain.pending")));
  }

  const checksBox = el("div", { class: "checks-grid" });
  if (index === 0 && view.serverChecks.length) {
    checksBox.append(el("section", { class: "checks-col" },
      el("h3", {}, t("section.server")), checkList(view.serverChecks, "server")));
  }
  checksBox.append(el("section", { class: "checks-col" },
    el("h3", {}, t("section.browser")),
    el("p", { class: "muted small" }, t("section.browser.note")),
    checkList(item.browser, "browser")));
  box.append(checksBox);
  return box;
}

/** The ids a "not from this log" failure names: the bundle's log and the pinned one. */
function foreignIds(view) {
  const item = view.items.find((i) => i.bundle);
  const check = item && item.browser.find((c) => c.check === "log" && c.key === "why.log_foreign");
  if (check) return check.params;
  return { theirs: item ? item.bundle.checkpoint.log_id : "?", ours: view.trust.logId || "?" };
}

/** [title, body lines (text, or a node holding ids)] of the verdict, in plain words. */
function verdictWords(view) {
  const v = view.verdict;
  const onFile = Boolean(view.context.file || view.context.sha256);
  if (v === "ok") {
    const lines = view.level === Level.ANCHORED
      ? [t(onFile ? "verdict.anchored.file" : "verdict.anchored")]
      : [t("verdict.logged.text")];
    if (view.sigNote) lines.push(t("verdict.sig_note"));
    return [t(view.level === Level.ANCHORED ? "verdict.ok" : "verdict.logged"), lines];
  }
  if (v === "warn") {
    if (view.offline) {
      const logged = view.level === Level.LOG_VERIFIED;
      return [t(logged ? "verdict.offline" : "verdict.unauth"), [t(logged ? "verdict.offline.logged" : "verdict.offline.unauth")]];
    }
    return [t("verdict.unauth"), [t(view.unconfirmed ? "verdict.unconfirmed.text" : "verdict.unauth.text")]];
  }
  if (v === "bad") {
    if (view.mismatch) return [t("verdict.bad"), [t("verdict.mismatch")]];
    const lines = [];
    if (view.failing && view.failing.check === "log") {
      const ids = foreignIds(view);
      lines.push(t("verdict.foreign"),
        el("span", { class: "verdict-id" }, `${t("verdict.foreign.theirs")} `, el("span", { class: "mono" }, ids.theirs)),
        el("span", { class: "verdict-id" }, `${t("verdict.foreign.ours")} `, el("span", { class: "mono" }, ids.ours)));
    }
    else if (view.failing) lines.push(t("verdict.failed", { check: checkLabel(text(view.failing.check) || "?") }));
    lines.push(t("verdict.bad.text"));
    return [t("verdict.bad"), lines];
  }
  return [t(`verdict.${v}`), [t(`verdict.${v}.text`)]];
}

function verdictBox(view) {
  const [title, lines] = verdictWords(view);
  return el("div", {
    class: `verdict verdict--${view.verdict}`,
    id: "verdict",
    "data-verdict": view.verdict,
    "data-level": view.level || null,
    "data-failed": view.failing ? text(view.failing.check) : null,
  },
  el("span", { class: "verdict-icon", "aria-hidden": "true" }),
  el("div", {},
    el("p", { class: "verdict-title" }, title),
    lines.map((line) => el("p", { class: "verdict-text" }, line)),
    view.items.length > 1 ? el("p", { class: "verdict-text" }, t("verdict.count", { n: view.items.length })) : null));
}

/** Which key the browser checked with, and where the page got it. */
function trustNote(trust) {
  const note = el("div", { class: "trust-note", id: "trust-note", "data-trust-source": trust.source });
  if (trust.source === "none") note.append(el("p", {}, t("trust.none")));
  else {
    const key = trust.source === "cache" ? "trust.cache" : "trust.network";
    note.append(el("p", {}, t(key, { time: formatTime(trust.fetchedAt) }), el("span", { class: "mono" }, trust.logId)));
  }
  if (trust.changedFrom) note.append(el("p", { class: "trust-changed" }, t("trust.changed", { old: trust.changedFrom })));
  return note;
}

function render(view) {
  state.view = view;
  const result = $("result");
  result.replaceChildren();
  result.hidden = false;
  result.dataset.verdict = view.kind === "result" ? view.verdict : view.kind;
  if (view.kind === "result" && view.level) result.dataset.level = view.level;
  else delete result.dataset.level;
  if (view.kind === "busy") {
    result.append(el("p", { class: "busy" }, t(view.key, view.params)));
    return;
  }
  if (view.kind === "error") {
    result.append(el("div", { class: "verdict verdict--error", id: "verdict", role: "alert" },
      el("span", { class: "verdict-icon", "aria-hidden": "true" }),
      el("p", { class: "verdict-text" }, t(view.key, view.params))));
    return;
  }
  result.append(verdictBox(view));
  result.append(trustNote(view.trust));
  const f = view.context.file;
  if (f) {
    result.append(el("p", { class: "your-file" }, `${t("file.chosen")}: `, el("strong", {}, f.name),
      ` · ${formatSize(f.size)} · SHA-256 `, el("span", { class: "mono" }, f.sha256)));
  }
  view.items.forEach((item, i) => result.append(renderItem(item, i, view.items.length, view)));
  if (view.items.length === 0 && view.serverChecks.length) {
    result.append(el("div", { class: "card" }, el("h3", {}, t("section.server")), checkList(view.serverChecks, "server")));
  }
  result.append(el("p", { class: "again" }, el("a", { class: "btn btn--ghost", href: "#file-card" }, t("again"))));
}

async function run(task) {
  for (const b of document.querySelectorAll("button, input")) b.disabled = true;
  try {
    render(await task());
  } catch (e) {
    if (e instanceof PageError) render({ kind: "error", key: e.key, params: e.params });
    else {
      console.error(e);
      render({ kind: "error", key: "error.server", params: { status: String(e && e.message ? e.message : e) } });
    }
  } finally {
    for (const b of document.querySelectorAll("button, input")) b.disabled = false;
    $("file-progress").hidden = true;
    const result = $("result");
    result.focus({ preventScroll: true });
    result.scrollIntoView({ behavior: "smooth", block: "start" });
  }
}

// --- the four ways in --------------------------------------------------------------------------

function checkFile(file) {
  return run(async () => {
    const progress = $("file-progress");
    const bar = $("file-progress-bar");
    progress.hidden = false;
    bar.value = 0;
    render({ kind: "busy", key: "file.hashing" });
    let sha256;
    try {
      sha256 = await hashFile(file, (fraction) => { bar.value = Math.round(fraction * 100); });
    } catch {
      throw new PageError("error.file");
    }
    const context = { file: { name: file.name, size: file.size, sha256 } };
    render({ kind: "busy", key: "working" });
    const response = await postVerify(JSON.stringify({ sha256 }));
    return buildView(response, context);
  });
}

function validateHash(raw) {
  const value = raw.trim().toLowerCase();
  if (value.length !== 64) return { error: t("hash.error.length", { n: value.length }) };
  if (!SHA256_HEX.test(value)) return { error: t("hash.error.chars") };
  return { value };
}

function checkHash(sha256) {
  return run(async () => {
    render({ kind: "busy", key: "working" });
    const response = await postVerify(JSON.stringify({ sha256 }));
    return buildView(response, { sha256 });
  });
}

/** {bundle} read strictly from pasted or uploaded text, or {error, params} saying why not. */
function parseBundleText(raw) {
  if (!raw.trim()) return { error: "bundle.error.empty" };
  if (new TextEncoder().encode(raw).length > MAX_BUNDLE_BYTES) return { error: "bundle.error.large" };
  let bundle;
  try {
    bundle = parseJson(raw, { what: "bundle" });
  } catch (e) {
    if (e.code === "duplicate") return { error: "bundle.error.duplicate", params: { key: e.key } };
    if (e.code === "depth") return { error: "bundle.error.depth", params: { max: MAX_DEPTH } };
    return { error: "bundle.error.json" };
  }
  if (!isObject(bundle) || bundle.format !== "sunlight-proof/1") return { error: "bundle.error.format" };
  const problem = bundleProblem(bundle);
  if (problem) return { error: "bundle.error.shape", params: { problem } };
  return { bundle };
}

function checkBundle(bundle) {
  return run(async () => {
    render({ kind: "busy", key: "working" });
    // The server judges exactly what this page read: the parsed bundle, written out again.
    let response = null;
    try {
      response = await postVerify(JSON.stringify(bundle));
    } catch (e) {
      if (!(e instanceof PageError && e.key === "error.network")) throw e;
    }
    return buildView(response, { bundle });
  });
}

function checkId(id) {
  return run(async () => {
    render({ kind: "busy", key: "id.loading", params: { id } });
    const path = `/v1/records/${encodeURIComponent(id)}`;
    const proof = await request(`${path}/proof`);
    if (proof.status === 404) throw new PageError("error.notfound", { id });
    if (proof.status === 200 && isObject(proof.body) && !bundleProblem(proof.body)) {
      const response = await postVerify(JSON.stringify(proof.body));
      return buildView(response, { bundle: proof.body, id });
    }
    if (proof.status === 202) {
      const got = await request(path);
      const body = isObject(got.body) ? got.body : {};
      const record = isObject(body.record) ? body.record : body.v === 1 ? body : null;
      const item = { id, record, leaf_index: body.leaf_index, leaf_hash: body.leaf_hash, bundle: null, status: "pending" };
      const trust = await loadTrust();
      item.browser = await browserChecks(item, {}, trust);
      const failing = failures(item.browser)[0] || null;
      const verdict = failing ? "bad" : "pending";
      return { kind: "result", verdict, level: null, failing, items: [item], serverChecks: [], context: { id }, trust };
    }
    throw new PageError("error.server", { status: proof.status });
  });
}

// --- wiring ------------------------------------------------------------------------------------

function showFieldError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

function init() {
  applyLanguage(initialLanguage());
  loadTrust(); // pinned (and saved) before the visitor asks anything
  $("lang-zh").addEventListener("click", () => { saveLanguage("zh"); applyLanguage("zh"); });
  $("lang-en").addEventListener("click", () => { saveLanguage("en"); applyLanguage("en"); });

  const input = $("file-input");
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) checkFile(input.files[0]);
    input.value = "";
  });
  // A file dropped anywhere on the page is checked (and not opened by the browser instead).
  const drop = $("drop");
  let depth = 0;
  document.addEventListener("dragenter", (e) => { e.preventDefault(); depth += 1; drop.classList.add("drop--over"); });
  document.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) drop.classList.remove("drop--over"); });
  document.addEventListener("dragover", (e) => { e.preventDefault(); });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    drop.classList.remove("drop--over");
    const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (file) checkFile(file);
  });

  const hashInput = $("hash-input");
  const hashError = $("hash-error");
  $("hash-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const { value, error } = validateHash(hashInput.value);
    showFieldError(hashError, error);
    hashInput.setAttribute("aria-invalid", String(Boolean(error)));
    if (error) hashInput.focus();
    else checkHash(value);
  });

  const bundleText = $("bundle-text");
  const bundleError = $("bundle-error");
  $("bundle-file").addEventListener("change", async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    if (file.size > MAX_BUNDLE_BYTES) {
      showFieldError(bundleError, t("bundle.error.large"));
      return;
    }
    bundleText.value = await file.text();
    $("bundle-form").requestSubmit();
  });
  $("bundle-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const { bundle, error, params } = parseBundleText(bundleText.value);
    showFieldError(bundleError, error ? t(error, params) : null);
    bundleText.setAttribute("aria-invalid", String(Boolean(error)));
    // A refused bundle replaces any earlier verdict: no success may stay on screen beside it.
    if (error) render({ kind: "error", key: error, params });
    else checkBundle(bundle);
  });

  const id = new URLSearchParams(window.location.search).get("id");
  if (id !== null) {
    if (RECORD_ID.test(id)) checkId(id);
    else render({ kind: "error", key: "error.notfound", params: { id: id.slice(0, 80) } });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
