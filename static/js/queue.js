// The sign-off queue: "Select all on this page", a count of what is selected, and the
// "Sign off selected" panel kept in reach (stuck to the bottom of the screen) while
// something is selected. Without this script the checkboxes and the panel still work.
(function () {
  "use strict";
  const panel = document.getElementById("bulk-signoff");
  if (!panel) return;
  const boxes = Array.from(document.querySelectorAll("input.queue-select"));
  const all = document.getElementById("select-all");
  const count = document.getElementById("selected-count");
  function update() {
    const chosen = boxes.filter(function (box) { return box.checked; }).length;
    count.textContent = chosen ? chosen + " of " + boxes.length + " selected" : "None selected";
    all.checked = chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
    panel.classList.toggle("queue-bulk-stuck", chosen > 0);
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    update();
  });
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  all.closest("[data-select-all]").hidden = false;
  update();
})();
