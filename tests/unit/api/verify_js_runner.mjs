// Runs the verification page's JS modules (api/static) on cases read from stdin as JSON, and
// writes the results as JSON to stdout. Driven by test_verify_js.py.
//   {"inclusion": [vector, ...], "jcs": [value, ...], "leaf": [record, ...],
//    "sha256": [{"hex": data, "chunks": [n, ...]}, ...],
//    "json": [{"text": text, "max_depth": n?, "value": bool?}, ...], "record": [record, ...],
//    "isodate": [text, ...], "judge": [{"bundle_text": text, "trust": doc, "file": file}, ...]}
import { readFileSync } from "node:fs";
import { canonicalize } from "../../../api/static/jcs.js";
import { parseJson } from "../../../api/static/json.js";
import { recordLeafHash, verifyInclusion } from "../../../api/static/merkle.js";
import { pythonIsoDatetime, recordProblem } from "../../../api/static/record.js";
import { Sha256, toHex } from "../../../api/static/sha256.js";
import { judge } from "../../../api/static/verdict.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = {};

out.inclusion = (cases.inclusion || []).map((v) => {
  const r = verifyInclusion(v.leafHash, v.leafIdx, v.treeSize, v.proof, v.root);
  return r.ok ? "ok" : "error";
});

out.jcs = (cases.jcs || []).map((value) => {
  try {
    return { ok: canonicalize(value) };
  } catch (e) {
    return { error: String(e.message) };
  }
});

out.leaf = (cases.leaf || []).map((record) => recordLeafHash(record));

out.sha256 = (cases.sha256 || []).map(({ hex, chunks }) => {
  const data = Uint8Array.from(hex.match(/../g) || [], (b) => parseInt(b, 16));
  const h = new Sha256();
  let pos = 0;
  for (const n of chunks) {
    h.update(data.subarray(pos, pos + n));
    pos += n;
  }
  h.update(data.subarray(pos));
  return toHex(h.digest());
});

// Strict JSON: {ok: value} or {error: code, message}; a thrown RangeError (a stack overflow) is
// reported as such rather than caught as a refusal.
// With "value": false the value read is not echoed (too deep for JSON.stringify).
out.json = (cases.json || []).map(({ text, max_depth: maxDepth, value = true }) => {
  try {
    const read = parseJson(text, maxDepth === undefined ? {} : { maxDepth });
    return { ok: value ? read : true };
  } catch (e) {
    if (e.name !== "JsonError") return { crash: `${e.name}: ${e.message}` };
    return { error: e.code, message: e.message };
  }
});

out.record = (cases.record || []).map((record) => recordProblem(record));

out.isodate = (cases.isodate || []).map((text) => pythonIsoDatetime(text));

// Bundles travel as text, read by the page's strict parser, as a pasted bundle is.
out.judge = [];
for (const { bundle_text: text, trust, file } of cases.judge || []) {
  const v = await judge(parseJson(text), trust ?? null, file ?? null);
  out.judge.push({ level: v.level, failed: v.failed, checks: v.checks.map((c) => [c.check, c.passed, c.key]) });
}

process.stdout.write(JSON.stringify(out));
