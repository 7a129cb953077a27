// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Focus the first field with an error so a keyboard user lands where the fix is needed.
  const bad = document.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea");
  if (bad) bad.focus();
  // Ctrl+K or "/" jumps to the search box.
  const search = document.querySelector(".topbar .search input");
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName || "");
    if (search && ((event.ctrlKey && event.key.toLowerCase() === "k") || (event.key === "/" && !typing))) {
      event.preventDefault();
      search.focus();
    }
  });
  // Toasts leave by themselves after ten seconds.
  document.querySelectorAll(".toast").forEach((toast) => setTimeout(() => toast.remove(), 10000));
});
