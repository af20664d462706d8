// Logging with no network, the page's side (the worker is static/js/sw.js):
// - registers the worker and tells it who is signed in (it keeps the entry form for that
//   person only) and which CSS and JS this page uses;
// - says how many entries wait on this phone to be uploaded, and uploads them when the
//   network is there: on every page, at once and whenever the browser comes back online;
// - an entry the server refuses stays, with the server's messages, until its trainee
//   opens it in the form to correct it; nothing typed is lost;
// - signing out uploads first, warns about whatever could not be uploaded, then clears
//   this user's outbox and everything the worker kept.
(function () {
  "use strict";
  const body = document.body;
  const user = body.getAttribute("data-user-id") || "";
  const formUrl = body.getAttribute("data-entry-form");
  const outbox = self.PreceptOutbox;
  const banner = document.getElementById("outbox");
  let uploading = null;

  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(body.getAttribute("data-service-worker"), { scope: "/" })
      .catch(() => null);
    navigator.serviceWorker.ready.then((registration) => {
      const assets = Array.from(document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon]"))
        .map((node) => node.src || node.href);
      // Only a trainee's pages name the entry form (data-entry-form): the worker keeps it
      // for them and asks nobody else's account for it.
      registration.active.postMessage({ type: "page", user, assets, form: formUrl || "" });
    });
  }
  if (!user || !formUrl || !outbox || !window.indexedDB) return;

  function token() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function plural(n, one, many) { return n === 1 ? one : many; }

  // The field messages of a refused form, as "Label: message".
  function refusals(html) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const found = [];
    page.querySelectorAll("[id^=div_id_]").forEach((group) => {
      const errors = Array.from(group.querySelectorAll(".invalid-feedback")).map((e) => e.textContent.trim());
      if (!errors.length) return;
      const label = group.querySelector("legend, label");
      const name = label ? label.textContent.replace("*", "").trim() : "";
      errors.forEach((error) => found.push(name ? name + ": " + error : error));
    });
    page.querySelectorAll("form .alert-danger").forEach((alert) => found.push(alert.textContent.trim()));
    return found;
  }

  function send(item) {
    const data = new FormData();
    Object.entries(item.fields).forEach(([name, values]) => values.forEach((v) => data.append(name, v)));
    data.set("csrfmiddlewaretoken", token());
    return fetch(formUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Precept-Upload": "1" },
    });
  }

  // Each entry in turn; stops at the first network failure (still offline) or if the
  // session has ended (sent to the sign-in page): they stay for the next try.
  async function uploadAll() {
    for (const item of await outbox.list(user)) {
      if (item.refused) continue;
      let response;
      try { response = await send(item); } catch (e) { return; }
      const path = new URL(response.url).pathname;
      if (response.ok && /^\/entries\/\d+\/$/.test(path)) {
        await outbox.remove(item.key); // stored (or found already stored, by its key)
      } else if (response.ok && path === formUrl) {
        item.refused = refusals(await response.text());
        if (!item.refused.length) item.refused = ["The server did not accept this entry."];
        await outbox.put(item);
      } else {
        return;
      }
    }
  }

  function upload() {
    if (!uploading) uploading = uploadAll().catch(() => null).then(() => { uploading = null; return show(); });
    return uploading;
  }

  async function show() {
    if (!banner) return;
    const items = await outbox.list(user);
    const waiting = items.filter((item) => !item.refused);
    const refused = items.filter((item) => item.refused);
    banner.replaceChildren();
    banner.hidden = !items.length;
    if (waiting.length) {
      const p = document.createElement("p");
      p.className = "mb-1";
      p.id = "outbox-waiting";
      p.textContent = waiting.length + " " + plural(waiting.length, "entry", "entries") +
        " saved on this phone, to be uploaded when the network is there.";
      banner.appendChild(p);
    }
    refused.forEach((item) => {
      const box = document.createElement("div");
      box.className = "mb-1";
      const p = document.createElement("p");
      p.className = "mb-1 fw-semibold";
      p.textContent = "An entry saved on this phone was not accepted:";
      const list = document.createElement("ul");
      list.className = "mb-1";
      item.refused.forEach((message) => {
        const li = document.createElement("li");
        li.textContent = message;
        list.appendChild(li);
      });
      const open = document.createElement("a");
      open.className = "btn btn-sm btn-outline-dark";
      open.href = formUrl + "?outbox=" + encodeURIComponent(item.key);
      open.textContent = "Open it to correct";
      box.append(p, list, open);
      banner.appendChild(box);
    });
  }

  // An entry from the outbox opened in the form to be corrected: its fields put back,
  // its messages shown; it leaves the outbox (the form keeps what is typed in this tab).
  async function reopen() {
    const key = new URLSearchParams(location.search).get("outbox");
    const form = document.getElementById("entry-form");
    if (!key || !form || !window.PreceptEntryForm) return;
    const item = await outbox.get(key);
    if (!item || item.user !== user) return;
    const values = {};
    Object.entries(item.fields).forEach(([name, list]) => {
      if (["form_key", "action"].includes(name)) return;
      values[name] = name === "injectates" ? list : list[0];
    });
    window.PreceptEntryForm.restore(values);
    const note = document.createElement("div");
    note.className = "alert alert-danger";
    note.setAttribute("role", "alert");
    note.textContent = "Correct this entry, saved on this phone, then save it: " + (item.refused || []).join(" ");
    form.before(note);
    await outbox.remove(key);
  }

  document.querySelectorAll("form[data-sign-out]").forEach((form) => {
    let cleared = false;
    form.addEventListener("submit", async (event) => {
      if (cleared) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      await upload();
      const left = (await outbox.list(user)).length;
      if (left && !window.confirm(left + " " + plural(left, "entry", "entries") +
          " on this phone could not be uploaded and will be deleted if you sign out now. Sign out anyway?")) {
        return;
      }
      await outbox.clear(user);
      if (window.caches) await Promise.all((await caches.keys()).map((name) => caches.delete(name)));
      const registration = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
      if (registration && registration.active) registration.active.postMessage({ type: "forget" });
      cleared = true;
      form.requestSubmit();
    }, true);
  });

  window.addEventListener("online", upload);
  // After every script of the page has run (the entry form's own, for reopen()).
  document.addEventListener("DOMContentLoaded", () => {
    reopen().then(show).then(() => (navigator.onLine ? upload() : null));
  });
  // Tests and the page can ask for an upload now.
  window.PreceptOffline = { upload, show };
})();
