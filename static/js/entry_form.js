// Show only the entry-form fields that apply to the chosen procedure, guidance and
// purpose. The server enforces the same rules; this only spares the user fields that
// cannot apply. Hidden inputs are disabled so that they are not submitted.
(function () {
  "use strict";
  const form = document.getElementById("entry-form");
  const rulesNode = document.getElementById("procedure-rules");
  if (!form || !rulesNode) return;
  const rules = JSON.parse(rulesNode.textContent);
  const field = (name) => form.elements.namedItem(name);
  const procedure = field("procedure");
  const guidance = field("guidance");
  const side = field("side");
  const purpose = field("purpose");

  function showGroup(name, visible) {
    form.querySelectorAll(`[data-when="${name}"]`).forEach((group) => {
      group.hidden = !visible;
      group.querySelectorAll("input, select, textarea").forEach((input) => {
        input.disabled = !visible;
      });
    });
  }

  function limitOptions(select, allowed) {
    let visible = [];
    for (const option of select.options) {
      if (option.value === "") continue;
      const ok = !allowed || allowed.includes(option.value);
      option.hidden = !ok;
      option.disabled = !ok;
      if (ok) visible.push(option);
    }
    if (select.selectedOptions.length && select.selectedOptions[0].disabled) select.value = "";
    if (visible.length === 1) select.value = visible[0].value;
  }

  function update() {
    const rule = rules[procedure.value];
    limitOptions(guidance, rule && rule.modalities);
    limitOptions(side, rule && rule.sides);
    showGroup("levels", !rule || rule.levels);
    showGroup("fluoroscopy", guidance.value === "fluoroscopy");
    showGroup("ct", guidance.value === "ct");
    showGroup("diagnostic", purpose.value === "diagnostic");
  }

  [procedure, guidance, purpose].forEach((input) => input.addEventListener("change", update));
  update();
})();

// Nothing typed is lost if a submission fails (a dropped connection, a server that is
// briefly unavailable): the form is kept in this tab's sessionStorage as it is typed and
// put back when the form is opened again. The entry page, reached only once an entry is
// saved or opened, clears it (static/js/entry_saved.js). The key names the signed-in
// user, whose sign-out clears it (static/js/drafts.js): a draft is only ever put back
// into the form of the person who typed it.
(function () {
  "use strict";
  const form = document.getElementById("entry-form");
  const user = document.body.getAttribute("data-user-id");
  if (!form || !user || !window.sessionStorage) return;
  const KEY = "precept-entry-draft:" + user + ":" + form.getAttribute("action");
  const SKIP = new Set(["csrfmiddlewaretoken", "form_key", "action"]);

  function collect() {
    const values = {};
    for (const el of form.elements) {
      if (!el.name || SKIP.has(el.name)) continue;
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else {
        values[el.name] = el.value;
      }
    }
    return values;
  }

  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(collect())); } catch (e) { /* full or private: skip */ }
  }

  function restore(values) {
    // The procedure first: it decides which other fields apply.
    const order = ["procedure", "guidance"];
    const names = order.concat(Object.keys(values).filter((n) => !order.includes(n)));
    for (const name of names) {
      if (!(name in values)) continue;
      const field = form.elements.namedItem(name);
      if (!field) continue;
      if (Array.isArray(values[name])) {
        form.querySelectorAll(`input[name="${name}"]`).forEach((box) => {
          box.checked = values[name].includes(box.value);
        });
      } else {
        field.value = values[name];
        field.dispatchEvent(new Event("change"));
      }
    }
  }

  const stored = sessionStorage.getItem(KEY);
  const hasErrors = form.querySelector(".is-invalid") !== null;
  if (stored && !hasErrors) {
    restore(JSON.parse(stored));
    const note = document.getElementById("draft-restored");
    if (note) {
      note.hidden = false;
      note.querySelector("button").addEventListener("click", () => {
        sessionStorage.removeItem(KEY);
        window.location.reload();
      });
    }
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
