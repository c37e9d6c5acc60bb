#!/usr/bin/env node
// Gives solc-js (npm `solc`, pinned in package.json) the command-line interface py-solc-x expects
// of a native solc: `--version`, and `--standard-json` reading the input on stdin and writing only
// the JSON output on stdout. Other flags py-solc-x may add (--base-path, --allow-paths) are
// accepted and ignored: scripts/compile_contracts.py passes every source inline.
"use strict";
const path = require("path");

const root = path.resolve(__dirname, "..");
const solc = require(require.resolve("solc", { paths: [root] }));
const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write(
    "solc, the solidity compiler commandline interface (solc-js adapter)\n" +
      `Version: ${solc.version()}\n`,
  );
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solcjs_adapter: only --version and --standard-json are supported\n");
  process.exit(2);
}
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const missing = (p) => ({ error: `import not found: ${p} (pass every source inline)` });
  process.stdout.write(solc.compile(input, { import: missing }));
});
