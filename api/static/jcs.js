// RFC 8785 JSON Canonicalization Scheme (JCS).
//
// JCS is defined in terms of ECMAScript itself: strings are serialised as JSON.stringify does,
// numbers with the ECMAScript Number-to-String algorithm (what String(n) and JSON.stringify
// give), and object members sorted by their names as arrays of UTF-16 code units — which is how
// JavaScript compares strings with < and >. The value must be plain JSON (as JSON.parse returns).

export class CanonicalizationError extends Error {}

// A lone surrogate has no UTF-8 encoding: refuse it, as the log's Python encoder does.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quote(text) {
  if (LONE_SURROGATE.test(text)) {
    throw new CanonicalizationError("a string holds a lone surrogate, which UTF-8 cannot encode");
  }
  return JSON.stringify(text);
}

function serialize(value, out) {
  if (value === null || value === true || value === false) {
    out.push(String(value));
  } else if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new CanonicalizationError("numbers must be finite");
    out.push(JSON.stringify(value)); // -0 becomes "0", as JCS requires
  } else if (typeof value === "string") {
    out.push(quote(value));
  } else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      serialize(item, out);
    });
    out.push("]");
  } else if (typeof value === "object") {
    // Default sort compares UTF-16 code units, exactly what RFC 8785 section 3.2.3 asks.
    const keys = Object.keys(value).sort();
    out.push("{");
    keys.forEach((key, i) => {
      if (i > 0) out.push(",");
      out.push(quote(key), ":");
      serialize(value[key], out);
    });
    out.push("}");
  } else {
    throw new CanonicalizationError(`${typeof value} is not a JSON value`);
  }
}

/** The canonical JSON text of a JSON value. */
export function canonicalize(value) {
  const out = [];
  serialize(value, out);
  return out.join("");
}

/** The canonical JSON of a value as UTF-8 bytes (the log entry of a record). */
export function canonicalBytes(value) {
  return new TextEncoder().encode(canonicalize(value));
}
