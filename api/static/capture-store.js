// The capture page's storage on the phone: one IndexedDB database, shared by the page and its
// service worker. It survives closing the browser; nothing in it is a password or a token.
//
//   device    "self": {party, key_id, alg, privateKey (a non-extractable CryptoKey), name,
//             organisation, roles, trust (the sunlight-trust/1 document pinned when paired)}
//   items     the queue, by id: {id, idem, created, status: waiting | sending | notarized | refused,
//             meta, file (Blob) | null, name, sha256, tries, next_try, reason, answer, receipt_ok,
//             bundle, level}
//   cache     "projects": GET /v1/capture/projects as last fetched, for choosing offline

const DB_NAME = "sunlight-capture";
const STORES = ["device", "items", "cache"];

let opened = null;

function db() {
  if (opened === null) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        for (const name of STORES) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, name === "items" ? { keyPath: "id" } : undefined);
          }
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(store, mode, action) {
  const tx = (await db()).transaction(store, mode);
  const request = action(tx.objectStore(store));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const get = (store, key) => run(store, "readonly", (s) => s.get(key));
export const put = (store, value, key) => run(store, "readwrite", (s) => (key === undefined ? s.put(value) : s.put(value, key)));
export const remove = (store, key) => run(store, "readwrite", (s) => s.delete(key));

/** Every queued item, oldest first. */
export async function items() {
  const all = await run("items", "readonly", (s) => s.getAll());
  return all.sort((a, b) => a.created - b.created);
}

/** Change one item in a transaction of its own: `change(item)` returns the new item. */
export async function update(id, change) {
  const item = await get("items", id);
  if (item === undefined) return undefined;
  const next = change(item);
  await put("items", next);
  return next;
}
