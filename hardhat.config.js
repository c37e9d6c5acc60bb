// Hardhat 2 (Node 20 here; Hardhat 3 needs Node >= 22): see docs/chain.md.
// Compiles with the solc-js pinned in package.json, never a downloaded compiler, using the same
// settings as scripts/compile_contracts.py (contracts_sol/compiler.json).
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");
require("@nomicfoundation/hardhat-ethers");

const compiler = require("./contracts_sol/compiler.json");

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion !== compiler.version) return runSuper();
  const solc = require("solc");
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, "");
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: compiler.version,
    longVersion,
  };
});

/** @type {import('hardhat/config').HardhatUserConfig} */
module.exports = {
  solidity: {
    version: compiler.version,
    settings: {
      optimizer: compiler.settings.optimizer,
      evmVersion: compiler.settings.evmVersion,
      metadata: compiler.settings.metadata,
    },
  },
  paths: {
    sources: "./contracts_sol",
    tests: "./contracts_sol/test",
    cache: "./cache/hardhat",
    artifacts: "./artifacts",
  },
  mocha: { timeout: 120000 },
};
