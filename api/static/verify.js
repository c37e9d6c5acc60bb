// The public verification page.
//
// A file is hashed here, in the browser (it never leaves the machine); its SHA-256, a pasted
// SHA-256 or a proof bundle goes to POST /v1/verify; /verify?id=<record id> fetches the record's
// bundle first. Whatever the server answers, the page checks the bundle again itself: the record's
// leaf hash (RFC 8785 + SHA-256), the inclusion proof up to the checkpoint's root (RFC 9162), the
// checkpoint's Ed25519 signature when the browser can, and the dropped file's digest. Every value
// from the server or a bundle is put on the page as text, never as HTML.

import { STRINGS, initialLanguage, saveLanguage, translate } from "./i18n.js";
import { canonicalBytes } from "./jcs.js";
import { recordLeafHash, verifyInclusion } from "./merkle.js";
import { Sha256, toHex } from "./sha256.js";

const MAX_BUNDLE_BYTES = 1024 * 1024;
// Files up to this size are hashed by WebCrypto in one piece; larger ones (or every file, where
// WebCrypto is missing) in slices by the incremental SHA-256, in constant memory.
const WEBCRYPTO_MAX_BYTES = 64 * 1024 * 1024;
const SLICE_BYTES = 8 * 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const RECORD_ID = /^[A-Za-z0-9_-]{1,128}$/;

const state = { lang: "zh", view: null };
const $ = (id) => document.getElementById(id);
const t = (key, params) => translate(state.lang, key, params);

// --- small DOM helpers (text only) -------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v) => (v === null || v === undefined || v === "" ? null : String(v));

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

class PageError extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "no-store", ...options });
  } catch {
    throw new PageError("error.network");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

async function postVerify(bodyText) {
  const { status, body } = await request("/v1/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: bodyText,
  });
  if (status === 200 && isObject(body) && Array.isArray(body.checks)) return body;
  if (status === 422 && isObject(body) && typeof body.detail === "string") {
    throw new PageError("error.refused", { detail: body.detail });
  }
  throw new PageError("error.server", { status });
}

// --- checks made in the browser ----------------------------------------------------------------

function base64ToBytes(value) {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

async function checkCheckpointSignature(bundle) {
  const cp = bundle.checkpoint;
  const key = base64ToBytes(bundle.log_public_key);
  if (!key || key.length !== 32) return { passed: null, detail: t("browser.no_key") };
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return { passed: null, detail: t("browser.unsupported") };
  const logId = toHex(new Uint8Array(await subtle.digest("SHA-256", key)));
  if (logId !== cp.log_id) return { passed: false, detail: t("browser.sig_logid") };
  const signature = base64ToBytes(cp.signature);
  const payload = canonicalBytes({
    type: "sunlight-checkpoint/1",
    log_id: cp.log_id,
    tree_size: cp.tree_size,
    root_hash: cp.root_hash,
    timestamp: cp.timestamp,
  });
  let publicKey;
  try {
    publicKey = await subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    return { passed: null, detail: t("browser.unsupported") };
  }
  try {
    const ok = signature !== null
      && (await subtle.verify({ name: "Ed25519" }, publicKey, signature, payload));
    return ok ? { passed: true, detail: t("browser.sig_ok") } : { passed: false, detail: t("browser.sig_bad") };
  } catch {
    return { passed: false, detail: t("browser.sig_bad") };
  }
}

function bundleProblem(bundle) {
  const cp = bundle && bundle.checkpoint;
  if (!isObject(bundle) || !isObject(bundle.record) || !isObject(cp)) return "bundle.error.format";
  return null;
}

/** The checks this browser makes on one registration; each {check, passed, detail}. */
async function browserChecks(item, context) {
  const checks = [];
  const add = (check, passed, detail) => checks.push({ check, passed, detail });
  const bundle = item.bundle;
  const record = bundle ? bundle.record : item.record;

  if (bundle) {
    let computed = null;
    try {
      computed = recordLeafHash(bundle.record);
    } catch (e) {
      add("leaf_hash", false, String(e && e.message ? e.message : e));
    }
    if (computed !== null) {
      if (computed !== bundle.leaf_hash) {
        add("leaf_hash", false, t("browser.leaf_bad", { got: computed, want: bundle.leaf_hash }));
      } else if (item.leaf_hash && item.leaf_hash !== bundle.leaf_hash) {
        add("leaf_hash", false, t("browser.leaf_server", { got: item.leaf_hash, want: bundle.leaf_hash }));
      } else {
        add("leaf_hash", true, t("browser.leaf_ok"));
      }
    }
    const cp = bundle.checkpoint;
    const inclusion = verifyInclusion(
      computed ?? "", bundle.leaf_index, cp.tree_size, bundle.inclusion_proof, cp.root_hash,
    );
    add("inclusion", inclusion.ok, inclusion.ok ? t("browser.inclusion_ok") : inclusion.reason);
    const sig = await checkCheckpointSignature(bundle);
    add("checkpoint_signature", sig.passed, sig.detail);
  } else {
    if (isObject(item.record) && typeof item.leaf_hash === "string") {
      let computed = null;
      try {
        computed = recordLeafHash(item.record);
      } catch {
        computed = null;
      }
      const ok = computed === item.leaf_hash;
      add("leaf_hash", ok, ok ? t("browser.leaf_ok") : t("browser.leaf_bad", { got: computed, want: item.leaf_hash }));
    }
    add("inclusion", null, t("browser.no_bundle"));
  }

  const content = isObject(record) && isObject(record.content) ? record.content : null;
  if (context.file) {
    const f = context.file;
    if (!content) add("file", false, t("browser.file_none"));
    else if (content.sha256 !== f.sha256) add("file", false, t("browser.file_bad", { got: f.sha256, want: content.sha256 }));
    else if (content.size !== f.size) add("file", false, t("browser.file_size", { got: f.size, want: content.size }));
    else add("file", true, t("browser.file_ok"));
  } else if (context.sha256) {
    const ok = Boolean(content) && content.sha256 === context.sha256;
    add("sha256", ok, ok ? t("browser.sha_ok") : t("browser.sha_bad", { want: content ? content.sha256 : t("none") }));
  }
  return checks;
}

// --- building the view -------------------------------------------------------------------------

function itemsOf(response, context) {
  const records = Array.isArray(response.records) ? response.records.filter(isObject) : [];
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

async function buildView(response, context) {
  const items = itemsOf(response, context);
  for (const item of items) item.browser = await browserChecks(item, context);
  const serverChecks = Array.isArray(response.checks) ? response.checks.filter(isObject) : [];
  const failed = (checks) => checks.some((c) => c.passed === false);
  const browserFailed = items.some((item) => failed(item.browser));
  const browserProved = items.some((item) => item.bundle && !failed(item.browser)
    && ["leaf_hash", "inclusion"].every((n) => item.browser.some((c) => c.check === n && c.passed === true)));

  let verdict;
  if (items.length === 0) verdict = response.verified ? "bad" : "notfound";
  else if (response.verified === true && browserProved && !browserFailed) verdict = "ok";
  else if (!failed(serverChecks) && !browserFailed && items.every((i) => !i.bundle)) verdict = "pending";
  else verdict = "bad";
  const mismatch = verdict === "bad" && response.verified === true;
  return { kind: "result", verdict, mismatch, items, serverChecks, context };
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

function checkList(checks, who) {
  const list = el("ul", { class: "checks", "data-checks": who });
  for (const c of checks) {
    const status = c.passed === true ? "true" : c.passed === false ? "false" : "null";
    const name = text(c.check) || "?";
    const label = `check.${name}` in STRINGS[state.lang] ? t(`check.${name}`) : name;
    list.append(el("li", { class: `check check--${status}`, "data-check": name, "data-passed": status },
      el("span", { class: "check-icon", "aria-hidden": "true" }),
      el("span", { class: "check-body" },
        el("span", { class: "check-label" }, label),
        el("span", { class: "check-status" }, t(`status.${status}`)),
        text(c.detail) ? el("span", { class: "check-detail" }, c.detail) : null)));
  }
  return list;
}

function renderItem(item, index, count, view) {
  const record = isObject(item.record) ? item.record : {};
  const content = isObject(record.content) ? record.content : {};
  const bundle = item.bundle;
  const title = count > 1 ? t("section.record.n", { n: index + 1 }) : t("section.record");
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
    box.append(el("ul", { class: "sigs" }, sigs.map((s) => el("li", {},
      el("span", { class: "sig-party" }, text(s.party) || "?"),
      ` · ${text(s.alg) || "?"} · ${t("field.key_id")} `,
      el("span", { class: "mono" }, text(s.key_id) || "?")))));
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

function verdictBox(view) {
  const v = view.verdict;
  const heading = { ok: "verdict.ok", bad: "verdict.bad", notfound: "verdict.notfound", pending: "verdict.pending" }[v];
  let body;
  if (v === "ok") body = view.context.file || view.context.sha256 ? t("verdict.ok.file") : t("verdict.ok.record");
  else if (v === "bad") body = view.mismatch ? t("verdict.mismatch") : t("verdict.bad.text");
  else body = t(`verdict.${v}.text`);
  const box = el("div", { class: `verdict verdict--${v}`, id: "verdict" },
    el("span", { class: "verdict-icon", "aria-hidden": "true" }),
    el("div", {},
      el("p", { class: "verdict-title" }, t(heading)),
      el("p", { class: "verdict-text" }, body),
      view.items.length > 1 ? el("p", { class: "verdict-text" }, t("verdict.count", { n: view.items.length })) : null));
  return box;
}

function render(view) {
  state.view = view;
  const result = $("result");
  result.replaceChildren();
  result.hidden = false;
  result.dataset.verdict = view.kind === "result" ? view.verdict : view.kind;
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

function parseBundleText(raw) {
  if (!raw.trim()) return { error: "bundle.error.empty" };
  if (new TextEncoder().encode(raw).length > MAX_BUNDLE_BYTES) return { error: "bundle.error.large" };
  let bundle;
  try {
    bundle = JSON.parse(raw);
  } catch {
    return { error: "bundle.error.json" };
  }
  if (!isObject(bundle) || bundle.format !== "sunlight-proof/1" || bundleProblem(bundle)) {
    return { error: "bundle.error.format" };
  }
  return { bundle };
}

function checkBundle(raw, bundle) {
  return run(async () => {
    render({ kind: "busy", key: "working" });
    const response = await postVerify(raw);
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
      item.browser = await browserChecks(item, {});
      const verdict = item.browser.some((c) => c.passed === false) ? "bad" : "pending";
      return { kind: "result", verdict, mismatch: false, items: [item], serverChecks: [], context: { id } };
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
    const raw = bundleText.value;
    const { bundle, error } = parseBundleText(raw);
    showFieldError(bundleError, error ? t(error) : null);
    bundleText.setAttribute("aria-invalid", String(Boolean(error)));
    if (!error) checkBundle(raw, bundle);
  });

  const id = new URLSearchParams(window.location.search).get("id");
  if (id !== null) {
    if (RECORD_ID.test(id)) checkId(id);
    else render({ kind: "error", key: "error.notfound", params: { id: id.slice(0, 80) } });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
