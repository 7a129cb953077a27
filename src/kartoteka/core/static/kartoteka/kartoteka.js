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
  // "+ add" in a list of phones, emails...: copy the empty row Django's formset provides.
  document.querySelectorAll("fieldset[data-formset]").forEach((fieldset) => {
    const prefix = fieldset.dataset.formset;
    const total = fieldset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const template = fieldset.querySelector("template");
    fieldset.querySelector(".formset-add")?.addEventListener("click", () => {
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      fieldset.querySelector(".formset-rows").insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      fieldset.querySelector(".formset-rows .formset-row:last-child input, .formset-rows .formset-row:last-child select")?.focus();
    });
  });
  // Toasts leave by themselves after ten seconds.
  document.querySelectorAll(".toast").forEach((toast) => setTimeout(() => toast.remove(), 10000));
});
