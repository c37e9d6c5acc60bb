// The RFC 6962 / RFC 9162 Merkle log, checked in the browser.
//
//   leaf_hash = SHA-256(0x00 || entry)      node_hash = SHA-256(0x01 || left || right)
//
// verifyInclusion follows RFC 9162 section 2.1.3.2 step by step. It never throws: it returns
// {ok: true} or {ok: false, reason}, whatever it is given. Indices and sizes are BigInt inside, so
// every tree size up to 2**64 - 1 is handled exactly.

import { canonicalBytes } from "./jcs.js";
import { fromHex, sha256, toHex } from "./sha256.js";

export const MAX_TREE_SIZE = (1n << 64n) - 1n;
export const MAX_PROOF_LENGTH = 64;

export function leafHash(entry) {
  const data = new Uint8Array(entry.length + 1);
  data[0] = 0x00;
  data.set(entry, 1);
  return sha256(data);
}

export function nodeHash(left, right) {
  const data = new Uint8Array(65);
  data[0] = 0x01;
  data.set(left, 1);
  data.set(right, 33);
  return sha256(data);
}

/** The leaf hash of a record (a parsed JSON object), as lowercase hex: SHA-256(0x00 || JCS). */
export function recordLeafHash(record) {
  return toHex(leafHash(canonicalBytes(record)));
}

function toBigIntSize(value) {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^(0|[1-9][0-9]{0,19})$/.test(value)) return BigInt(value);
  return null;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Check that `leafHashHex` is leaf `index` of the tree of `treeSize` leaves whose root is
 * `rootHex`, by the bottom-up inclusion proof `proofHex` (hex strings).
 * Requires 0 <= index < treeSize <= 2**64 - 1.
 */
export function verifyInclusion(leafHashHex, index, treeSize, proofHex, rootHex) {
  const fail = (reason) => ({ ok: false, reason });
  const leaf = fromHex(leafHashHex, 32);
  if (leaf === null) return fail("the leaf hash is not 32 bytes of lowercase hex");
  const root = fromHex(rootHex, 32);
  if (root === null) return fail("the root hash is not 32 bytes of lowercase hex");
  const idx = toBigIntSize(index);
  const size = toBigIntSize(treeSize);
  if (idx === null || idx < 0n) return fail("the leaf index is not a whole number");
  if (size === null || size > MAX_TREE_SIZE) return fail("the tree size is out of range");
  if (idx >= size) return fail(`leaf index ${idx} is not below the tree size ${size}`);
  if (!Array.isArray(proofHex) || proofHex.length > MAX_PROOF_LENGTH) {
    return fail("the proof is not a list of at most 64 hashes");
  }
  const proof = [];
  for (const [i, p] of proofHex.entries()) {
    const h = fromHex(p, 32);
    if (h === null) return fail(`proof hash ${i} is not 32 bytes of lowercase hex`);
    proof.push(h);
  }

  // RFC 9162 section 2.1.3.2.
  let fn = idx;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return fail("the proof has more hashes than the tree needs");
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return fail("the proof has fewer hashes than the tree needs");
  if (!equalBytes(r, root)) {
    return fail(`the proof leads to root ${toHex(r)}, not to ${rootHex}`);
  }
  return { ok: true };
}

/** The largest power of two smaller than `n` (a BigInt). Requires n >= 2. */
function split(n) {
  let k = 1n;
  while (k << 1n < n) k <<= 1n;
  return k;
}

/** The first position in sorted `indices[lo:hi]` holding a value >= `k` (Python's bisect_left). */
function bisectLeft(indices, k, lo, hi) {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (indices[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * notary.multiproof.verify_multi_inclusion: check that each of `leaves` ({index, leafHash} with
 * hex leaf hashes, in strictly increasing index order) is that leaf of the tree of `treeSize`
 * leaves whose root is `rootHex`, by the multi-leaf proof `proofHex` (the hashes of the maximal
 * ranges of the RFC 6962 split holding none of the indices, left to right). Never throws.
 */
export function verifyMultiInclusion(leaves, treeSize, proofHex, rootHex) {
  const fail = (reason) => ({ ok: false, reason });
  const root = fromHex(rootHex, 32);
  if (root === null) return fail("the root hash is not 32 bytes of lowercase hex");
  const size = toBigIntSize(treeSize);
  if (size === null || size < 1n || size > MAX_TREE_SIZE || !Array.isArray(leaves) || !leaves.length) {
    return fail("a multi-leaf proof needs a tree and at least one leaf");
  }
  const indices = leaves.map((l) => toBigIntSize(l && l.index));
  if (indices.some((i, n) => i === null || i >= size || (n > 0 && i <= indices[n - 1]))) {
    return fail(`leaf indices must increase strictly and stay below ${size}`);
  }
  const hashes = leaves.map((l) => fromHex(l.leafHash, 32));
  if (hashes.includes(null)) return fail("a leaf hash is not 32 bytes of lowercase hex");
  if (!Array.isArray(proofHex) || proofHex.length > leaves.length * MAX_PROOF_LENGTH) {
    return fail("a multi-leaf proof is a list of at most 64 hashes per leaf");
  }
  const given = proofHex.map((p) => fromHex(p, 32));
  if (given.includes(null)) return fail("a proof hash is not 32 bytes of lowercase hex");
  let next = 0;
  const mth = (lo, hi, begin, end) => {
    if (lo === hi) return next < given.length ? given[next++] : null;
    if (end - begin === 1n) return hashes[lo];
    const k = begin + split(end - begin);
    const cut = bisectLeft(indices, k, lo, hi);
    const left = mth(lo, cut, begin, k);
    const right = left === null ? null : mth(cut, hi, k, end);
    return right === null ? null : nodeHash(left, right);
  };
  const computed = mth(0, indices.length, 0n, size);
  if (computed === null) return fail("the multi-leaf proof is too short");
  if (next !== given.length) return fail("the multi-leaf proof is too long");
  if (!equalBytes(computed, root)) {
    return fail(`the proof leads to root ${toHex(computed)}, not to ${rootHex}`);
  }
  return { ok: true };
}
