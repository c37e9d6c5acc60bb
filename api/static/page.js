// What the public pages share: DOM built from text (never HTML), strict JSON from the server, and
// the pinned trust root — this server's sunlight-trust/1 document from GET /v1/trust, kept in
// localStorage so a proof can still be checked offline, and compared with the copy kept last time.

import { parseJson } from "./json.js";
import { isObject } from "./record.js";
import { parseTrust } from "./verdict.js";

const TRUST_CACHE = "sunlight.trust";

// --- small DOM helpers (text only) -------------------------------------------------------------

export function el(tag, attrs = {}, ...children) {
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

export const text = (v) => (v === null || v === undefined || v === "" ? null : String(v));

// --- talking to the server ---------------------------------------------------------------------

export class PageError extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

/** {status, body}: the body as strict JSON (null when it is not). */
export async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "omit", cache: "no-store", ...options });
  } catch {
    throw new PageError("error.network");
  }
  let body = null;
  try {
    body = parseJson(await response.text(), { what: "answer" });
  } catch {
    body = null;
  }
  return { status: response.status, body };
}

// --- the pinned trust root ---------------------------------------------------------------------

function logIdOf(doc) {
  try {
    const root = parseTrust(doc);
    return root.logs.length ? root.logs[0].log_id : null;
  } catch {
    return null;
  }
}

function cachedTrust() {
  try {
    const saved = parseJson(window.localStorage.getItem(TRUST_CACHE) || "null", { what: "saved trust" });
    if (isObject(saved) && typeof saved.fetched_at === "string" && logIdOf(saved.doc)) return saved;
  } catch {
    // nothing usable saved
  }
  return null;
}

/**
 * This server's trust root: {doc, logId, source: "network" | "cache" | "none", fetchedAt,
 * changedFrom}. Fetched from GET /v1/trust and saved; the saved copy is used when the server
 * cannot be reached.
 */
export async function fetchTrust() {
  const saved = cachedTrust();
  let fresh = null;
  try {
    const { status, body } = await request("/v1/trust");
    if (status === 200 && logIdOf(body)) fresh = body;
  } catch {
    fresh = null;
  }
  if (fresh) {
    const fetchedAt = new Date().toISOString();
    try {
      window.localStorage.setItem(TRUST_CACHE, JSON.stringify({ doc: fresh, fetched_at: fetchedAt }));
    } catch {
      // storage may be disabled: the page still works while online
    }
    const logId = logIdOf(fresh);
    const old = saved ? logIdOf(saved.doc) : null;
    return { doc: fresh, logId, source: "network", fetchedAt, changedFrom: old && old !== logId ? old : null };
  }
  if (saved) {
    return { doc: saved.doc, logId: logIdOf(saved.doc), source: "cache", fetchedAt: saved.fetched_at, changedFrom: null };
  }
  return { doc: null, logId: null, source: "none", fetchedAt: null, changedFrom: null };
}
