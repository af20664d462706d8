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
