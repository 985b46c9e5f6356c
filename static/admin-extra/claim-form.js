// The claim form: a new evidence row takes the stance the chosen status needs, and a status change
// whose public verdict note was not touched asks the server to confirm it: the server checks the
// rules first, and stops the save once with the question only if it would otherwise go through
// (claims/admin/forms.py, EvidenceFormSet), so no question comes before a save that fails.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("id_status");
  const note = document.getElementById("id_verdict_note");
  const form = status && status.form;
  if (!status || !form) return;
  const stances = JSON.parse(document.getElementById("stance-for-status")?.textContent || "{}");
  // The stored claim's status and note (not the page's: after a refused save the page shows what
  // was sent), and whether this page is the question itself (then saving again saves).
  const stored = JSON.parse(document.getElementById("claim-stored")?.textContent || "null");

  // Blank new rows (no id, no URL yet) follow the status; rows the editor filled in are left alone.
  status.addEventListener("change", () => {
    const stance = stances[status.value];
    if (!stance) return;
    document.querySelectorAll("select[name^='evidence-'][name$='-stance']").forEach((select) => {
      const prefix = select.name.slice(0, -"stance".length);
      const id = form.elements[prefix + "id"];
      const url = form.elements[prefix + "url"];
      if (prefix.includes("__prefix__") || (id && id.value) || (url && url.value)) return;
      select.value = stance;
    });
  });

  form.addEventListener("submit", () => {
    form.querySelector("input[name='note_unchanged']")?.remove();
    if (!stored || stored.asked || !note || status.value === stored.status) return;
    if (note.value.replace(/\r\n/g, "\n") !== stored.note.replace(/\r\n/g, "\n")) return;
    const ask = document.createElement("input");
    ask.type = "hidden";
    ask.name = "note_unchanged";
    ask.value = "ask";
    form.appendChild(ask);
  });
});
