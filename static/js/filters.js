// The claims index's filter form: fields left empty are not sent, so the address names only the
// filters in use (/claims/?status=disputed, not /claims/?q=&status=disputed&tag=&section=).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.filters").forEach((form) => {
    form.addEventListener("submit", () => {
      Array.from(form.elements).forEach((field) => {
        if (field.name && field.value === "") field.disabled = true;
      });
    });
  });
  // Coming back with the Back button shows the form as it was, every field usable.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form.filters [disabled]").forEach((field) => {
      field.disabled = false;
    });
  });
});
