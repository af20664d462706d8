// The entry form at the point of care. The server enforces every rule; this script only
// saves taps:
// - only the fields and choices that apply to the chosen procedure, guidance and purpose
//   are shown (hidden inputs are disabled so that they are not submitted);
// - the trainee's recent and frequent procedures are buttons, and a search finds the rest;
// - choosing a procedure fills in what the trainee's last entry of it had (guidance,
//   approach, purpose, role, supervisor, injectates: procedures/memory.py), new entries only;
// - levels are buttons for the procedure's region, written into the Levels field as the
//   server stores them (the field still takes typed shorthand such as L4-5).
(function () {
  "use strict";
  const form = document.getElementById("entry-form");
  const rulesNode = document.getElementById("procedure-rules");
  if (!form || !rulesNode) return;
  const rules = JSON.parse(rulesNode.textContent);
  const memoryNode = document.getElementById("procedure-memory");
  const memory = memoryNode ? JSON.parse(memoryNode.textContent) : {};
  const field = (name) => form.elements.namedItem(name);
  const procedure = field("procedure");
  const value = (name) => (field(name) ? field(name).value : "");

  function showGroup(name, visible) {
    form.querySelectorAll(`[data-when="${name}"]`).forEach((group) => {
      group.hidden = !visible;
      group.querySelectorAll("input, select, textarea").forEach((input) => {
        input.disabled = !visible;
      });
    });
  }

  // A row of buttons (radios): only the allowed ones shown; the only one allowed, chosen.
  function limitButtons(name, allowed) {
    const visible = [];
    form.querySelectorAll(`input[name="${name}"]`).forEach((input) => {
      const ok = !allowed || allowed.includes(input.value);
      const label = form.querySelector(`label[for="${input.id}"]`);
      input.hidden = !ok;
      input.disabled = !ok;
      if (label) label.hidden = !ok;
      if (!ok) input.checked = false;
      if (ok) visible.push(input);
    });
    if (visible.length === 1) visible[0].checked = true;
  }

  function setField(name, wanted) {
    const current = field(name);
    if (!current || wanted === undefined || wanted === null) return;
    if (current instanceof RadioNodeList) {
      form.querySelectorAll(`input[name="${name}"]`).forEach((input) => {
        input.checked = input.value === wanted && !input.disabled;
      });
    } else if (current.tagName === "SELECT") {
      if (Array.from(current.options).some((o) => o.value === wanted)) current.value = wanted;
    }
  }

  // --- the fields that apply ------------------------------------------------------------
  function update() {
    const rule = rules[procedure.value];
    limitButtons("guidance", rule && rule.modalities);
    limitButtons("side", rule && rule.sides);
    const approaches = rule ? rule.approaches : [];
    limitButtons("approach", approaches);
    showGroup("approach", approaches.length > 0);
    showGroup("levels", !rule || rule.levels);
    showGroup("fluoroscopy", value("guidance") === "fluoroscopy");
    showGroup("ct", value("guidance") === "ct");
    showGroup("diagnostic", value("purpose") === "diagnostic" && (!rule || rule.kind === "injection"));
    showGroup("ablation", !!rule && rule.kind === "ablation");
    showGroup("bundle", !!rule && rule.bundle && value("guidance") === "fluoroscopy");
    showGroup("vascular", value("contrast_pattern") === "vascular");
    showGroup("stress", !!rule && rule.kind === "stress_exam");
    showGroup("exam", !!rule && rule.needsExam);
    drawLevels(rule);
    markQuick();
  }

  // --- what the trainee's last entry of a procedure had ---------------------------------
  const filled = {}; // name -> value this script filled in (cleared if still untouched)
  const defaultSupervisor = value("supervisor"); // the server's default: the last one
  function remember(pk) {
    for (const name of Object.keys(filled)) {
      if (name === "injectates") {
        form.querySelectorAll('input[name="injectates"]').forEach((box) => {
          if (filled.injectates.includes(box.value)) box.checked = false;
        });
      } else if (value(name) === filled[name]) {
        setField(name, "");
      }
      delete filled[name];
    }
    const last = memory[pk];
    if (!last) return;
    update(); // the new procedure's choices first: only allowed values are filled in
    for (const name of ["guidance", "approach", "purpose", "role", "supervisor"]) {
      const untouched = !value(name) || (name === "supervisor" && value(name) === defaultSupervisor);
      if (!last[name] || !untouched) continue;
      setField(name, last[name]);
      if (value(name) === last[name]) filled[name] = last[name];
    }
    const boxes = Array.from(form.querySelectorAll('input[name="injectates"]'));
    if (last.injectates.length && !boxes.some((box) => box.checked)) {
      boxes.forEach((box) => { box.checked = last.injectates.includes(box.value); });
      filled.injectates = last.injectates.slice();
    }
  }

  // --- recent procedures and the search -------------------------------------------------
  const quick = form.querySelector("[data-procedure-quick]");
  const search = document.getElementById("procedure-search");
  const results = document.getElementById("procedure-search-results");
  const catalogue = Array.from(procedure.options)
    .filter((o) => o.value && rules[o.value])
    .map((o) => ({ pk: o.value, name: o.text, words: words(o.text + " " + (rules[o.value].slug || "")) }));

  function words(text) {
    return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  }

  function choose(pk) {
    procedure.value = pk;
    procedure.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function markQuick() {
    if (!quick) return;
    quick.querySelectorAll("button[data-procedure]").forEach((button) => {
      const on = button.getAttribute("data-procedure") === procedure.value;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("active", on);
    });
  }

  function find() {
    const wanted = words(search.value);
    results.replaceChildren();
    if (!wanted.length) return;
    const found = catalogue.filter((p) => wanted.every((w) => p.words.some((x) => x.startsWith(w))));
    found.slice(0, 8).forEach((p) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary btn-sm";
      button.setAttribute("data-procedure", p.pk);
      button.setAttribute("aria-pressed", "false");
      button.textContent = p.name;
      results.appendChild(button);
    });
    if (!found.length) {
      const none = document.createElement("span");
      none.className = "small text-body-secondary";
      none.textContent = "No procedure matches; choose from the list above.";
      results.appendChild(none);
    }
    markQuick();
  }

  if (quick) {
    quick.hidden = false;
    quick.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-procedure]");
      if (button) choose(button.getAttribute("data-procedure"));
    });
    search.addEventListener("input", find);
    search.addEventListener("keydown", (event) => {
      // Enter chooses the only match instead of submitting the form.
      if (event.key !== "Enter") return;
      event.preventDefault();
      const only = results.querySelectorAll("button[data-procedure]");
      if (only.length === 1) only[0].click();
    });
  }

  // --- level buttons ----------------------------------------------------------------------
  const LEVELS = {
    cervical: ["C2", "C3", "C4", "C5", "C6", "C7", "T1"],
    thoracic: ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1"],
    lumbar: ["L1", "L2", "L3", "L4", "L5", "S1"],
  };
  const levelsInput = field("levels");
  const chips = form.querySelector("[data-level-chips]");
  let drawnFor = null;

  function levelOptions(rule) {
    const spine = rule && LEVELS[rule.region];
    if (!spine) return [];
    if (rule.levelsAs === "levels") return spine.slice(0, -1).concat(rule.region === "lumbar" ? ["S1"] : []);
    const segments = [];
    for (let i = 0; i + 1 < spine.length; i++) segments.push(spine[i] + "\u2013" + spine[i + 1]);
    return segments;
  }

  function typed() {
    return levelsInput.value.toUpperCase().replace(/[\u2010-\u2015\u2212-]/g, "\u2013")
      .split(/\s*(?:,|;|&|\bAND\b)\s*/).map((s) => s.trim()).filter(Boolean);
  }

  function markLevels() {
    const chosen = typed();
    chips.querySelectorAll("button").forEach((button) => {
      const on = chosen.includes(button.textContent);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("active", on);
    });
  }

  function drawLevels(rule) {
    if (!chips || !levelsInput) return;
    const key = procedure.value;
    if (drawnFor === key) return;
    drawnFor = key;
    const options = levelOptions(rule);
    chips.replaceChildren();
    chips.hidden = !options.length;
    options.forEach((level) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-primary";
      button.textContent = level;
      button.setAttribute("aria-pressed", "false");
      chips.appendChild(button);
    });
    markLevels();
  }

  if (chips && levelsInput) {
    chips.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      const order = Array.from(chips.querySelectorAll("button")).map((b) => b.textContent);
      const chosen = new Set(typed());
      const level = button.textContent;
      if (chosen.has(level)) chosen.delete(level); else chosen.add(level);
      // In the spine's order, as the server stores them; typed extras kept at the end.
      const known = order.filter((l) => chosen.has(l));
      const others = Array.from(chosen).filter((l) => !order.includes(l));
      levelsInput.value = known.concat(others).join(", ");
      levelsInput.dispatchEvent(new Event("input", { bubbles: true }));
      markLevels();
    });
    levelsInput.addEventListener("input", markLevels);
  }

  // A form the worker kept from an earlier day (logging offline) starts on today, as the
  // server would have made it: its date and the latest allowed are the day it was kept.
  const date = field("performed_on");
  if (date && date.max && date.value === date.max && !/\/\d+\//.test(form.getAttribute("action"))) {
    const now = new Date();
    const today = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
    if (today > date.max) { date.max = today; date.value = today; }
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (name === "procedure") {
      update();
      remember(procedure.value);
    }
    if (["procedure", "guidance", "purpose", "contrast_pattern"].includes(name)) update();
  });
  // The safety checks in one tap: every one done, the pattern epidural (procedures.safety).
  const bundleAll = form.querySelector("[data-bundle-all]");
  if (bundleAll) {
    bundleAll.addEventListener("click", () => {
      setField("live_contrast", "True");
      setField("dsa", "True");
      setField("contrast_pattern", "epidural");
      setField("images_retained", "True");
      form.querySelectorAll('input[name="repositioned"]').forEach((input) => { input.checked = false; });
      update();
      form.dispatchEvent(new Event("change")); // the kept draft (drafts.js) follows
    });
  }
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
      } else if (el.type === "radio") {
        if (el.checked || !(el.name in values)) values[el.name] = el.checked ? el.value : "";
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
      } else if (field instanceof RadioNodeList) {
        form.querySelectorAll(`input[name="${name}"]`).forEach((radio) => {
          radio.checked = radio.value === values[name];
        });
        const chosen = form.querySelector(`input[name="${name}"]:checked`);
        if (chosen) chosen.dispatchEvent(new Event("change", { bubbles: true }));
      } else {
        field.value = values[name];
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  }

  // The form came back after an entry was kept on this phone with no network (sw.js):
  // that entry is in the outbox now, so the form starts empty.
  if (new URLSearchParams(location.search).has("kept")) sessionStorage.removeItem(KEY);
  window.PreceptEntryForm = { restore };
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
