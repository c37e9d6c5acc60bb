// A project's completeness proof (sunlight-project-proof/1), judged in the browser:
// notary/completeness.py's verify_project_proof, less the chain.
//
// judgeProject(proof, trust) judges a proof against the trust root the *page* pinned (this server's
// sunlight-trust/1 document from GET /v1/trust, as /verify keeps it), never against anything the
// proof names. The checks carry the server's names:
//
//   proof                 the proof has the sunlight-project-proof/1 shape (else nothing else is checked)
//   records               each record is of this project, in leaf order, inside the checkpoint's tree
//   inclusion             every record's leaf is in the tree (one multi-leaf proof, merkle.js)
//   prev_chain            each record's prev is the leaf hash of the one before, the first's null
//                         ("not checked" past a record withheld from this reader)
//   heads_statement       the heads statement is of the checkpoint's log, size and root
//   map_proof, head       the project's entry in the heads map is the proof's count and last record:
//                         nothing was left out at the end
//   log, checkpoint_signature   as for bundles (verdict.js)
//   heads_signature       the heads statement is signed by the pinned key
//   anchor                as for bundles: the page names the trusted chain, the server reads it
//
// and the levels of verdict.js. Besides the verdict it returns the records it read, so a page shows
// only what it checked: [{leaf_index, leaf_hash, record (parsed) | null when withheld}].

import { canonicalBytes } from "./jcs.js";
import { MAX_PROOF_LENGTH, leafHash, verifyInclusion, verifyMultiInclusion } from "./merkle.js";
import { JsonError, parseJson } from "./json.js";
import { checkpointProblem, isObject } from "./record.js";
import { toHex } from "./sha256.js";
import { anchorCheck, logChecks, parseTrust, statementSignature, verdict } from "./verdict.js";

export const PROJECT_PROOF_FORMAT = "sunlight-project-proof/1";
export const HEADS_TYPE = "sunlight-heads/1";
export const MAX_PROJECT_RECORDS = 100000;

const HEX64 = /^[0-9a-f]{64}$/;
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64_SIG = /^[A-Za-z0-9+/]{86}==$/;
const MAX_INDEX = 2 ** 53 - 1; // JSON numbers a browser reads exactly
const isIndex = (v) => Number.isSafeInteger(v) && v >= 0 && v <= MAX_INDEX;
const isHexList = (v, max) => Array.isArray(v) && v.length <= max && v.every((h) => HEX64.test(h));
const exactly = (obj, keys) => isObject(obj) && Object.keys(obj).every((k) => keys.includes(k));

function headEntryProblem(where, e) {
  if (!exactly(e, ["project", "head_index", "head_hash", "count"])) return `${where}: not a head entry`;
  if (typeof e.project !== "string" || !PROJECT.test(e.project)) return `${where}.project: not a project code`;
  if (!isIndex(e.head_index) || !HEX64.test(e.head_hash) || !isIndex(e.count) || e.count < 1) {
    return `${where}: head_index, head_hash or count is malformed`;
  }
  return null;
}

function mapProofProblem(m) {
  if (!exactly(m, ["entry", "left", "right"])) return "map_proof: must be an object of entry, left, right";
  for (const side of ["entry", "left", "right"]) {
    const leaf = m[side];
    if (leaf === null || leaf === undefined) continue;
    const where = `map_proof.${side}`;
    if (!exactly(leaf, ["position", "entry", "path"]) || !isIndex(leaf.position)) return `${where}: malformed`;
    if (!isHexList(leaf.path, MAX_PROOF_LENGTH)) return `${where}.path: not a list of hashes`;
    const problem = headEntryProblem(`${where}.entry`, leaf.entry);
    if (problem) return problem;
  }
  return null;
}

function statementProblem(heads) {
  const fields = ["type", "log_id", "tree_size", "root_hash", "heads_root", "projects"];
  if (!exactly(heads, ["statement", "signature"]) || typeof heads.signature !== "string") return "heads: malformed";
  if (!BASE64_SIG.test(heads.signature)) return "heads.signature: not a base64 Ed25519 signature";
  const s = heads.statement;
  if (!exactly(s, fields) || fields.some((f) => !(f in s)) || s.type !== HEADS_TYPE) {
    return `heads.statement: not a ${HEADS_TYPE} statement`;
  }
  if (![s.log_id, s.root_hash, s.heads_root].every((h) => HEX64.test(h))) return "heads.statement: malformed hash";
  if (!isIndex(s.tree_size) || !isIndex(s.projects)) return "heads.statement: malformed size";
  return null;
}

/** The first problem that makes `doc` not a sunlight-project-proof/1 document, or null. */
export function projectProofProblem(doc) {
  if (!isObject(doc)) return "proof: must be a JSON object";
  if (doc.format !== PROJECT_PROOF_FORMAT) return `format: not a ${PROJECT_PROOF_FORMAT} proof`;
  if (typeof doc.project !== "string" || !PROJECT.test(doc.project)) return "project: not a project code";
  const problem = checkpointProblem(doc) ?? statementProblem(doc.heads) ?? mapProofProblem(doc.map_proof);
  if (problem) return problem;
  if (!Array.isArray(doc.records) || doc.records.length > MAX_PROJECT_RECORDS) return "records: must be a list";
  for (const [n, r] of doc.records.entries()) {
    if (!exactly(r, ["leaf_index", "entry", "leaf_hash"]) || !isIndex(r.leaf_index)) return `records.${n}: malformed`;
    const entry = typeof r.entry === "string";
    const withheld = typeof r.leaf_hash === "string" && HEX64.test(r.leaf_hash);
    if (entry === withheld || (entry && r.leaf_hash != null) || (withheld && r.entry != null)) {
      return `records.${n}: give either entry or, for a record withheld, leaf_hash`;
    }
  }
  if (!isHexList(doc.inclusion_proof, doc.records.length * MAX_PROOF_LENGTH)) {
    return "inclusion_proof: not a list of hashes";
  }
  return null;
}

/** The parsed record of a proof's entry: it must be a record of `project` with a well-formed prev. */
function readEntry(text, project, where) {
  let record;
  try {
    record = parseJson(text, { what: where });
  } catch (e) {
    if (e instanceof JsonError) return { problem: `${where}: ${e.message}` };
    throw e;
  }
  if (!isObject(record) || record.project !== project) {
    const theirs = isObject(record) ? JSON.stringify(record.project ?? null) : "none";
    return { problem: `${where} is not a record of ${project} (project ${theirs})` };
  }
  const prev = record.prev ?? null;
  if (prev !== null && typeof prev !== "string") return { problem: `${where} has a prev that is not a leaf hash` };
  return { record, prev };
}

/** The records of the proof, read: [{leaf_index, leaf_hash, record | null, prev | false}], or a problem. */
function readRecords(proof) {
  const size = proof.checkpoint.tree_size;
  const encoder = new TextEncoder();
  const read = [];
  let last = -1;
  for (const [n, item] of proof.records.entries()) {
    const where = `record ${n} (leaf ${item.leaf_index})`;
    if (item.leaf_index <= last) return { problem: `${where} is not after the one before in the tree` };
    if (item.leaf_index >= size) return { problem: `${where} is past it in the tree` };
    last = item.leaf_index;
    if (typeof item.entry !== "string") {
      read.push({ leaf_index: item.leaf_index, leaf_hash: item.leaf_hash, record: null, prev: false });
      continue;
    }
    const entry = readEntry(item.entry, proof.project, where);
    if (entry.problem) return { problem: entry.problem };
    const leaf = toHex(leafHash(encoder.encode(item.entry)));
    read.push({ leaf_index: item.leaf_index, leaf_hash: leaf, record: entry.record, prev: entry.prev });
  }
  return { read };
}

function linksCheck(read, add) {
  let unchecked = 0;
  for (const [n, r] of read.entries()) {
    if (r.prev === false) {
      unchecked += 1;
      continue;
    }
    const expected = n ? read[n - 1].leaf_hash : null;
    if (r.prev !== expected) {
      add("prev_chain", false, n ? "project.why.prev_bad" : "project.why.prev_first", { n, prev: r.prev, expected });
      return;
    }
  }
  if (unchecked) add("prev_chain", null, "project.why.prev_withheld", { n: read.length - unchecked, withheld: unchecked });
  else add("prev_chain", true, "project.why.prev_ok", { n: read.length });
}

function recordChecks(proof, add) {
  const { read, problem } = readRecords(proof);
  if (problem) {
    add("records", false, "project.why.records_bad", { problem });
    return null;
  }
  const withheld = read.filter((r) => r.record === null).length;
  add("records", true, "project.why.records_ok", { shown: read.length - withheld, withheld });
  const cp = proof.checkpoint;
  if (read.length) {
    const leaves = read.map((r) => ({ index: r.leaf_index, leafHash: r.leaf_hash }));
    const result = verifyMultiInclusion(leaves, cp.tree_size, proof.inclusion_proof, cp.root_hash);
    add("inclusion", result.ok, result.ok ? "project.why.inclusion_ok" : "why.inclusion_bad", {
      n: read.length, size: cp.tree_size, problem: result.reason,
    });
    if (!result.ok) return null;
  } else if (proof.inclusion_proof.length) {
    add("inclusion", false, "why.inclusion_bad", { problem: "an inclusion proof without records" });
    return null;
  } else {
    add("inclusion", true, "project.why.inclusion_none");
  }
  linksCheck(read, add);
  return read;
}

function mapLeafProblem(leaf, statement) {
  const e = leaf.entry;
  const hash = toHex(leafHash(canonicalBytes({
    project: e.project, head_index: e.head_index, head_hash: e.head_hash, count: e.count,
  })));
  const result = verifyInclusion(hash, leaf.position, statement.projects, leaf.path, statement.heads_root);
  return result.ok ? null : result.reason;
}

/** notary.headsmap.verify_map_proof: {entry} (null: proved absent) or {problem}. */
function mapEntry(project, map, statement) {
  if (map.entry) {
    if (map.left || map.right) return { problem: "a map proof proves an entry or an absence, not both" };
    if (map.entry.entry.project !== project) return { problem: `the map proof is for project ${map.entry.entry.project}` };
    const problem = mapLeafProblem(map.entry, statement);
    return problem ? { problem } : { entry: map.entry.entry };
  }
  const { left, right } = map;
  for (const leaf of [left, right]) {
    const problem = leaf ? mapLeafProblem(leaf, statement) : null;
    if (problem) return { problem };
  }
  // Project codes are ASCII: JavaScript's string order is their byte order.
  if (left && !(left.entry.project < project)) return { problem: `the left neighbour ${left.entry.project} is not before it` };
  if (right && !(project < right.entry.project)) return { problem: `the right neighbour ${right.entry.project} is not after it` };
  const first = right ? right.position : statement.projects;
  const last = left ? left.position : -1;
  if (first !== last + 1) return { problem: "the neighbours in the map proof are not adjacent entries" };
  return { entry: null };
}

function headChecks(proof, read, add) {
  const statement = proof.heads.statement;
  const found = mapEntry(proof.project, proof.map_proof, statement);
  if (found.problem) {
    add("map_proof", false, "project.why.map_bad", { problem: found.problem });
    return;
  }
  const entry = found.entry;
  add("map_proof", true, entry ? "project.why.map_entry" : "project.why.map_absent", { projects: statement.projects });
  const size = statement.tree_size;
  if (entry === null) {
    add("head", read.length === 0, read.length ? "project.why.head_absent_bad" : "project.why.head_none", { size });
  } else if (read.length !== entry.count) {
    add("head", false, "project.why.head_count", { size, want: entry.count, got: read.length });
  } else {
    const last = read[read.length - 1];
    const ok = last && last.leaf_index === entry.head_index && last.leaf_hash === entry.head_hash;
    add("head", ok, ok ? "project.why.head_ok" : "project.why.head_end", { size, count: entry.count, index: entry.head_index });
  }
}

/**
 * Judge `proof` (as parseJson returns it) against `trust` (a sunlight-trust/1 document, or null).
 * Returns {level, failed, checks, trust, records}; `records` are the proof's records as read
 * ([] when the proof is malformed). Never throws for a bad proof (a bad trust document throws
 * TrustError).
 */
export async function judgeProject(proof, trust = null) {
  const root = parseTrust(trust);
  const checks = [];
  const add = (check, passed, key, params = {}) => checks.push({ check, passed, key, params });
  const shape = projectProofProblem(proof);
  if (shape !== null) {
    add("proof", false, "project.why.proof_bad", { problem: shape });
    return { ...verdict(checks, null), records: [] };
  }
  const read = recordChecks(proof, add);
  const cp = proof.checkpoint;
  const statement = proof.heads.statement;
  const same = statement.log_id === cp.log_id && statement.tree_size === cp.tree_size && statement.root_hash === cp.root_hash;
  add("heads_statement", same, same ? "project.why.statement_ok" : "project.why.statement_bad", { size: cp.tree_size });
  if (read !== null) headChecks(proof, read, add);
  const pinned = root.logs.find((l) => l.log_id === cp.log_id) || null;
  await logChecks(proof, root, pinned, add);
  if (pinned) {
    const sig = await statementSignature(statement, proof.heads.signature, pinned.public_key);
    add("heads_signature", sig.passed, sig.key);
  } else {
    add("heads_signature", null, "why.sig_nokey");
  }
  anchorCheck(proof, root, pinned, add);
  return { ...verdict(checks, pinned), records: read ?? [] };
}
