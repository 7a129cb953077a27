// phone: Esc closes what is open, the bottom bar's menus, and card labels for list tables.
// Menus are <details>, so they open and close without this file; it only adds the conveniences.
(() => {
  "use strict";

  const openMenus = () => Array.from(document.querySelectorAll("details[open]"));

  // Esc closes the innermost open <details> holding the focus, else every open bottom-bar menu
  // or details marked data-menu; <dialog> closes on Esc by itself. Focus goes back to the summary.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const active = document.activeElement;
    const holder = active && active.closest ? active.closest("details[open]") : null;
    const targets = holder
      ? [holder]
      : openMenus().filter((menu) => menu.matches(".bottombar-menu, [data-menu]"));
    if (!targets.length) return;
    targets.forEach((menu) => menu.removeAttribute("open"));
    const summary = targets[0].querySelector(":scope > summary");
    if (summary) summary.focus();
    event.preventDefault();
  });

  // One bottom-bar menu at a time; a tap outside closes it.
  document.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (!(menu instanceof HTMLDetailsElement) || !menu.open || !menu.matches(".bottombar-menu")) return;
    document.querySelectorAll(".bottombar-menu[open]").forEach((other) => {
      if (other !== menu) other.removeAttribute("open");
    });
  }, true);
  document.addEventListener("click", (event) => {
    document.querySelectorAll(".bottombar-menu[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // "Search" in the bottom bar focuses the top bar's search field when there is one.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("[data-focus-search]");
    if (!link) return;
    const field = document.querySelector(".topbar input[type=search], .topbar input[name=q]");
    if (!field || field.offsetParent === null) return;
    event.preventDefault();
    field.focus();
    if (field.select) field.select();
  });

  // Card labels: a list table's cell without data-label takes its column header's text.
  const labelCells = (root) => {
    root.querySelectorAll("table.list-table").forEach((table) => {
      const heads = [];
      table.querySelectorAll("thead tr:last-child > th").forEach((th) => {
        const span = Number(th.getAttribute("colspan")) || 1;
        for (let i = 0; i < span; i += 1) heads.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody tr").forEach((row) => {
        let index = 0;
        Array.from(row.children).forEach((cell) => {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", heads[index] || "");
          }
          index += Number(cell.getAttribute("colspan")) || 1;
        });
      });
    });
  };
  labelCells(document);
  document.body.addEventListener("htmx:afterSwap", (event) => labelCells(event.target));
})();
