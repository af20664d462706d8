// On an entry's page: whatever the entry forms kept in this tab was saved (or left).
(function () {
  "use strict";
  if (!window.sessionStorage) return;
  Object.keys(sessionStorage)
    .filter((key) => key.startsWith("precept-entry-draft:"))
    .forEach((key) => sessionStorage.removeItem(key));
})();
