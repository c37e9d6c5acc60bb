// The shapes the page reads, checked as the server checks them (notary/records.py, notary/bundle.py,
// notary/keys.py): a version-1 record, a sunlight-proof/1 bundle, a key registration, and what a
// signing party signs. Each check returns the first problem as "field: message", or null.
//
// Input is what parseJson (json.js) returns. JSON numbers are all doubles here, so the server's
// "an integer, not 1.0" cannot be told apart: 1.0 passes here where the server refuses it (the page's
// verdict still needs the server's).

import { canonicalBytes } from "./jcs.js";
import { MAX_TREE_SIZE, MAX_PROOF_LENGTH } from "./merkle.js";
import { sha256, toHex } from "./sha256.js";
import { ALGS, publicKeyOk } from "./sigalgs.js";

export const BUNDLE_FORMAT = "sunlight-proof/1";
export const MAX_DATA_BYTES = 64 * 1024;
export const MAX_DATA_DEPTH = 16;
export const MAX_SIGNATURES = 32;
export const MAX_SAFE = 2 ** 53 - 1;
export const STAGES = ["application", "review", "notice", "implementation", "settlement"];
export const KEY_REGISTRATION = "key_registration";
export const MAX_CERTIFICATES = 4;

const HEX64 = /^[0-9a-f]{64}$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KIND = /^[a-z][a-z0-9_]{0,47}$/;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const CID = /^b[a-z2-7]{1,127}$/;
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64_SIG = /^[A-Za-z0-9+/]{86}==$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const TX_HASH = /^0x[0-9a-f]{64}$/;

export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isInt = (v) => typeof v === "number" && Number.isInteger(v);
const codePoints = (s) => [...s].length;

class Problem extends Error {
  constructor(where, message) {
    super(`${where}: ${message}`);
  }
}

/** Raw bytes of standard base64 with its padding, as Python's b64decode(validate=True); or null. */
export function base64Bytes(value) {
  if (typeof value !== "string" || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    return null;
  }
  try {
    return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

// --- timestamps: what Python 3.11's datetime.fromisoformat (the C one) reads --------------------

const DIGIT_0 = 0x30;
const isDigit = (b) => b >= DIGIT_0 && b <= DIGIT_0 + 9;
const isLeap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y, m) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

function daysBeforeYear(y) {
  const p = y - 1;
  return p * 365 + Math.floor(p / 4) - Math.floor(p / 100) + Math.floor(p / 400);
}

function ymdToOrd(y, m, d) {
  let days = daysBeforeYear(y) + d;
  for (let i = 1; i < m; i++) days += daysIn(y, i);
  return days;
}

function ordToYmd(ord) {
  let y = Math.max(1, Math.floor(ord / 366));
  while (daysBeforeYear(y + 1) < ord) y++;
  let rest = ord - daysBeforeYear(y);
  let m = 1;
  while (rest > daysIn(y, m)) rest -= daysIn(y, m++);
  return [y, m, rest];
}

function isoToYmd(year, week, day) {
  if (year < 1 || year > 9999) return null;
  if (week <= 0 || week >= 53) {
    const first = ymdToOrd(year, 1, 1) % 7; // 0 is Sunday
    if (!(week === 53 && (first === 4 || (first === 3 && isLeap(year))))) return null;
  }
  if (day <= 0 || day >= 8) return null;
  const jan4 = ymdToOrd(year, 1, 4);
  const week1Monday = jan4 - ((jan4 + 6) % 7);
  return ordToYmd(week1Monday + (week - 1) * 7 + day - 1);
}

/**
 * Whether `text` is a datetime Python 3.11's C `datetime.fromisoformat` reads, and with an offset.
 * A port of Modules/_datetimemodule.c, on UTF-8 bytes as there; "\0" ends a C string.
 * Returns null (not a datetime) or {aware}.
 */
export function pythonIsoDatetime(text) {
  if (codePoints(text) < 7) return null;
  const s = new TextEncoder().encode(text);
  const len = s.length;
  const at = (i) => (i < len ? s[i] : 0);

  const digits = (p, n) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const b = at(p + i);
      if (!isDigit(b)) return null;
      v = v * 10 + (b - DIGIT_0);
    }
    return [v, p + n];
  };

  // _find_isoformat_datetime_separator
  let sep;
  const W = 0x57;
  const DASH = 0x2d;
  if (len === 7) sep = 7;
  else if (at(4) === DASH) {
    if (at(5) === W) {
      if (len < 8) return null;
      if (len > 8 && at(8) === DASH) {
        if (len === 9) return null;
        sep = len > 10 && isDigit(at(10)) ? 8 : 10;
      } else sep = 8;
    } else sep = 10;
  } else if (at(4) === W) {
    let idx = 7;
    while (idx < len && isDigit(at(idx))) idx++;
    sep = idx < 9 ? idx : idx % 2 === 0 ? 7 : 8;
  } else sep = 8;

  // parse_isoformat_date
  let p = 0;
  let r = digits(p, 4);
  if (!r) return null;
  let [year, month, day] = [r[0], 0, 0];
  p = r[1];
  const usesSep = at(p) === DASH;
  if (usesSep) p++;
  if (at(p) === W) {
    p++;
    r = digits(p, 2);
    if (!r) return null;
    const week = r[0];
    p = r[1];
    let wday = 1;
    if (p < sep) {
      if (usesSep && at(p++) !== DASH) return null;
      r = digits(p, 1);
      if (!r) return null;
      wday = r[0];
    }
    const ymd = isoToYmd(year, week, wday);
    if (!ymd) return null;
    [year, month, day] = ymd;
  } else {
    r = digits(p, 2);
    if (!r) return null;
    month = r[0];
    p = r[1];
    if (usesSep && at(p++) !== DASH) return null;
    r = digits(p, 2);
    if (!r) return null;
    day = r[0];
  }

  // parse_hh_mm_ss_ff: [hour, minute, second, rv] or null
  const hms = (start, end) => {
    const vals = [0, 0, 0];
    let q = start;
    let hasSep = true;
    let i = 0;
    for (; i < 3; i++) {
      const d = digits(q, 2);
      if (!d) return null;
      vals[i] = d[0];
      q = d[1];
      const c = at(q++);
      if (i === 0) hasSep = c === 0x3a;
      if (q >= end) return [...vals, c !== 0 ? 1 : 0];
      if (hasSep && c === 0x3a) continue;
      if (c === 0x2e || c === 0x2c) break;
      if (!hasSep) q--;
      else return null;
    }
    const toParse = Math.min(end - q, 6);
    if (!digits(q, toParse)) return null;
    q += toParse;
    while (isDigit(at(q))) q++;
    return [...vals, at(q) !== 0 ? 1 : 0];
  };

  let hour = 0;
  let minute = 0;
  let second = 0;
  let aware = false;
  if (len > sep) {
    // the separator: one character, of however many UTF-8 bytes
    const b = at(sep);
    p = sep + ((b & 0x80) === 0 ? 1 : (b & 0xf0) === 0xe0 ? 3 : (b & 0xf0) === 0xf0 ? 4 : 2);
    // parse_isoformat_time
    let tz = p;
    do {
      const c = at(tz);
      if (c === 0x5a || c === 0x2b || c === DASH) break;
    } while (++tz < len);
    const t = hms(p, tz);
    if (!t) return null;
    [hour, minute, second] = t;
    if (tz >= len) {
      if (t[3] === 1) return null;
    } else if (at(tz) === 0x5a) {
      if (at(tz + 1) !== 0) return null;
      aware = true;
    } else {
      const z = hms(tz + 1, len);
      if (!z || z[3] === 1) return null;
      if (z[0] * 3600 + z[1] * 60 + z[2] >= 86400) return null;
      aware = true;
    }
  }
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
    return null;
  }
  if (hour > 23 || minute > 59 || second > 59) return null;
  return { aware };
}

/** notary.records._check_rfc3339: the message, or null when `value` passes. */
function rfc3339Problem(value, utcZ) {
  if (codePoints(value) > 40) return "timestamp too long";
  const parsed = pythonIsoDatetime(value);
  if (parsed === null) return `not an RFC 3339 timestamp: ${JSON.stringify(value)}`;
  if (!parsed.aware || !value.includes("T")) {
    return "timestamp must be RFC 3339 with a date, a time and an offset";
  }
  if (utcZ && !value.endsWith("Z")) return "timestamp must be UTC, ending in 'Z'";
  return null;
}

// --- records --------------------------------------------------------------------------------------

function string(where, v, pattern) {
  if (typeof v !== "string") throw new Problem(where, "must be a string");
  if (pattern && !pattern.test(v)) throw new Problem(where, `must match ${pattern.source}`);
}

function optional(where, v, pattern) {
  if (v !== null && v !== undefined) string(where, v, pattern);
}

function fieldsOf(where, obj, allowed) {
  if (!isObject(obj)) throw new Problem(where, "must be an object");
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Problem(where === "record" ? key : `${where}.${key}`, "unknown field");
  }
}

function checkJsonValue(value, path, depth = 0) {
  if (depth > MAX_DATA_DEPTH) throw new Problem(path, `nested deeper than ${MAX_DATA_DEPTH} levels`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Math.abs(value) > MAX_SAFE) {
      throw new Problem(path, "numbers must be finite and within ±(2**53 - 1)");
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonValue(v, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${path}.${k}`, depth + 1);
}

function checkContent(c) {
  fieldsOf("content", c, ["sha256", "sm3", "size", "media_type", "cid", "name"]);
  string("content.sha256", c.sha256, HEX64);
  optional("content.sm3", c.sm3, HEX64);
  if (!isInt(c.size) || c.size < 0 || c.size > MAX_SAFE) {
    throw new Problem("content.size", "must be an integer from 0 to 2**53 - 1");
  }
  if (c.media_type !== undefined) string("content.media_type", c.media_type, MEDIA_TYPE);
  optional("content.cid", c.cid, CID);
  if (c.name !== null && c.name !== undefined) {
    string("content.name", c.name);
    const n = codePoints(c.name);
    if (n < 1 || n > 255) throw new Problem("content.name", "must be 1 to 255 characters");
  }
}

function checkSignature(where, s) {
  fieldsOf(where, s, ["party", "alg", "key_id", "sig"]);
  string(`${where}.party`, s.party, IDENTIFIER);
  if (!ALGS.includes(s.alg)) throw new Problem(`${where}.alg`, `must be one of ${ALGS.join(", ")}`);
  string(`${where}.key_id`, s.key_id, IDENTIFIER);
  string(`${where}.sig`, s.sig);
  if (s.sig.length > 128) throw new Problem(`${where}.sig`, "at most 128 characters");
  const raw = base64Bytes(s.sig);
  if (raw === null) throw new Problem(`${where}.sig`, "sig must be standard base64");
  if (raw.length !== 64) throw new Problem(`${where}.sig`, `a signature is 64 bytes, got ${raw.length}`);
}

const RECORD_FIELDS = [
  "v", "project", "stage", "kind", "content", "data", "submitter", "signatures", "prev",
  "client_time", "received_at", "public", "org",
];

/** The message of the Problem `check(value)` throws, or null when it throws none. */
function problemOf(check, value) {
  try {
    check(value);
  } catch (e) {
    if (e instanceof Problem) return e.message;
    throw e;
  }
  return null;
}

/** The first problem that makes `record` not a valid version-1 record, or null. */
export const recordProblem = (record) => problemOf(checkRecord, record);

function checkRecord(r) {
  fieldsOf("record", r, RECORD_FIELDS);
  // Python's Literal[1] takes true as well (True == 1).
  if (r.v !== undefined && r.v !== 1 && r.v !== true) throw new Problem("v", "must be 1");
  optional("project", r.project, PROJECT);
  if (r.stage !== null && r.stage !== undefined && !STAGES.includes(r.stage)) {
    throw new Problem("stage", `must be one of ${STAGES.join(", ")}`);
  }
  if (r.kind !== undefined) string("kind", r.kind, KIND);
  if (r.content !== null && r.content !== undefined) checkContent(r.content);
  if (r.data !== undefined) {
    if (!isObject(r.data)) throw new Problem("data", "must be an object");
    checkJsonValue(r.data, "data");
    if (canonicalBytes(r.data).length > MAX_DATA_BYTES) {
      throw new Problem("data", `canonical encoding exceeds ${MAX_DATA_BYTES} bytes`);
    }
  }
  string("submitter", r.submitter, IDENTIFIER);
  if (r.signatures !== undefined) {
    if (!Array.isArray(r.signatures)) throw new Problem("signatures", "must be a list");
    if (r.signatures.length > MAX_SIGNATURES) throw new Problem("signatures", `at most ${MAX_SIGNATURES}`);
    r.signatures.forEach((s, i) => checkSignature(`signatures.${i}`, s));
  }
  optional("prev", r.prev, HEX64);
  if (r.client_time !== null && r.client_time !== undefined) {
    string("client_time", r.client_time);
    const problem = rfc3339Problem(r.client_time, false);
    if (problem) throw new Problem("client_time", problem);
  }
  string("received_at", r.received_at);
  const problem = rfc3339Problem(r.received_at, true);
  if (problem) throw new Problem("received_at", problem);
  if (r.public !== undefined && r.public !== false) {
    throw new Problem("public", "omit public for a public record: only false is written");
  }
  optional("org", r.org, IDENTIFIER);
}

/** notary.records.signing_payload: what party `party` signs of a (valid) record. */
export function signingPayload(record, party) {
  const data = record.data ?? {};
  return canonicalBytes({
    type: "sunlight-signature/1",
    project: record.project ?? null,
    stage: record.stage ?? null,
    kind: record.kind ?? "document",
    content_sha256: isObject(record.content) ? record.content.sha256 : null,
    data_sha256: toHex(sha256(canonicalBytes(data))),
    party,
  });
}

/** notary.keys.registered_key: {party, key_id, alg, public_key, certified} a (valid) key
 * registration record registers, or null. Its certificates are evidence the page does not read. */
export function registeredKey(record) {
  const data = isObject(record.data) ? record.data : {};
  if ((record.kind ?? "document") !== KEY_REGISTRATION || !ALGS.includes(data.alg)) return null;
  if (typeof data.party !== "string" || typeof data.key_id !== "string") return null;
  const certificates = data.certificates ?? [];
  if (!Array.isArray(certificates) || certificates.length > MAX_CERTIFICATES) return null;
  if (certificates.some((c) => base64Bytes(c) === null)) return null;
  const key = base64Bytes(data.public_key);
  if (key === null || !publicKeyOk(data.alg, key)) return null;
  return {
    party: data.party, key_id: data.key_id, alg: data.alg, public_key: key, certified: certificates.length > 0,
  };
}

// --- bundles ----------------------------------------------------------------------------------

function intIn(where, v, max) {
  if (!isInt(v) || v < 0 || v > max) throw new Problem(where, `must be an integer from 0 to ${max}`);
}

function proofList(where, v) {
  if (!Array.isArray(v)) throw new Problem(where, "must be a list");
  if (v.length > MAX_PROOF_LENGTH) throw new Problem(where, `at most ${MAX_PROOF_LENGTH} hashes`);
  v.forEach((h, i) => string(`${where}.${i}`, h, HEX64));
}

const MAX_INDEX = Number(MAX_TREE_SIZE - 1n);
const MAX_SIZE = Number(MAX_TREE_SIZE);

/** The `checkpoint` and `anchor` of a proof bundle or a project proof. */
function checkCheckpointAndAnchor(b) {
  if (!isObject(b)) throw new Problem("proof", "must be a JSON object");
  const cp = b.checkpoint;
  fieldsOf("checkpoint", cp, ["log_id", "tree_size", "root_hash", "timestamp", "signature"]);
  string("checkpoint.log_id", cp.log_id, HEX64);
  intIn("checkpoint.tree_size", cp.tree_size, MAX_SIZE);
  string("checkpoint.root_hash", cp.root_hash, HEX64);
  string("checkpoint.timestamp", cp.timestamp, UTC_TIME);
  string("checkpoint.signature", cp.signature, BASE64_SIG);
  if (b.anchor !== null && b.anchor !== undefined) {
    const a = b.anchor;
    fieldsOf("anchor", a, ["chain_id", "contract", "tx_hash", "block_number", "block_hash"]);
    intIn("anchor.chain_id", a.chain_id, Number.MAX_VALUE);
    string("anchor.contract", a.contract, ADDRESS);
    string("anchor.tx_hash", a.tx_hash, TX_HASH);
    intIn("anchor.block_number", a.block_number, Number.MAX_VALUE);
    string("anchor.block_hash", a.block_hash, TX_HASH);
  }
}

function checkBundle(b) {
  if (!isObject(b)) throw new Problem("bundle", "a bundle must be a JSON object");
  if (b.format !== BUNDLE_FORMAT) throw new Problem("format", `not a ${BUNDLE_FORMAT} bundle`);
  if (!isObject(b.record)) throw new Problem("record", "must be an object");
  intIn("leaf_index", b.leaf_index, MAX_INDEX);
  string("leaf_hash", b.leaf_hash, HEX64);
  checkCheckpointAndAnchor(b);
  proofList("inclusion_proof", b.inclusion_proof);
  if (b.log_public_key !== null && b.log_public_key !== undefined) {
    string("log_public_key", b.log_public_key);
    if (b.log_public_key.length > 64) throw new Problem("log_public_key", "at most 64 characters");
  }
  if (b.key_proofs !== null && b.key_proofs !== undefined) {
    if (!Array.isArray(b.key_proofs) || b.key_proofs.length > 32) {
      throw new Problem("key_proofs", "must be a list of at most 32");
    }
    b.key_proofs.forEach((k, i) => {
      fieldsOf(`key_proofs.${i}`, k, ["record", "leaf_index", "inclusion_proof"]);
      if (!isObject(k.record)) throw new Problem(`key_proofs.${i}.record`, "must be an object");
      intIn(`key_proofs.${i}.leaf_index`, k.leaf_index, MAX_INDEX);
      proofList(`key_proofs.${i}.inclusion_proof`, k.inclusion_proof);
    });
  }
}

/** The first problem that makes `bundle` not a sunlight-proof/1 bundle the server reads, or null. */
export const bundleProblem = (bundle) => problemOf(checkBundle, bundle);

/** The first problem in the checkpoint or anchor of `doc` (a bundle or a project proof), or null. */
export const checkpointProblem = (doc) => problemOf(checkCheckpointAndAnchor, doc);
