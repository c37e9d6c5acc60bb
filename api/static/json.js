// Strict JSON for documents from strangers (a pasted or uploaded proof bundle, the server's
// answers): the page's twin of the server's reader, notary/jsonin.py, and it accepts and refuses
// the same documents.
//
// JSON.parse alone is not enough. Of a duplicate key it keeps the last value, so two readers of one
// document can see two different records (`"amount":1,"amount":1000`; I-JSON, RFC 7493, forbids
// duplicates). It reads "\ud800" into a string UTF-8 cannot carry, and it recurses once per nesting
// level. parseJson refuses, with a JsonError saying what is wrong:
//
// - a document nested deeper than maxDepth (64): its depth is the most arrays and objects open at
//   once, so `1` has depth 0, `[]` and `{"a": 1}` depth 1, `[[]]` depth 2;
// - an object with a duplicate key, at any depth (keys compared after unescaping: "a" and "\u0061");
// - a number written with more than 64 characters, or too large for a double (1e999);
// - a lone surrogate in a string or a key, escaped ("\ud800") or not;
// - anything that is not JSON (RFC 8259): NaN, a leading zero, a trailing comma, a control character
//   in a string, a byte order mark, trailing garbage.
//
// It is a loop over an explicit stack, never recursive: 100 000 `[` are refused at the 65th, and no
// input can overflow the JavaScript stack. The objects it returns are plain objects; a key such as
// "__proto__" is an own property, as JSON.parse makes it.

export const MAX_DEPTH = 64;
export const MAX_NUMBER_CHARS = 64;

export class JsonError extends Error {
  /** `code`: "syntax", "depth", "duplicate", "number" or "unicode"; `at`: the offset in the text;
   * `key`: the duplicate key. */
  constructor(code, message, at, key = null) {
    super(message);
    this.name = "JsonError";
    this.code = code;
    this.at = at;
    this.key = key;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;
const ESCAPES = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const LITERALS = [["true", true], ["false", false], ["null", null]];

function shown(key) {
  return JSON.stringify(key.length <= 40 ? key : `${key.slice(0, 40)}…`);
}

/**
 * The JSON value of `text` (a string; bytes must be decoded first, a leading byte order mark
 * removed). Throws JsonError, with `what` naming the document in its message.
 */
export function parseJson(text, { what = "document", maxDepth = MAX_DEPTH } = {}) {
  if (typeof text !== "string") throw new TypeError("parseJson reads a string");
  let pos = 0;
  const fail = (code, message, at = pos, key = null) => {
    throw new JsonError(code, `${what}: ${message}`, at, key);
  };
  const syntax = (expected) => {
    if (pos >= text.length) fail("syntax", `unexpected end of the text (expected ${expected})`);
    fail("syntax", `expected ${expected} at offset ${pos}, found ${JSON.stringify(text[pos])}`);
  };
  const skipSpace = () => {
    // JSON's whitespace: space, tab, line feed, carriage return (nothing else, not even a BOM).
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };

  function readString() {
    // Requires text[pos] === '"'.
    const start = pos;
    pos++;
    let out = "";
    let run = pos; // start of the current run of unescaped characters
    for (;;) {
      if (pos >= text.length) fail("syntax", `unterminated string starting at offset ${start}`, start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        const raw = text.slice(run, pos);
        if (LONE_SURROGATE.test(raw)) fail("unicode", "a string holds a lone surrogate, which is not Unicode text");
        out += raw;
        pos++;
        return out;
      }
      if (c < 0x20) fail("syntax", `control character U+${c.toString(16).padStart(4, "0")} in a string at offset ${pos}`);
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      const raw = text.slice(run, pos);
      if (LONE_SURROGATE.test(raw)) fail("unicode", "a string holds a lone surrogate, which is not Unicode text");
      out += raw;
      const e = text[pos + 1];
      if (e === "u") {
        const unit = readUnit(pos);
        pos += 6;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // A high surrogate counts only when an escaped low surrogate follows at once.
          const low = text[pos] === "\\" && text[pos + 1] === "u" ? readUnit(pos) : -1;
          if (low < 0xdc00 || low > 0xdfff) fail("unicode", `lone surrogate \\u${unit.toString(16)} in a string`);
          out += String.fromCharCode(unit, low);
          pos += 6;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          fail("unicode", `lone surrogate \\u${unit.toString(16)} in a string`);
        } else {
          out += String.fromCharCode(unit);
        }
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        pos += 2;
      } else {
        fail("syntax", `invalid escape at offset ${pos}`);
      }
      run = pos;
    }
  }

  function readUnit(at) {
    const hex = text.slice(at + 2, at + 6);
    if (!HEX4.test(hex)) fail("syntax", `invalid \\u escape at offset ${at}`, at);
    return parseInt(hex, 16);
  }

  function readNumber() {
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m === null) syntax("a value");
    const lexeme = m[0];
    if (lexeme.length > MAX_NUMBER_CHARS) {
      fail("number", `number ${lexeme.slice(0, 16)}… is longer than ${MAX_NUMBER_CHARS} characters`);
    }
    const value = Number(lexeme);
    if (!Number.isFinite(value)) fail("number", `number ${lexeme} is too large for a double`);
    pos += lexeme.length;
    return value;
  }

  /** A scalar at pos, or a marker that a container opens there. */
  function readScalar() {
    const c = text[pos];
    if (c === '"') return readString();
    if (c === "-" || (c >= "0" && c <= "9")) return readNumber();
    for (const [word, value] of LITERALS) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    return syntax("a value");
  }

  // The stack of open containers: {value, keys (objects only), key (the member being read)}.
  const stack = [];
  let result;
  let done = false;

  // Put a finished value into the container on top of the stack (or make it the result).
  const put = (value) => {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      result = value;
      done = true;
    } else if (Array.isArray(top.value)) {
      top.value.push(value);
    } else if (top.key === "__proto__") {
      Object.defineProperty(top.value, top.key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      top.value[top.key] = value;
    }
  };

  // Read a value at pos: a scalar is put at once, a container is opened (pushed).
  const startValue = () => {
    skipSpace();
    const c = text[pos];
    if (c === "[" || c === "{") {
      if (stack.length >= maxDepth) fail("depth", `nested deeper than ${maxDepth} levels`);
      pos++;
      stack.push(c === "[" ? { value: [] } : { value: {}, keys: new Set(), key: null });
      return true;
    }
    put(readScalar());
    return false;
  };

  // Read the key of the next member of the object on top, and its colon.
  const startMember = (top) => {
    skipSpace();
    if (text[pos] !== '"') syntax("a key (a string in double quotes)");
    const keyAt = pos;
    const key = readString();
    if (top.keys.has(key)) fail("duplicate", `duplicate key ${shown(key)}`, keyAt, key);
    top.keys.add(key);
    top.key = key;
    skipSpace();
    if (text[pos] !== ":") syntax("':'");
    pos++;
  };

  let opened = startValue();
  while (!done) {
    const top = stack[stack.length - 1];
    const isArray = Array.isArray(top.value);
    const close = isArray ? "]" : "}";
    skipSpace();
    if (opened) {
      // Just after `[` or `{`: the container may be empty.
      if (text[pos] === close) {
        pos++;
        stack.pop();
        put(top.value);
        opened = false;
        continue;
      }
      if (!isArray) startMember(top);
      opened = startValue();
      continue;
    }
    // After a member: a comma and another, or the end of the container.
    if (text[pos] === ",") {
      pos++;
      if (!isArray) startMember(top);
      opened = startValue();
    } else if (text[pos] === close) {
      pos++;
      stack.pop();
      put(top.value);
    } else {
      syntax(`',' or '${close}'`);
    }
  }
  skipSpace();
  if (pos < text.length) fail("syntax", `extra data after the JSON value at offset ${pos}`);
  return result;
}
