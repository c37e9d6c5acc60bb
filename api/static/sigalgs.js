// Party signature algorithms on the page, as notary/sigalgs.py defines them: ed25519, p256, sm2.
// Signatures are 64 bytes: Ed25519's own, or r || s (P-256, SM2). Public keys: Ed25519 raw 32
// bytes, P-256 and SM2 the uncompressed point 04 || x || y (65 bytes) — a point of its curve,
// checked here with BigInt as the server checks it, so the page and the server accept the same
// registrations. P-256 signatures are checked through WebCrypto, low-S only (s <= n/2) as the
// server requires. SM2 is not in WebCrypto: the page reports SM2 signatures as not checked here
// (never as passed); the server and `sunlight verify` check them.

export const ALGS = ["ed25519", "p256", "sm2"];

const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const SM2_P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const CURVES = {
  p256: {
    p: P256_P,
    a: P256_P - 3n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  sm2: {
    p: SM2_P,
    a: SM2_P - 3n,
    b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
    n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  },
};

const toBigInt = (bytes) => bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);

/** Whether `bytes` is a public key of `alg` the server would register. */
export function publicKeyOk(alg, bytes) {
  if (alg === "ed25519") return bytes.length === 32;
  const c = CURVES[alg];
  if (c === undefined || bytes.length !== 65 || bytes[0] !== 4) return false;
  const x = toBigInt(bytes.subarray(1, 33));
  const y = toBigInt(bytes.subarray(33));
  if (x >= c.p || y >= c.p) return false;
  const mod = (v) => ((v % c.p) + c.p) % c.p;
  return mod(y * y - (x * x * x + c.a * x + c.b)) === 0n;
}

/** true or false; null when this browser cannot verify P-256 (no WebCrypto). */
export async function p256Verify(publicKey, signature, message) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return null;
  if (signature === null || signature.length !== 64) return false;
  const { n } = CURVES.p256;
  const r = toBigInt(signature.subarray(0, 32));
  const s = toBigInt(signature.subarray(32));
  if (r < 1n || r >= n || s < 1n || s > n / 2n) return false;
  try {
    const algorithm = { name: "ECDSA", namedCurve: "P-256" };
    const key = await subtle.importKey("raw", publicKey, algorithm, false, ["verify"]);
    return await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, message);
  } catch {
    return false;
  }
}
