// undo: issue 9 behaviour for this area; every page still works without scripts.
// The "⋯ Ещё" menu closes on Escape and on a click elsewhere (it is a <details>, so it opens and
// closes without this file too).
document.addEventListener("DOMContentLoaded", () => {
  const menus = () => Array.from(document.querySelectorAll("details.more-menu[open]"));
  document.addEventListener("click", (event) => {
    menus().forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus().forEach((menu) => { menu.open = false; menu.querySelector("summary")?.focus(); });
  });
});
