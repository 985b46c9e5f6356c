// Tag autocomplete for the comma-separated tags field: suggest existing tags for the word being typed.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[data-tag-input]");
  const list = document.getElementById("tag-options");
  if (!input || !list) return;
  const names = Array.from(list.options, (option) => option.value);
  input.addEventListener("input", () => {
    const parts = input.value.split(",");
    const head = parts.slice(0, -1).map((part) => part.trim()).filter(Boolean);
    const word = parts[parts.length - 1].trim().toLowerCase();
    const prefix = head.length ? head.join(", ") + ", " : "";
    list.replaceChildren(
      ...names
        .filter((name) => !head.includes(name) && name.toLowerCase().includes(word))
        .slice(0, 20)
        .map((name) => new Option(prefix + name)),
    );
  });
});
