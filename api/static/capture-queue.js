// The field capture queue, shared by the page and its service worker (docs/field-capture.md).
//
// The device key is generated here by WebCrypto, not extractable (Ed25519; ECDSA P-256 where the
// browser has no Ed25519), and kept as a CryptoKey in IndexedDB: the page never holds a token.
// Each record is signed on the phone over its signing payload (record.js signingPayload, as
// notary/records.py); each request over {method, target, Idempotency-Key, time}
// (api/service/devices.py request_payload). Queued records wait in IndexedDB and are sent oldest
// first, with the idempotency key fixed when they were captured, and backoff after a failure. A
// receipt is checked against the log key pinned when the phone was paired, the record the server
// logged against what was captured, and a proof bundle with verdict.js — the /verify page's code.

import { get, items, put, update } from "./capture-store.js";
import { canonicalBytes } from "./jcs.js";
import { parseJson } from "./json.js";
import { recordLeafHash } from "./merkle.js";
import { isObject, signingPayload } from "./record.js";
import { toHex } from "./sha256.js";
import { judge, parseTrust, statementSignature } from "./verdict.js";

export const SYNC_TAG = "sunlight-capture-upload";
const LOCK = "sunlight-capture-upload";
const CHANNEL = "sunlight-capture";
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const FIRST_BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;

/** Server time minus this device's time (ms), learned from each answer's Date header. */
let clockOffset = 0;

const base64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));

// --- the device key ------------------------------------------------------------------------------

/** {alg, pair}: a new key pair whose private half cannot leave WebCrypto. */
export async function newDeviceKey() {
  try {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    return { alg: "ed25519", pair };
  } catch {
    const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
    return { alg: "p256", pair };
  }
}

export async function publicKeyBase64(pair) {
  return base64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
}

/** 64 bytes: Ed25519's signature, or P-256's r || s with s made low, as the server requires. */
async function sign(device, message) {
  const algorithm = device.alg === "ed25519" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
  const sig = new Uint8Array(await crypto.subtle.sign(algorithm, device.privateKey, message));
  if (device.alg !== "p256") return sig;
  let s = sig.subarray(32).reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  if (s > P256_N / 2n) {
    s = P256_N - s;
    for (let i = 63; i >= 32; i -= 1, s >>= 8n) sig[i] = Number(s & 0xffn);
  }
  return sig;
}

// --- signed requests -----------------------------------------------------------------------------

async function authorization(device, method, target, idem) {
  const time = Math.floor((Date.now() + clockOffset) / 1000);
  const payload = canonicalBytes({
    type: "sunlight-device-request/1",
    party: device.party,
    key_id: device.key_id,
    method,
    target,
    idempotency_key: idem,
    time,
  });
  return `SunlightDevice ${device.party} ${device.key_id} ${time} ${base64(await sign(device, payload))}`;
}

/** Learn the server's time; true when it moved this device's idea of it by more than a minute. */
function learnClock(response) {
  const date = Date.parse(response.headers.get("date") || "");
  if (Number.isNaN(date)) return false;
  const before = clockOffset;
  clockOffset = date - Date.now();
  return Math.abs(clockOffset - before) > 60_000;
}

/** {status, body, retryAfter}; throws when the network fails. A 401 that came from a wrong phone
 * clock is tried once more with the server's time. */
export async function signedFetch(device, method, target, { idem = null, body } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Authorization: await authorization(device, method, target, idem) };
    if (idem !== null) headers["Idempotency-Key"] = idem;
    const response = await fetch(target, { method, headers, body, credentials: "omit", cache: "no-store" });
    const skewed = learnClock(response);
    if (response.status === 401 && skewed && attempt === 0) continue;
    let json = null;
    try {
      json = parseJson(await response.text(), { what: "answer" });
    } catch {
      json = null;
    }
    return { status: response.status, body: json, retryAfter: Number(response.headers.get("retry-after")) || 0 };
  }
}

// --- capturing -------------------------------------------------------------------------------------

/** A record as the device signs and queues it: {project, stage, kind, data, clientTime} and a file
 * (a photo) or null. The idempotency key is fixed now, so every retry is the same request. */
export async function capture(device, { project, stage, kind, data, clientTime }, file = null) {
  const sha256 = file ? toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()))) : null;
  const meta = { project, stage, kind, data, client_time: clientTime };
  const payload = signingPayload({ ...meta, content: sha256 ? { sha256 } : null }, device.party);
  const sig = base64(await sign(device, payload));
  meta.signatures = [{ party: device.party, alg: device.alg, key_id: device.key_id, sig }];
  if (file) meta.media_type = /^image\/[a-z0-9.+-]+$/.test(file.type) ? file.type : "image/jpeg";
  const item = {
    id: crypto.randomUUID(),
    idem: crypto.randomUUID(),
    created: Date.now(),
    status: "waiting",
    meta,
    file,
    name: file ? (file.name || "photo.jpg").slice(0, 200) : null,
    sha256,
    tries: 0,
    next_try: 0,
    reason: null,
    answer: null,
    receipt_ok: null,
    bundle: null,
    level: null,
  };
  await put("items", item);
  changed();
  return item;
}

// --- sending ---------------------------------------------------------------------------------------

function changed() {
  try {
    const channel = new BroadcastChannel(CHANNEL);
    channel.postMessage("changed");
    channel.close();
  } catch {
    // no BroadcastChannel: the page re-reads the queue after its own flush
  }
}

/** Call `listener` whenever the queue changes, in this page or in the service worker. */
export function onChange(listener) {
  if (typeof BroadcastChannel === "function") new BroadcastChannel(CHANNEL).onmessage = listener;
}

async function set(id, fields) {
  await update(id, (item) => ({ ...item, ...fields }));
  changed();
}

/** Send what waits, check receipts, fetch proofs: once at a time across the page and the worker. */
export function flush() {
  if (globalThis.navigator && navigator.locks) {
    return navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? flushNow() : null));
  }
  return flushNow();
}

async function flushNow() {
  const device = await get("device", "self");
  if (!device) return;
  for (const item of await items()) {
    let offline = false;
    if ((item.status === "waiting" || item.status === "sending") && item.next_try <= Date.now()) {
      offline = await send(device, item);
    } else if (item.status === "notarized" && item.receipt_ok === null) {
      offline = await checkReceipt(device, item, item.answer);
    } else if (item.status === "notarized" && item.bundle === null) {
      offline = await fetchProof(device, item);
    }
    if (offline) return; // the network is gone: the rest waits for it too
  }
}

/** The soonest time (ms) an item waits for, or null. */
export async function nextTry() {
  const waiting = (await items()).filter((i) => i.status === "waiting");
  return waiting.length ? Math.min(...waiting.map((i) => i.next_try)) : null;
}

async function retryLater(item, afterSeconds) {
  const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** item.tries) * (0.5 + Math.random() / 2);
  const wait = Math.max(backoff, afterSeconds * 1000);
  await set(item.id, { status: "waiting", tries: item.tries + 1, next_try: Date.now() + wait });
}

/** {status, zh, detail}: a lifecycle refusal's Chinese words, and the server's detail. */
function reasonOf(body, status) {
  const text = (v) => (typeof v === "string" ? v : "");
  if (!isObject(body)) return { status, zh: "", detail: `HTTP ${status}` };
  return { status, zh: text(body.message_zh), detail: text(body.detail) || `HTTP ${status}` };
}

/** True when the network failed (the caller stops for now). */
async function send(device, item) {
  await set(item.id, { status: "sending" });
  const form = new FormData();
  form.append("meta", JSON.stringify(item.meta));
  if (item.file) form.append("file", item.file, item.name);
  let answer;
  try {
    answer = await signedFetch(device, "POST", "/v1/records", { idem: item.idem, body: form });
  } catch {
    await retryLater(item, 0);
    return true;
  }
  const { status, body } = answer;
  if ((status === 201 || status === 200) && isObject(body) && typeof body.id === "string") {
    const fields = { id: body.id, leaf_index: body.leaf_index, leaf_hash: body.leaf_hash, receipt: body.receipt };
    await set(item.id, { status: "notarized", answer: fields, reason: null });
    return checkReceipt(device, item, fields);
  }
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    await retryLater(item, answer.retryAfter);
    return status >= 500;
  }
  // Refused: kept on the phone, with the server's reason, for the person to see.
  await set(item.id, { status: "refused", reason: reasonOf(body, status) });
  return false;
}

/** Whether `record` (as logged) is what this item captured: its project, kind, data, file and
 * this device's signature. */
export function isOurs(item, record) {
  if (!isObject(record)) return false;
  const same = (a, b) => toHex(canonicalBytes(a ?? null)) === toHex(canonicalBytes(b ?? null));
  const sha = isObject(record.content) ? record.content.sha256 : null;
  const sigs = Array.isArray(record.signatures) ? record.signatures : [];
  return (
    record.project === item.meta.project &&
    record.kind === item.meta.kind &&
    sha === item.sha256 &&
    same(record.data, item.meta.data) &&
    sigs.some((s) => isObject(s) && s.sig === item.meta.signatures[0].sig)
  );
}

/** The receipt's signature by the pinned log key, and the logged record (its leaf hash is the
 * receipt's) is what was captured. receipt_ok: true, false, or null while unchecked. */
async function checkReceipt(device, item, answer) {
  const r = answer.receipt;
  let ok = isObject(r) && r.leaf_index === answer.leaf_index && r.leaf_hash === answer.leaf_hash;
  const pinned = ok ? parseTrust(device.trust).logs.find((l) => l.log_id === r.log_id) : null;
  if (!pinned) ok = false;
  if (ok) {
    const statement = { type: "sunlight-receipt/1", log_id: r.log_id, leaf_index: r.leaf_index, leaf_hash: r.leaf_hash, received_at: r.received_at };
    ok = (await statementSignature(statement, r.signature, pinned.public_key)).passed === true;
  }
  if (ok) {
    let logged;
    try {
      logged = await signedFetch(device, "GET", `/v1/records/${encodeURIComponent(answer.id)}`);
    } catch {
      return true; // checked later
    }
    const record = isObject(logged.body) ? logged.body.record : null;
    ok = logged.status === 200 && isOurs(item, record) && recordLeafHash(record) === answer.leaf_hash;
  }
  await set(item.id, { receipt_ok: ok });
  return false;
}

/** GET the proof bundle once anchored, judged with verdict.js against the pinned log key. */
async function fetchProof(device, item) {
  let answer;
  try {
    answer = await signedFetch(device, "GET", `/v1/records/${encodeURIComponent(item.answer.id)}/proof`);
  } catch {
    return true;
  }
  if (answer.status !== 200 || !isObject(answer.body)) return false;
  await set(item.id, { bundle: answer.body, level: await judgeProof(device, item, answer.body) });
  return false;
}

/** The level of an item's proof bundle, offline: verdict.js's, and "not_verified" when the bundle
 * is not of the record this phone captured. */
export async function judgeProof(device, item, bundle) {
  const verdict = await judge(bundle, device.trust, item.sha256);
  return isOurs(item, bundle.record) ? verdict.level : "not_verified";
}
