// The offline outbox: entries logged with no network, kept in this browser's IndexedDB
// under a key made here (it becomes the entry's form_key, so the server stores each one
// exactly once however often it is sent) until they are uploaded. Each belongs to the
// signed-in user who logged it. Shared by the pages (offline.js) and the service worker
// (sw.js), so it sets a global on `self`, which is the window or the worker.
self.PreceptOutbox = (function () {
  "use strict";
  const NAME = "precept-outbox";
  const STORE = "entries";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore(STORE, { keyPath: "key" }).createIndex("user", "user");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // One transaction; resolves with what `work` returned (a request's result, once done).
  function run(mode, work) {
    return open().then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    }));
  }

  return {
    put: (item) => run("readwrite", (store) => store.put(item)),
    get: (key) => run("readonly", (store) => store.get(key)),
    // In the order they were logged (keys are random).
    list: (user) => run("readonly", (store) => store.index("user").getAll(String(user)))
      .then((items) => items.sort((a, b) => a.savedAt - b.savedAt)),
    remove: (key) => run("readwrite", (store) => store.delete(key)),
    clear: (user) => run("readwrite", (store) => {
      const cursor = store.index("user").openCursor(String(user));
      cursor.onsuccess = () => {
        if (cursor.result) { cursor.result.delete(); cursor.result.continue(); }
      };
      return null;
    }),
  };
})();
