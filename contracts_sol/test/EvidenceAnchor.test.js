// EvidenceAnchor against the Certificate Transparency vectors and named attacks. The proofs come
// from notary/merkle.py (tests/vectors/ct/rfc6962.json, written by tests.vectors.ct_generate).
const { expect } = require("chai");
const { ethers, artifacts } = require("hardhat");
const vectors = require("../../tests/vectors/ct/rfc6962.json");
const committed = require("../build/EvidenceAnchor.json");

const ZERO = ethers.ZeroHash;
const flip = (h) => "0x" + ((parseInt(h.slice(2, 4), 16) ^ 1).toString(16).padStart(2, "0")) + h.slice(4);

async function deploy(anchorer) {
  const [admin] = await ethers.getSigners();
  const Factory = await ethers.getContractFactory("EvidenceAnchor");
  const c = await Factory.deploy(admin.address, anchorer === undefined ? admin.address : anchorer);
  await c.waitForDeployment();
  return c;
}

function revertData(e) {
  for (let x = e; x; x = x.error || x.info?.error || x.cause) {
    if (typeof x.data === "string" && x.data.startsWith("0x")) return x.data;
    if (x.data && typeof x.data.data === "string") return x.data.data;
  }
  throw e;
}

async function expectRevert(promise, contract, name, args) {
  let data;
  try {
    await (await promise).wait?.();
  } catch (e) {
    data = revertData(e);
  }
  expect(data, `expected a revert with ${name}`).to.be.a("string");
  const parsed = contract.interface.parseError(data);
  expect(parsed?.name).to.equal(name);
  if (args) expect(parsed.args.map((a) => a.toString())).to.deep.equal(args.map(String));
}

describe("EvidenceAnchor", function () {
  describe("build", function () {
    it("Hardhat's build equals the committed artifact (contracts_sol/build)", async function () {
      const a = await artifacts.readArtifact("EvidenceAnchor");
      expect(a.deployedBytecode).to.equal(committed.deployedBytecode);
      expect(a.bytecode).to.equal(committed.bytecode);
    });
  });

  describe("an empty log", function () {
    it("has no checkpoint, no roots and verifies nothing", async function () {
      const c = await deploy();
      const [size, root] = await c.latestCheckpoint();
      expect(size).to.equal(0n);
      expect(root).to.equal(ZERO);
      expect(await c.rootAt(0)).to.equal(ZERO);
      expect(await c.rootAt(1)).to.equal(ZERO);
      expect(await c.verifyInclusion(vectors.ct.leafHashes[0], 0, 1, [])).to.equal(false);
    });
    it("refuses tree size 0", async function () {
      const c = await deploy();
      await expectRevert(c.anchor(0, vectors.ct.roots[0], [], ""), c, "EvidenceAnchorSizeNotIncreasing", [0, 0]);
    });
    it("refuses a proof on the first anchor", async function () {
      const c = await deploy();
      await expectRevert(c.anchor(1, vectors.ct.roots[0], [ZERO], ""), c, "EvidenceAnchorBadProofLength", [0, 1]);
    });
  });

  describe("CT vectors", function () {
    it("anchors sizes 1..8 in turn, each with its consistency proof, and emits CheckpointAnchored", async function () {
      const [admin] = await ethers.getSigners();
      const c = await deploy();
      let previous = 0;
      for (let n = 1; n <= 8; n++) {
        const proof = previous
          ? vectors.ct.consistency.find((v) => v.size1 === previous && v.size2 === n).proof
          : [];
        const tx = await c.anchor(n, vectors.ct.roots[n - 1], proof, `cid-${n}`);
        const receipt = await tx.wait();
        const log = c.interface.parseLog(receipt.logs[0]);
        expect(log.name).to.equal("CheckpointAnchored");
        expect(log.args.treeSize).to.equal(BigInt(n));
        expect(log.args.rootHash).to.equal(vectors.ct.roots[n - 1]);
        expect(log.args.manifestCid).to.equal(`cid-${n}`);
        expect(log.args.anchorer).to.equal(admin.address);
        previous = n;
      }
      const [size, root] = await c.latestCheckpoint();
      expect(size).to.equal(8n);
      expect(root).to.equal(vectors.ct.roots[7]);
      for (let n = 1; n <= 8; n++) expect(await c.rootAt(n)).to.equal(vectors.ct.roots[n - 1]);

      for (const v of vectors.ct.inclusion) {
        const leaf = vectors.ct.leafHashes[v.index];
        expect(await c.verifyInclusion(leaf, v.index, v.size, v.proof), `leaf ${v.index} size ${v.size}`).to.equal(true);
        expect(await c.verifyInclusion(flip(leaf), v.index, v.size, v.proof)).to.equal(false);
        for (let k = 0; k < v.proof.length; k++) {
          const bad = v.proof.map((p, j) => (j === k ? flip(p) : p));
          expect(await c.verifyInclusion(leaf, v.index, v.size, bad)).to.equal(false);
        }
        expect(await c.verifyInclusion(leaf, v.index, v.size, [...v.proof, ZERO])).to.equal(false);
        if (v.proof.length) expect(await c.verifyInclusion(leaf, v.index, v.size, v.proof.slice(1))).to.equal(false);
        expect(await c.verifyInclusion(leaf, v.size, v.size, v.proof)).to.equal(false);
      }
    });

    for (const v of vectors.ct.consistency.filter((x) => x.size1 < x.size2)) {
      it(`consistency ${v.size1} -> ${v.size2}: the proof is accepted, every one-bit change refused`, async function () {
        const c = await deploy();
        await (await c.anchor(v.size1, vectors.ct.roots[v.size1 - 1], [], "")).wait();
        for (let k = 0; k < v.proof.length; k++) {
          const bad = v.proof.map((p, j) => (j === k ? flip(p) : p));
          await expectRevert(c.anchor(v.size2, vectors.ct.roots[v.size2 - 1], bad, ""), c,
            "EvidenceAnchorInconsistentCheckpoint", [v.size1, v.size2]);
        }
        await expectRevert(c.anchor(v.size2, flip(vectors.ct.roots[v.size2 - 1]), v.proof, ""), c,
          "EvidenceAnchorInconsistentCheckpoint", [v.size1, v.size2]);
        await (await c.anchor(v.size2, vectors.ct.roots[v.size2 - 1], v.proof, "")).wait();
        expect(await c.rootAt(v.size2)).to.equal(vectors.ct.roots[v.size2 - 1]);
      });
    }
  });

  describe("attacks", function () {
    async function anchoredTo(index) {
      const c = await deploy();
      for (const s of vectors.chain.steps.slice(0, index + 1)) await (await c.anchor(s.size, s.root, s.proof, "")).wait();
      return c;
    }
    const steps = vectors.chain.steps;
    const at513 = steps.findIndex((s) => s.size === 513);
    const last = steps[steps.length - 1];

    it("forked-history: a rewritten entry cannot be anchored after the original", async function () {
      const c = await anchoredTo(at513);
      await expectRevert(c.anchor(1000, vectors.chain.forkRoot1000, vectors.chain.forkProof513to1000, ""), c,
        "EvidenceAnchorInconsistentCheckpoint", [513, 1000]);
      await expectRevert(c.anchor(1000, vectors.chain.forkRoot1000, last.proof, ""), c,
        "EvidenceAnchorInconsistentCheckpoint", [513, 1000]);
      await (await c.anchor(1000, last.root, last.proof, "")).wait();
      expect(await c.verifyInclusion(vectors.chain.leaf600, 600, 1000, vectors.chain.inclusion600)).to.equal(true);
    });
    it("same-size: re-anchoring the latest size is refused", async function () {
      const c = await anchoredTo(at513);
      await expectRevert(c.anchor(513, steps[at513].root, [], ""), c, "EvidenceAnchorSizeNotIncreasing", [513, 513]);
    });
    it("smaller-size: going back is refused", async function () {
      const c = await anchoredTo(at513);
      await expectRevert(c.anchor(100, steps[at513 - 1].root, [], ""), c, "EvidenceAnchorSizeNotIncreasing", [513, 100]);
    });
    it("proof-trailing-garbage and proof-truncated: wrong lengths are refused with the expected length", async function () {
      const c = await anchoredTo(at513);
      const n = last.proof.length;
      await expectRevert(c.anchor(1000, last.root, [...last.proof, ZERO], ""), c, "EvidenceAnchorBadProofLength", [n, n + 1]);
      await expectRevert(c.anchor(1000, last.root, last.proof.slice(0, -1), ""), c, "EvidenceAnchorBadProofLength", [n, n - 1]);
      await expectRevert(c.anchor(1000, last.root, [], ""), c, "EvidenceAnchorBadProofLength", [n, 0]);
    });
    it("zero-root: refused", async function () {
      const c = await deploy();
      await expectRevert(c.anchor(1, ZERO, [], ""), c, "EvidenceAnchorZeroRoot");
    });
    it("caller-without-role: refused by AccessControl", async function () {
      const [, stranger] = await ethers.getSigners();
      const c = await deploy();
      const role = await c.ANCHORER_ROLE();
      await expectRevert(c.connect(stranger).anchor(1, steps[0].root, [], ""), c,
        "AccessControlUnauthorizedAccount", [stranger.address, role]);
    });
    it("manifest-too-long: refused", async function () {
      const c = await deploy();
      await expectRevert(c.anchor(1, steps[0].root, [], "x".repeat(257)), c, "EvidenceAnchorManifestTooLong", [257, 256]);
    });
    it("verifyInclusion never reverts on garbage: unanchored size, huge proof, index out of range", async function () {
      const c = await anchoredTo(steps.length - 1);
      const leaf = vectors.chain.leaf600;
      expect(await c.verifyInclusion(leaf, 600, 999, vectors.chain.inclusion600)).to.equal(false);
      expect(await c.verifyInclusion(leaf, 600, 1000, Array(300).fill(ZERO))).to.equal(false);
      expect(await c.verifyInclusion(leaf, 2n ** 64n - 1n, 1000, vectors.chain.inclusion600)).to.equal(false);
      expect(await c.verifyInclusion(leaf, 600, 2n ** 64n - 1n, vectors.chain.inclusion600)).to.equal(false);
    });
  });
});
