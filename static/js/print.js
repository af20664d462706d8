// The portfolio's "Print or save as PDF" button (no inline script: CSP-safe).
(function () {
  "use strict";
  const button = document.getElementById("print-button");
  if (button) button.addEventListener("click", () => window.print());
})();
