// The field capture page (docs/field-capture.md): pair this phone with a one-time code, capture
// photos and notes with position and time, keep them in the queue while offline, and show each as
// waiting, sending, notarized or refused — with its receipt checked and its proof, which can be
// shown and exported offline. The queue and the keys: capture-queue.js; the checks: verdict.js.

import { WORDS, say } from "./capture-words.js";
import { get, items, put } from "./capture-store.js";
import {
  SYNC_TAG, capture, flush, judgeProof, newDeviceKey, nextTry, onChange, publicKeyBase64, signedFetch,
} from "./capture-queue.js";
import { el, fetchTrust, request } from "./page.js";

const CAPTURE_KINDS = ["site_photo", "progress_report", "supervision_report"];
const state = { lang: "zh", device: null, projects: null, position: null, timer: null };
const $ = (id) => document.getElementById(id);
const w = (key, params) => say(state.lang, key, params);

// --- words and the network -----------------------------------------------------------------------

function applyLanguage(lang) {
  state.lang = lang in WORDS ? lang : "zh";
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = w("page.title");
  for (const node of document.querySelectorAll("[data-w]")) node.textContent = w(node.dataset.w);
  $("lang").textContent = w("lang");
  showNetwork();
  if (state.device) {
    showProjects();
    renderQueue();
  }
}

function showNetwork() {
  const online = navigator.onLine;
  $("net").dataset.online = String(online);
  $("net").textContent = w(online ? "online" : "offline");
}

const show = (node, message) => {
  node.textContent = message || "";
  node.hidden = !message;
};

// --- pairing ---------------------------------------------------------------------------------------

function luhnDigit(digits) {
  let total = 0;
  [...digits].reverse().forEach((ch, i) => {
    const d = Number(ch) * (i % 2 === 0 ? 2 : 1);
    total += d > 9 ? d - 9 : d;
  });
  return String((10 - (total % 10)) % 10);
}

function pairProblem(digits) {
  if (!/^\d{11}$/.test(digits)) return "pair.bad_shape";
  if (luhnDigit(digits.slice(0, 10)) !== digits[10]) return "pair.typo";
  return navigator.onLine ? null : "pair.offline";
}

async function pair(event) {
  event.preventDefault();
  const digits = $("pair-code").value.replace(/[\s-]/g, "");
  const problem = pairProblem(digits);
  if (problem) return show($("pair-error"), w(problem));
  show($("pair-error"), "");
  $("pair-submit").disabled = true;
  $("pair-submit").textContent = w("pair.working");
  try {
    const trust = await fetchTrust();
    if (trust.source !== "network") throw new Error(w("pair.offline"));
    const { alg, pair: keys } = await newDeviceKey();
    const body = JSON.stringify({ code: digits, alg, public_key: await publicKeyBase64(keys), label: navigator.userAgent.slice(0, 100) });
    const answer = await request("/v1/devices", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    if (answer.status !== 201) throw new Error(pairRefusal(answer));
    const device = { party: answer.body.party, key_id: answer.body.key_id, alg, privateKey: keys.privateKey, trust: trust.doc };
    await put("device", device, "self");
    state.device = device;
    await refreshProjects();
    enter();
  } catch (e) {
    show($("pair-error"), e.key ? w(e.key) : e.message);
  } finally {
    $("pair-submit").disabled = false;
    $("pair-submit").textContent = w("pair.submit");
  }
}

function pairRefusal({ status, body }) {
  if (status === 401) return w("pair.refused");
  if (status === 429) return w("pair.busy");
  if (status === 422 && body && /typo/.test(body.detail)) return w("pair.typo");
  return w("pair.failed", { detail: (body && body.detail) || `HTTP ${status}` });
}

// --- projects and the form ----------------------------------------------------------------------------

async function refreshProjects() {
  try {
    const answer = await signedFetch(state.device, "GET", "/v1/capture/projects");
    if (answer.status === 200) {
      state.projects = answer.body;
      await put("cache", answer.body, "projects");
    }
  } catch {
    // offline: the cached list stays
  }
  showProjects();
}

function capturable(project) {
  return project.may_submit.filter((k) => CAPTURE_KINDS.includes(k));
}

function showProjects() {
  const data = state.projects;
  const me = data ? data.me : null;
  $("hello").textContent = me ? w("hello", { name: me.name }) : "";
  const projects = data ? data.projects.filter((p) => capturable(p).length) : [];
  const select = $("project");
  const chosen = select.value;
  select.replaceChildren(...projects.map((p) => el("option", { value: p.code }, `${p.name}（${p.step_zh}）`)));
  if (projects.some((p) => p.code === chosen)) select.value = chosen;
  $("no-project").hidden = projects.length > 0;
  $("save").disabled = projects.length === 0;
  showKinds();
}

function currentProject() {
  return state.projects ? state.projects.projects.find((p) => p.code === $("project").value) : null;
}

function showKinds() {
  const project = currentProject();
  const kinds = project ? capturable(project) : [];
  const chosen = $("kind").value;
  $("kind").replaceChildren(...kinds.map((k) => el("option", { value: k }, w(`kind.${k}`))));
  if (kinds.includes(chosen)) $("kind").value = chosen;
  const kind = $("kind").value;
  $("photo-field").hidden = kind !== "site_photo";
  $("percent-field").hidden = kind !== "progress_report";
}

function locate() {
  if (!navigator.geolocation) return show($("gps"), w("gps.none"));
  show($("gps"), w("gps.waiting"));
  navigator.geolocation.getCurrentPosition(
    (p) => {
      state.position = p;
      show($("gps"), w("gps.ok", { m: Math.round(p.coords.accuracy) }));
      $("gps-retry").hidden = true;
    },
    () => {
      show($("gps"), w("gps.none"));
      $("gps-retry").hidden = false;
    },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
  );
}

/** This device's time, RFC 3339 with its offset: 2026-05-11T09:30:00+08:00. */
function localTime(date = new Date()) {
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const zone = `${offset >= 0 ? "+" : "-"}${pad(offset / 60)}:${pad(offset % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

function recordData(kind, now) {
  const me = state.projects.me;
  const data = { actor: { organisation: me.organisation, role: me.lifecycle_roles[0] }, taken_at: now };
  const p = state.position;
  if (p) data.gps = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) };
  const note = $("note").value.trim();
  if (note) data.note = note;
  if (kind === "progress_report") data.percent = Number($("percent").value);
  return data;
}

async function save(event) {
  event.preventDefault();
  show($("capture-done"), "");
  const project = currentProject();
  const kind = $("kind").value;
  const photos = [...$("photos").files];
  const percent = $("percent").value;
  if (kind === "site_photo" && photos.length === 0) return show($("capture-error"), w("capture.need_photo"));
  if (kind === "progress_report" && !/^(100|[1-9]?\d)$/.test(percent)) return show($("capture-error"), w("capture.need_percent"));
  show($("capture-error"), "");
  const now = localTime();
  const fields = { project: project.code, stage: project.step, kind, data: recordData(kind, now), clientTime: now };
  const files = kind === "site_photo" ? photos : [null];
  for (const file of files) await capture(state.device, fields, file);
  $("capture-form").reset();
  showKinds();
  $("photo-count").textContent = "";
  show($("capture-done"), w("capture.saved", { n: files.length }));
  requestSync();
  sendNow();
}

// --- the queue -------------------------------------------------------------------------------------

function requestSync() {
  if (!navigator.serviceWorker) return;
  navigator.serviceWorker.ready.then((r) => r.sync && r.sync.register(SYNC_TAG)).catch(() => {});
}

async function sendNow() {
  clearTimeout(state.timer);
  if (navigator.onLine) await flush();
  await renderQueue();
  const next = await nextTry();
  if (next !== null) state.timer = setTimeout(sendNow, Math.max(1000, next - Date.now()));
}

function exportProof(item) {
  const blob = new Blob([JSON.stringify(item.bundle, null, 2)], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `proof-${item.answer.id}.json` });
  document.body.append(link);
  link.click();
  link.remove();
}

function proofDetails(item) {
  const r = item.answer.receipt || {};
  const result = el("p", { class: "recheck" });
  const details = el(
    "details", {},
    el("summary", {}, w("proof.show")),
    el("dl", {},
      el("dt", {}, w("proof.index")), el("dd", {}, String(item.answer.leaf_index)),
      el("dt", {}, w("proof.time")), el("dd", {}, String(r.received_at || "")),
      item.sha256 ? [el("dt", {}, w("proof.file")), el("dd", {}, item.sha256)] : null),
    result,
  );
  details.addEventListener("toggle", async () => {
    if (!details.open || !item.bundle) return;
    const level = await judgeProof(state.device, item, item.bundle); // offline, as /verify would
    result.dataset.level = level;
    result.textContent = w("proof.recheck", { level: w(`proof.${level}`) });
  });
  return details;
}

function itemView(item) {
  const title = `${w(`kind.${item.meta.kind}`)}${item.name ? ` · ${item.name}` : ""}`;
  const node = el("li", { class: "item", "data-status": item.status, "data-id": item.id },
    el("div", { class: "item-head" }, el("strong", {}, title), el("span", { class: "badge" }, w(`status.${item.status}`))));
  if (item.status === "refused") {
    const why = item.reason || {};
    const reason = why.status === 401 ? w("refused.device") : (state.lang === "zh" && why.zh) || why.detail || "";
    node.append(el("p", { class: "bad reason" }, w("refused.keep", { reason })));
  }
  if (item.status !== "notarized") return node;
  const receipt = item.receipt_ok === true ? "ok" : item.receipt_ok === false ? "bad" : "pending";
  node.append(el("p", { class: receipt === "bad" ? "bad" : "good", "data-receipt": receipt }, w(`receipt.${receipt}`)));
  if (item.bundle) {
    node.append(el("p", { "data-level": item.level, class: item.level === "not_verified" ? "bad" : "good" }, w(`proof.${item.level}`)));
    const button = el("button", { type: "button", class: "small export" }, w("proof.export"));
    button.addEventListener("click", () => exportProof(item));
    node.append(button);
  } else {
    node.append(el("p", { class: "note" }, w("proof.wait")));
  }
  node.append(proofDetails(item));
  return node;
}

async function renderQueue() {
  const all = (await items()).reverse();
  const open = new Set([...document.querySelectorAll(".item details[open]")].map((d) => d.closest(".item").dataset.id));
  $("queue").replaceChildren(...all.map(itemView));
  for (const id of open) {
    const node = document.querySelector(`.item[data-id="${CSS.escape(id)}"] details`);
    if (node) node.open = true;
  }
  $("queue-empty").hidden = all.length > 0;
}

// --- start -----------------------------------------------------------------------------------------

function enter() {
  $("pair").hidden = true;
  $("capture").hidden = false;
  $("queue-card").hidden = false;
  showProjects();
  locate();
  sendNow();
}

async function start() {
  applyLanguage(localStorage.getItem("sunlight.lang") === "en" ? "en" : "zh");
  $("lang").addEventListener("click", () => {
    applyLanguage(state.lang === "zh" ? "en" : "zh");
    localStorage.setItem("sunlight.lang", state.lang);
  });
  window.addEventListener("online", () => {
    showNetwork();
    refreshProjects().then(sendNow);
  });
  window.addEventListener("offline", showNetwork);
  $("pair-form").addEventListener("submit", pair);
  $("capture-form").addEventListener("submit", save);
  $("project").addEventListener("change", showKinds);
  $("kind").addEventListener("change", showKinds);
  $("refresh").addEventListener("click", refreshProjects);
  $("gps-retry").addEventListener("click", locate);
  $("send-now").addEventListener("click", sendNow);
  $("photos").addEventListener("change", () => {
    $("photo-count").textContent = w("capture.photos_n", { n: $("photos").files.length });
  });
  onChange(() => renderQueue());
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register("/capture-sw.js", { scope: "/capture", type: "module" }).catch(() => {});
  }
  state.device = (await get("device", "self")) || null;
  if (state.device === null) {
    $("pair").hidden = false;
    return;
  }
  state.projects = (await get("cache", "projects")) || null;
  enter();
  if (navigator.onLine) refreshProjects();
}

start();
