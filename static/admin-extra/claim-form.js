// The claim form: a new evidence row takes the stance the chosen status needs, and a status change
// whose public verdict note was not touched asks for confirmation before saving.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("id_status");
  const note = document.getElementById("id_verdict_note");
  const form = status && status.form;
  if (!status || !form) return;
  const stances = JSON.parse(document.getElementById("stance-for-status")?.textContent || "{}");
  const initialStatus = status.value;
  const initialNote = note ? note.value : "";

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

  const question = document.getElementById("status-note-confirm");
  form.addEventListener("submit", (event) => {
    if (!question || !note || status.value === initialStatus || note.value !== initialNote) return;
    if (!window.confirm(question.textContent)) event.preventDefault();
  });
});
