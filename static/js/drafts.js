// Drafts of the entry form kept in this tab (static/js/entry_form.js) belong to the person
// who typed them: their keys carry the signed-in user's id (data-user-id on <body>).
// Signing out clears them, and a page seen by another user clears those of anyone else,
// so that on a shared computer nobody finds a colleague's case in their form.
// A signed-out page (the sign-in page after a session ran out) clears nothing: the draft
// is still there once the same person signs in again.
(function () {
  "use strict";
  const PREFIX = "precept-entry-draft:";
  let storage;
  try { storage = window.sessionStorage; } catch (e) { return; }
  if (!storage) return;
  const user = document.body.getAttribute("data-user-id") || "";

  function clear(keep) {
    Object.keys(storage)
      .filter((key) => key.startsWith(PREFIX) && !(keep && key.startsWith(keep)))
      .forEach((key) => storage.removeItem(key));
  }

  if (user) clear(PREFIX + user + ":");
  document.querySelectorAll("form[data-sign-out]").forEach((form) => {
    form.addEventListener("submit", () => clear(null));
  });
})();
