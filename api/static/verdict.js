// The browser's own verdict on a proof bundle: notary/bundle.py's verify_bundle, less the chain.
//
// judge(bundle, trust, file) judges a bundle against a trust root the *page* holds — this server's
// sunlight-trust/1 document, fetched from GET /v1/trust and kept — never against a key the bundle
// names: a bundle's log_public_key can only make a check fail (its signature is bad, or it is not
// the key of the log it claims), never pass. Checks are named as the server names them:
//
//   bundle                  the bundle has the sunlight-proof/1 shape (else nothing else is checked)
//   record                  the record is a valid version-1 record
//   leaf_hash               SHA-256(0x00 || JCS(record)) is the bundle's leaf hash
//   file                    (when a file is given) its SHA-256 and size are the record's
//   inclusion               the inclusion proof leads from the leaf to the checkpoint's root
//   log                     the checkpoint's log is the pinned log ("not from this log" otherwise)
//   checkpoint_signature    the checkpoint is signed by the pinned key (Ed25519, WebCrypto)
//   key_proof@<i>           a signing key's registration, proved in the same tree before the record
//   signature:<party>/<key> a party's signature, checked against a key proved that way; without
//                           such a proof it is "not checked", never counted (Ed25519 and P-256
//                           through WebCrypto; SM2 is "not checked in this browser", sigalgs.js)
//   anchor                  where the root is anchored names the trusted chain and contract; whether
//                           the chain says so is for the server (the page does not read the chain)
//
// and the level is the server's (bundle.py's Level) without "anchored", which only the server,
// reading the chain, can give: verified_by_log (pinned log, signature good, nothing failed),
// not_authenticated (nothing failed, but nothing pinned vouches for it), not_verified (a check
// failed). Each check is {check, passed: true | false | null (not checked), key, params}: `key`
// names its explanation in i18n.js.

import { canonicalBytes } from "./jcs.js";
import { recordLeafHash, verifyInclusion } from "./merkle.js";
import {
  base64Bytes, bundleProblem, isObject, recordProblem, registeredKey, signingPayload,
} from "./record.js";
import { sha256, toHex } from "./sha256.js";
import { p256Verify } from "./sigalgs.js";

export const TRUST_FORMAT = "sunlight-trust/1";
export const Level = Object.freeze({
  ANCHORED: "anchored",
  LOG_VERIFIED: "verified_by_log",
  NOT_AUTHENTICATED: "not_authenticated",
  NOT_VERIFIED: "not_verified",
});

export class TrustError extends Error {}

// --- trust roots ----------------------------------------------------------------------------------

const HEX64 = /^[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function only(where, obj, allowed) {
  if (!isObject(obj)) throw new TrustError(`${where}: must be an object`);
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new TrustError(`${where}.${extra}: unknown field`);
}

function parseChain(where, c) {
  only(where, c, ["chain_id", "contract", "rpc_url", "confirmations"]);
  if (!Number.isInteger(c.chain_id) || c.chain_id < 0) throw new TrustError(`${where}.chain_id: must be a whole number`);
  if (typeof c.contract !== "string" || !ADDRESS.test(c.contract)) {
    throw new TrustError(`${where}.contract: must be a 0x address`);
  }
  const confirmations = c.confirmations ?? 1;
  if (!Number.isInteger(confirmations) || confirmations < 1 || confirmations > 10_000) {
    throw new TrustError(`${where}.confirmations: must be from 1 to 10000`);
  }
  return { chain_id: c.chain_id, contract: c.contract.toLowerCase(), confirmations };
}

/**
 * A trust root from a sunlight-trust/1 document (notary/trust.py's parse_trust_root):
 * {logs: [{log_id, public_key: Uint8Array, name, chain}], chains: [...]}. null trusts nothing.
 * Throws TrustError saying what is wrong.
 */
export function parseTrust(doc) {
  if (doc === null || doc === undefined) return { logs: [], chains: [] };
  only("trust", doc, ["format", "logs", "chains"]);
  if (doc.format !== TRUST_FORMAT) throw new TrustError(`trust: not a ${TRUST_FORMAT} document`);
  const logs = doc.logs ?? [];
  const chains = doc.chains ?? [];
  if (!Array.isArray(logs) || logs.length > 1000) throw new TrustError("trust.logs: must be a list");
  if (!Array.isArray(chains) || chains.length > 1000) throw new TrustError("trust.chains: must be a list");
  return {
    logs: logs.map((entry, i) => {
      const where = `trust.logs.${i}`;
      only(where, entry, ["name", "public_key", "log_id", "chain"]);
      const key = base64Bytes(entry.public_key);
      if (key === null || key.length !== 32) {
        throw new TrustError(`${where}.public_key: must be a base64 raw 32-byte Ed25519 key`);
      }
      const logId = toHex(sha256(key));
      if (entry.log_id !== undefined && entry.log_id !== null) {
        if (typeof entry.log_id !== "string" || !HEX64.test(entry.log_id) || entry.log_id !== logId) {
          throw new TrustError(`${where}.log_id: is not the SHA-256 of public_key`);
        }
      }
      const name = entry.name ?? "";
      if (typeof name !== "string" || name.length > 200) throw new TrustError(`${where}.name: must be a short text`);
      const chain = entry.chain === undefined || entry.chain === null ? null : parseChain(`${where}.chain`, entry.chain);
      return { log_id: logId, public_key: key, name, chain };
    }),
    chains: chains.map((c, i) => parseChain(`trust.chains.${i}`, c)),
  };
}

const describeChain = (c) => `chain ${c.chain_id}, contract ${c.contract}`;

// --- Ed25519 through WebCrypto ------------------------------------------------------------------

// RFC 8032 section 7.1, test 1: a valid public key, to tell "this browser cannot" from "bad key".
const PROBE_KEY = Uint8Array.from(
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".match(/../g),
  (b) => parseInt(b, 16),
);
let support = null;

/** Whether this browser verifies Ed25519 (WebCrypto; a secure context is needed). */
export function ed25519Supported() {
  if (support === null) {
    const subtle = globalThis.crypto && globalThis.crypto.subtle;
    support = !subtle
      ? Promise.resolve(false)
      : subtle.importKey("raw", PROBE_KEY, { name: "Ed25519" }, false, ["verify"]).then(() => true, () => false);
  }
  return support;
}

/** true or false; null when this browser cannot verify Ed25519. */
async function ed25519Verify(publicKey, signature, message) {
  if (!(await ed25519Supported())) return null;
  if (signature === null || signature.length !== 64) return false;
  const subtle = globalThis.crypto.subtle;
  try {
    const key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false; // not a point on the curve, or a signature WebCrypto refuses outright
  }
}

/** notary.signing.verify_statement: `signature` (base64) by `publicKey` over JCS(`statement`), a
 * typed statement of the log `statement.log_id`: {passed, key} — never throws. */
export async function statementSignature(statement, signature, publicKey) {
  if (toHex(sha256(publicKey)) !== statement.log_id) return { passed: false, key: "browser.sig_logid" };
  const ok = await ed25519Verify(publicKey, base64Bytes(signature), canonicalBytes(statement));
  if (ok === null) return { passed: null, key: "browser.unsupported" };
  return ok ? { passed: true, key: "why.sig_ok" } : { passed: false, key: "browser.sig_bad" };
}

/** notary.signing.verify_checkpoint: {passed, key} — never throws. */
function checkpointSignature(cp, publicKey) {
  const statement = {
    type: "sunlight-checkpoint/1",
    log_id: cp.log_id,
    tree_size: cp.tree_size,
    root_hash: cp.root_hash,
    timestamp: cp.timestamp,
  };
  return statementSignature(statement, cp.signature, publicKey);
}

// --- the checks -----------------------------------------------------------------------------------

function fileCheck(record, valid, file) {
  const content = valid && isObject(record.content) ? record.content : null;
  if (content === null) return ["file", false, "browser.file_none", {}];
  if (content.sha256 !== file.sha256) {
    return ["file", false, "browser.file_bad", { got: file.sha256, want: content.sha256 }];
  }
  if (typeof file.size === "number" && content.size !== file.size) {
    return ["file", false, "browser.file_size", { got: file.size, want: content.size }];
  }
  if (file.sm3 && content.sm3 && file.sm3 !== content.sm3) {
    return ["file", false, "why.file_sm3", { got: file.sm3, want: content.sm3 }];
  }
  return ["file", true, "browser.file_ok", {}];
}

/** The `log` and `checkpoint_signature` checks of a bundle or a project proof. */
export async function logChecks(bundle, root, pinned, add) {
  const cp = bundle.checkpoint;
  if (pinned) {
    add("log", true, "why.log_ok", { ours: pinned.log_id });
    const sig = await checkpointSignature(cp, pinned.public_key);
    add("checkpoint_signature", sig.passed, sig.key);
    return;
  }
  if (root.logs.length) {
    add("log", false, "why.log_foreign", { theirs: cp.log_id, ours: root.logs.map((l) => l.log_id).join(", ") });
  } else {
    add("log", null, "why.log_unpinned");
  }
  // The bundle's own key proves nothing; a bad signature under it still shows a broken bundle.
  if (bundle.log_public_key === null || bundle.log_public_key === undefined) {
    add("checkpoint_signature", null, "why.sig_nokey");
    return;
  }
  const key = base64Bytes(bundle.log_public_key);
  if (key === null || key.length !== 32) {
    add("checkpoint_signature", false, "why.sig_badkey");
    return;
  }
  const sig = await checkpointSignature(cp, key);
  if (sig.passed === true) add("checkpoint_signature", null, "why.sig_self");
  else add("checkpoint_signature", sig.passed, sig.key);
}

function provedKey(proof, bundle) {
  const name = `key_proof@${proof.leaf_index}`;
  const problem = recordProblem(proof.record);
  if (problem !== null) return { check: [name, false, "why.keyproof_record", { problem }] };
  const registration = registeredKey(proof.record);
  if (registration === null) return { check: [name, false, "why.keyproof_notreg", {}] };
  if (proof.leaf_index >= bundle.leaf_index) return { check: [name, false, "why.keyproof_after", {}] };
  let leaf;
  try {
    leaf = recordLeafHash(proof.record);
  } catch (e) {
    return { check: [name, false, "why.keyproof_notin", { problem: e.message }] };
  }
  const cp = bundle.checkpoint;
  const inclusion = verifyInclusion(leaf, proof.leaf_index, cp.tree_size, proof.inclusion_proof, cp.root_hash);
  if (!inclusion.ok) return { check: [name, false, "why.keyproof_notin", { problem: inclusion.reason }] };
  return { index: proof.leaf_index, registration };
}

async function signatureChecks(bundle, add) {
  const keys = new Map();
  const id = (party, keyId) => JSON.stringify([party, keyId]);
  for (const proof of bundle.key_proofs ?? []) {
    const found = provedKey(proof, bundle);
    if (found.check) {
      add(...found.check);
      return;
    }
    keys.set(id(found.registration.party, found.registration.key_id), found);
  }
  const record = bundle.record;
  for (const sig of record.signatures ?? []) {
    const name = `signature:${sig.party}/${sig.key_id}`;
    const params = { party: sig.party, key_id: sig.key_id };
    const found = keys.get(id(sig.party, sig.key_id));
    if (!found) {
      add(name, null, "why.party_unproved", params);
      continue;
    }
    const key = found.registration;
    if (sig.alg !== key.alg) {
      add(name, false, "why.party_bad", params); // never reinterpreted as the key's algorithm
      continue;
    }
    if (key.alg === "sm2") {
      add(name, null, "browser.sm2_unchecked", params);
      continue;
    }
    const verifyWith = key.alg === "p256" ? p256Verify : ed25519Verify;
    const ok = await verifyWith(key.public_key, base64Bytes(sig.sig), signingPayload(record, sig.party));
    if (ok === null) add(name, null, "browser.unsupported", params);
    else if (ok) add(name, true, "why.party_ok", { ...params, index: found.index });
    else add(name, false, "why.party_bad", params);
  }
}

/** The `anchor` check of a bundle or a project proof. */
export function anchorCheck(bundle, root, pinned, add) {
  const logId = bundle.checkpoint.log_id;
  let chains = [];
  if (pinned || root.logs.length === 0) chains = pinned && pinned.chain ? [pinned.chain] : root.chains;
  const anchor = bundle.anchor;
  if (chains.length === 0) {
    add("anchor", null, "why.anchor_nochain");
  } else if (anchor === null || anchor === undefined) {
    add("anchor", null, "why.anchor_none");
  } else {
    const contract = anchor.contract.toLowerCase();
    const trusted = chains.find((c) => c.chain_id === anchor.chain_id && c.contract === contract);
    if (trusted) {
      add("anchor", null, "why.anchor_server", { chain: describeChain(trusted), log: logId });
    } else {
      add("anchor", false, "why.anchor_foreign", {
        got: describeChain({ chain_id: anchor.chain_id, contract }),
        want: chains.map(describeChain).join("; "),
      });
    }
  }
}

/**
 * Judge `bundle` (as parseJson returns it) against `trust` (a sunlight-trust/1 document, or null
 * for none) and, when given, the visitor's file (`{sha256, size}` or a SHA-256 hex string).
 * Returns {level, failed: [check names], checks, trust: {log_id, log_name} | null}; never throws for
 * a bad bundle (a bad trust document throws TrustError).
 */
export async function judge(bundle, trust = null, file = null) {
  const root = parseTrust(trust);
  const checks = [];
  const add = (check, passed, key, params = {}) => checks.push({ check, passed, key, params });
  const shape = bundleProblem(bundle);
  if (shape !== null) {
    add("bundle", false, "why.bundle_bad", { problem: shape });
    return verdict(checks, null);
  }
  const problem = recordProblem(bundle.record);
  add("record", problem === null, problem === null ? "why.record_ok" : "why.record_bad", { problem });

  let leaf = null;
  try {
    leaf = recordLeafHash(bundle.record);
  } catch (e) {
    add("leaf_hash", false, "why.leaf_error", { problem: String(e && e.message) });
  }
  if (leaf !== null) {
    if (leaf === bundle.leaf_hash) add("leaf_hash", true, "browser.leaf_ok");
    else add("leaf_hash", false, "browser.leaf_bad", { got: leaf, want: bundle.leaf_hash });
  }
  if (file !== null && file !== undefined) {
    add(...fileCheck(bundle.record, problem === null, typeof file === "string" ? { sha256: file } : file));
  }
  const cp = bundle.checkpoint;
  const inclusion = verifyInclusion(leaf ?? "", bundle.leaf_index, cp.tree_size, bundle.inclusion_proof, cp.root_hash);
  add("inclusion", inclusion.ok, inclusion.ok ? "browser.inclusion_ok" : "why.inclusion_bad", { problem: inclusion.reason });

  const pinned = root.logs.find((l) => l.log_id === cp.log_id) || null;
  await logChecks(bundle, root, pinned, add);
  if (problem === null) await signatureChecks(bundle, add);
  anchorCheck(bundle, root, pinned, add);
  return verdict(checks, pinned);
}

/** The level of a list of checks: {level, failed, checks, trust}. */
export function verdict(checks, pinned) {
  const failed = checks.filter((c) => c.passed === false).map((c) => c.check);
  if (failed.length) return { level: Level.NOT_VERIFIED, failed, checks, trust: null };
  const signed = checks.some((c) => c.check === "checkpoint_signature" && c.passed === true);
  if (pinned && signed) {
    return { level: Level.LOG_VERIFIED, failed, checks, trust: { log_id: pinned.log_id, log_name: pinned.name } };
  }
  return { level: Level.NOT_AUTHENTICATED, failed, checks, trust: null };
}
