// Tag autocomplete for the tags field: suggest existing tags for the word being typed.
// Tags are separated by , 、 or ， (as in the CSV); the suggestion follows the last separator.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.querySelector("input[data-tag-input]");
  const list = document.getElementById("tag-options");
  if (!input || !list) return;
  const names = Array.from(list.options, (option) => option.value);
  const separators = /[,、，]/;
  input.addEventListener("input", () => {
    const value = input.value;
    let cut = -1;
    for (let i = value.length - 1; i >= 0; i -= 1) {
      if (separators.test(value[i])) {
        cut = i;
        break;
      }
    }
    const typed = value.slice(0, cut + 1);
    const head = typed.split(separators).map((part) => part.trim()).filter(Boolean);
    const word = value.slice(cut + 1).trim().toLowerCase();
    list.replaceChildren(
      ...names
        .filter((name) => !head.includes(name) && name.toLowerCase().includes(word))
        .slice(0, 20)
        .map((name) => new Option(typed + name)),
    );
  });
});
