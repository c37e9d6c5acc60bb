// Judges project proofs with the browser's verifier (api/static/projectproof.js): reads
// [{proof_text, trust}, ...] as JSON from stdin, writes [{level, failed, checks, records}, ...].
// Driven by test_project_proof_js.py.
import { readFileSync } from "node:fs";
import { parseJson } from "../../../api/static/json.js";
import { judgeProject } from "../../../api/static/projectproof.js";

const cases = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const { proof_text: text, trust } of cases) {
  const judged = await judgeProject(parseJson(text, { what: "proof" }), trust);
  out.push({
    level: judged.level,
    failed: judged.failed,
    checks: Object.fromEntries(judged.checks.map((c) => [c.check, c.passed])),
    records: judged.records.map((r) => ({ leaf_index: r.leaf_index, shown: r.record !== null })),
  });
}
process.stdout.write(JSON.stringify(out));
