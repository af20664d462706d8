// The DOPS form's "Counts for" list: only the requirements of the trainee's program that ask
// for the chosen procedure and guidance, and a line saying which one the DOPS will count
// for. The same rule as the server's (curriculum.progress.matches / preferred_requirement);
// the server checks the choice again. Data: json_script "dops-requirements".
(function () {
  "use strict";
  const data = document.getElementById("dops-requirements");
  const select = document.getElementById("id_requirement");
  const procedure = document.getElementById("id_procedure");
  const guidance = document.getElementById("id_guidance");
  const status = document.getElementById("dops-counts-for");
  if (!data || !select || !procedure || !guidance || !status) return;
  const requirements = JSON.parse(data.textContent);
  const labels = new Map();
  let noneLabel = "";
  Array.from(select.options).forEach(function (option) {
    if (option.value) labels.set(option.value, option.textContent);
    else noneLabel = option.textContent;
  });
  // A choice already made (the form sent back with an error, or prefilled) is kept while it matches.
  let chosenByHand = select.value !== "";

  function rating() {
    const checked = document.querySelector('input[name="rating"]:checked');
    return checked ? parseInt(checked.value, 10) : null;
  }

  function matching() {
    const type = parseInt(procedure.value, 10);
    const modality = guidance.value;
    return requirements.filter(function (r) {
      return (r.any || r.types.indexOf(type) !== -1) &&
        (r.modalities.length === 0 || r.modalities.indexOf(modality) !== -1);
    });
  }

  function preferred(candidates) {
    const given = rating();
    const reached = candidates.filter(function (r) {
      return given === null || given >= (r.min_rating || 0);
    });
    const pool = (reached.length ? reached : candidates).map(function (r, i) {
      return { r: r, key: [r.any ? 1 : 0, r.modalities.length ? 0 : 1, i] };
    });
    pool.sort(function (a, b) {
      return a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2];
    });
    return pool.length ? pool[0].r : null;
  }

  function option(value, text) {
    const element = document.createElement("option");
    element.value = value;
    element.textContent = text;
    return element;
  }

  function update() {
    if (!procedure.value || !guidance.value) {
      status.textContent = "Choose the procedure and guidance: the requirements that ask for them are then offered here.";
      return;
    }
    const candidates = matching();
    const current = select.value;
    select.replaceChildren();
    if (!candidates.length) {
      select.appendChild(option("", noneLabel));
      select.value = "";
      status.textContent = "No requirement of this program asks for a DOPS of this procedure under this guidance: it will be recorded, and count for none.";
      return;
    }
    candidates.forEach(function (r) {
      select.appendChild(option(String(r.id), labels.get(String(r.id))));
    });
    const keep = chosenByHand && candidates.some(function (r) { return String(r.id) === current; });
    const target = keep ? requirements.find(function (r) { return String(r.id) === current; }) : preferred(candidates);
    select.value = String(target.id);
    const given = rating();
    let words = "This DOPS will count for “" + labels.get(String(target.id)).replace(/ \(stage \d+\)$/, "") + "”";
    if (target.min_rating) {
      words += given !== null && given < target.min_rating
        ? ", but only when rated " + target.min_rating + " or higher: rated " + given + ", it will not count."
        : " when rated " + target.min_rating + " or higher.";
    } else {
      words += ".";
    }
    status.textContent = words;
  }

  select.addEventListener("change", function () {
    chosenByHand = true;
    update();
  });
  procedure.addEventListener("change", update);
  guidance.addEventListener("change", update);
  document.querySelectorAll('input[name="rating"]').forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  select.setAttribute("aria-describedby", [select.getAttribute("aria-describedby"), status.id].filter(Boolean).join(" "));
  update();
})();
