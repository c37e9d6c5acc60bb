// Runs the verification page's JS modules (api/static) on cases read from stdin as JSON, and
// writes the results as JSON to stdout. Driven by test_verify_js.py.
//   {"inclusion": [vector, ...], "jcs": [value, ...], "leaf": [record, ...],
//    "sha256": [{"hex": data, "chunks": [n, ...]}, ...]}
import { readFileSync } from "node:fs";
import { canonicalize } from "../../../api/static/jcs.js";
import { recordLeafHash, verifyInclusion } from "../../../api/static/merkle.js";
import { Sha256, toHex } from "../../../api/static/sha256.js";

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

process.stdout.write(JSON.stringify(out));
