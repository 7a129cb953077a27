// Small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Focus the first field with an error so a keyboard user lands where the fix is needed.
  const bad = document.querySelector(".field.has-error input, .field.has-error select, .field.has-error textarea");
  if (bad) bad.focus();
  // Ctrl+K and "/" open the command box: palette.js.
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
  // New company / contact: while the user types, warn of records that look like the same client.
  // The server answers an HTML fragment (escaped there) listing only records the user may see.
  const duplicateForm = document.querySelector("form[data-duplicates-url]");
  const duplicateBox = document.getElementById("duplicate-warning");
  if (duplicateForm && duplicateBox) {
    const watched = /^(name|inn|last_name|first_name|middle_name|phones-\d+-number|emails-\d+-address)$/;
    let timer = null;
    let asked = 0;
    const check = () => {
      const params = new URLSearchParams();
      for (const [key, value] of new FormData(duplicateForm)) {
        if (!watched.test(key) || typeof value !== "string" || !value.trim()) continue;
        const name = key.startsWith("phones-") ? "phones" : key.startsWith("emails-") ? "emails" : key;
        params.append(name, value.trim());
      }
      const ticket = ++asked;
      if ([...params.keys()].length === 0) { duplicateBox.innerHTML = ""; return; }
      fetch(`${duplicateForm.dataset.duplicatesUrl}?${params}`, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : ""))
        .then((html) => { if (ticket === asked) duplicateBox.innerHTML = html; })
        .catch(() => {});  // a warning that cannot be fetched is simply not shown
    };
    const later = (event) => {
      if (!watched.test(event.target.name || "")) return;
      clearTimeout(timer);
      timer = setTimeout(check, 400);
    };
    duplicateForm.addEventListener("input", later);
    duplicateForm.addEventListener("change", later);
    check();  // a form re-shown after an error may already hold a duplicate
  }
});
// Bulk bar of the client lists: shown once a row is ticked; "select all on this page"; the
// value box suggests the chosen field's values. Without this the bar simply stays visible.
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.querySelector("[data-bulk-bar]");
  if (bar) {
    const rows = () => Array.from(document.querySelectorAll("input[data-bulk-row]"));
    const pageBox = document.querySelector("input[data-bulk-page]");
    const counter = bar.querySelector("[data-bulk-count]");
    const label = counter ? counter.textContent : "";
    const selectedText = bar.dataset.selected || "";
    const refresh = () => {
      const ticked = rows().filter((box) => box.checked).length;
      const everything = bar.querySelector("input[data-bulk-all]")?.checked;
      bar.hidden = ticked === 0 && !everything;
      if (pageBox) {
        pageBox.checked = ticked > 0 && ticked === rows().length;
        pageBox.indeterminate = ticked > 0 && ticked < rows().length;
      }
      if (counter) counter.textContent = ticked ? `${selectedText} ${ticked}` : label;
    };
    pageBox?.addEventListener("change", () => {
      rows().forEach((box) => { box.checked = pageBox.checked; });
      refresh();
    });
    rows().forEach((box) => box.addEventListener("change", refresh));
    bar.addEventListener("change", refresh);
    // A long list is not counted with the page: ask for "all N matching" once it is picked.
    const total = bar.querySelector("[data-bulk-total]");
    bar.querySelector("input[data-bulk-all]")?.addEventListener("change", () => {
      if (!total || total.dataset.counted) return;
      total.dataset.counted = "1";
      fetch(total.dataset.bulkTotal, { headers: { "X-Requested-With": "fetch" } })
        .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
        .then((text) => { total.textContent = text.trim(); })
        .catch(() => { delete total.dataset.counted; });
    });
    refresh();
  }
  document.querySelectorAll("form").forEach((form) => {
    const field = form.querySelector("select[name=field]");
    const value = form.querySelector("input[name=value]");
    if (!field || !value) return;
    const suggest = () => {
      const list = Array.from(form.querySelectorAll("datalist[data-for]")).find((item) => item.dataset.for === field.value);
      if (list) value.setAttribute("list", list.id); else value.removeAttribute("list");
    };
    field.addEventListener("change", suggest);
    suggest();
  });
  // Pickers over big lists (select[data-remote-search]) are searchable through forms.js.
});
// Tabs of a client card: each tab is a link (?tab=...) the server renders; here a click or the
// arrow keys switch at once, and the address keeps the tab so Back and reload return to it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-tabs]").forEach((list) => {
    const tabs = Array.from(list.querySelectorAll("[role=tab]"));
    const show = (tab, focus) => {
      tabs.forEach((other) => {
        const chosen = other === tab;
        other.setAttribute("aria-selected", String(chosen));
        other.tabIndex = chosen ? 0 : -1;
        const panel = document.getElementById(other.getAttribute("aria-controls"));
        if (panel) panel.hidden = !chosen;
      });
      if (focus) tab.focus();
      const url = new URL(window.location.href);
      url.searchParams.set("tab", tab.dataset.tab);
      url.hash = "";
      history.replaceState(null, "", url);
    };
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;  // open in a new tab as usual
        event.preventDefault();
        show(tab, false);
      });
      tab.addEventListener("keydown", (event) => {
        const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
        if (!(event.key in moves)) return;
        event.preventDefault();
        show(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
      });
    });
    // An old link to a panel (#sharing, #related) opens its tab.
    const aimed = tabs.find((tab) => `#${tab.getAttribute("aria-controls")}` === window.location.hash);
    if (aimed) show(aimed, false);
  });
});
// A field shown only for one value of another in the same form (an inquiry's refusal reason
// once "refused" is chosen), also in forms htmx brings in; without this file it is always shown.
(() => {
  const sync = (root) => {
    root.querySelectorAll("[data-show-when]").forEach((box) => {
      const [name, value] = box.dataset.showWhen.split("=");
      const field = box.closest("form")?.querySelector(`[name="${name}"]`);
      if (!field) return;
      box.hidden = field.value !== value && !box.querySelector(".error");
    });
  };
  document.addEventListener("change", (event) => {
    const form = event.target.closest ? event.target.closest("form") : null;
    if (form) sync(form);
  });
  document.addEventListener("DOMContentLoaded", () => sync(document));
  document.addEventListener("htmx:load", (event) => {
    sync(event.detail.elt.parentElement || document);
    // Pickers in what htmx brought in (a meeting's participants) are searchable too (forms.js).
    if (window.kartotekaPickers) window.kartotekaPickers(event.detail.elt);
  });
})();
