// A live character count under every textarea that has a limit (data-max-length, set by
// procedures.forms.limit_length). The server enforces the limit; this only says how much
// room is left before one submits. Counted as the server counts: in characters (code
// points), a line break sent as CR LF counting two.
(function () {
  "use strict";
  function length(text) {
    return Array.from(text.replace(/\r?\n/g, "\r\n")).length;
  }
  document.querySelectorAll("textarea[data-max-length]").forEach(function (area) {
    const limit = parseInt(area.getAttribute("data-max-length"), 10);
    if (!limit) return;
    const counter = document.createElement("div");
    counter.className = "form-text char-count";
    counter.id = area.id ? area.id + "_count" : "";
    area.insertAdjacentElement("afterend", counter);
    if (counter.id) {
      const described = area.getAttribute("aria-describedby");
      area.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    }
    function update() {
      const used = length(area.value);
      const over = used - limit;
      counter.textContent = over > 0
        ? used + " / " + limit + " characters: " + over + " too many"
        : used + " / " + limit + " characters";
      counter.classList.toggle("text-danger", over > 0);
    }
    area.addEventListener("input", update);
    area.addEventListener("change", update); // a restored draft (entry_form.js)
    update();
  });
})();
