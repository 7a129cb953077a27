// palette: the command box. Ctrl+K, "/" (outside a field) or a click on the top bar's search opens
// it; the server renders the results (clients:search-box) while the user types; arrows choose,
// Enter opens, Esc closes and gives focus back. Without this file the top bar's form still opens
// the full search page.
document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("palette");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const input = dialog.querySelector(".palette-input");
  const list = dialog.querySelector(".palette-list");
  const topbar = document.querySelector(".topbar .search input");
  const DELAY = 120;  // ms of quiet typing before asking the server
  let timer = 0;
  let asked = 0;       // number of the latest request: older answers are dropped
  let loaded = null;   // the query the list shows now
  let controller = null;
  let enterWaiting = false;
  let returnTo = null;

  const fold = (text) => text.toLowerCase().replaceAll("ё", "е").replace(/\s+/g, " ").trim();
  const items = () => Array.from(list.querySelectorAll('[role="option"]')).filter((item) => !item.closest("[hidden]"));
  const selected = () => list.querySelector('[aria-selected="true"]');

  function select(item) {
    items().forEach((other) => other.setAttribute("aria-selected", other === item ? "true" : "false"));
    if (item) {
      input.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const index = all.indexOf(selected());
    select(all[(index + step + all.length) % all.length]);
  }

  // The card's own actions (edit, to trash...): the links and buttons of [data-palette-actions]
  // on the page, offered as they are, so the box never offers what the card does not.
  function cardActions(query) {
    const words = fold(query).split(" ").filter(Boolean);
    const found = [];
    document.querySelectorAll("[data-palette-actions]").forEach((box) => {
      box.querySelectorAll("a[href], button").forEach((control) => {
        if (control.disabled || control.getAttribute("aria-disabled") === "true") return;
        const copy = control.cloneNode(true);
        copy.querySelectorAll('[aria-hidden="true"]').forEach((icon) => icon.remove());
        const label = (copy.textContent || control.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim();
        if (label && words.every((word) => fold(label).includes(word))) found.push({ control, label });
      });
    });
    return found;
  }

  function showCardActions(query) {
    const slot = list.querySelector("[data-palette-card]");
    if (!slot) return;
    const actions = cardActions(query);
    slot.replaceChildren();
    slot.hidden = !actions.length;
    if (!actions.length) return;
    const title = document.createElement("div");
    title.className = "palette-group-title";
    title.textContent = dialog.dataset.cardLabel || "";
    slot.append(title);
    actions.forEach(({ control, label }) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "palette-item palette-action";
      item.setAttribute("role", "option");
      const text = document.createElement("span");
      text.className = "palette-title";
      text.textContent = label;
      item.append(text);
      item.paletteControl = control;
      slot.append(item);
    });
    if (!query) slot.parentNode.prepend(slot);  // an empty box on a card: its actions first
  }

  function render(html, query) {
    list.innerHTML = html;  // rendered and escaped by the server, from our own origin
    showCardActions(query);
    items().forEach((item, index) => { item.id = `palette-option-${index}`; item.tabIndex = -1; });
    loaded = query;
    const hits = list.querySelectorAll(".palette-group[data-palette-kind] .palette-item");
    select(hits[0] || items()[0] || null);
    if (enterWaiting) {
      enterWaiting = false;
      activate(selected());
    }
  }

  async function load(query) {
    const number = ++asked;
    if (controller) controller.abort();
    controller = new AbortController();
    list.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${dialog.dataset.url}?q=${encodeURIComponent(query)}`, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        signal: controller.signal,
      });
      if (number !== asked) return;  // a later keystroke already asked again
      if (response.redirected) {
        window.location.reload();  // signed out meanwhile: the page leads to the login form
        return;
      }
      if (!response.ok) {
        list.replaceChildren(Object.assign(document.createElement("p"), {
          className: "palette-empty", textContent: dialog.dataset.errorLabel || response.statusText,
        }));
        loaded = null;
        return;
      }
      render(await response.text(), query);
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    } finally {
      if (number === asked) list.removeAttribute("aria-busy");
    }
  }

  function activate(item) {
    if (!item) return;
    if (item.paletteControl) {
      close();
      item.paletteControl.click();
    } else if (item.href) {
      window.location.href = item.href;
    }
  }

  function open(text = "") {
    if (!dialog.open) {
      returnTo = document.activeElement;
      dialog.showModal();
    }
    input.value = text;
    input.focus();
    input.setSelectionRange(text.length, text.length);
    clearTimeout(timer);
    load(text.trim());
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  dialog.addEventListener("close", () => {
    clearTimeout(timer);
    if (controller) controller.abort();
    enterWaiting = false;
    const target = returnTo && document.contains(returnTo) ? returnTo : topbar;
    returnTo = null;
    target?.focus();
  });
  // A click on the dimmed page around the box closes it.
  dialog.addEventListener("click", (event) => { if (event.target === dialog) close(); });
  dialog.querySelector(".palette-close")?.addEventListener("click", close);

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(input.value.trim()), DELAY);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Escape") {
      event.preventDefault();  // a search field would only clear itself: close the box at once
      close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (loaded === input.value.trim()) {
        activate(selected());
      } else {
        // Typed faster than the answer came: open what the answer selects first.
        enterWaiting = true;
        clearTimeout(timer);
        load(input.value.trim());
      }
    }
  });
  list.addEventListener("mousemove", (event) => {
    const item = event.target.closest('[role="option"]');
    if (item && item !== selected()) select(item);
  });
  list.addEventListener("click", (event) => {
    const item = event.target.closest(".palette-action");
    if (item) activate(item);
  });

  const typingIn = (element) =>
    !!element && (["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName) || element.isContentEditable);
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented) return;
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && key === "k") {
      event.preventDefault();
      if (dialog.open) input.select();
      else open(topbar?.value || "");
    } else if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey
               && !dialog.open && !typingIn(document.activeElement)) {
      event.preventDefault();
      open();
    }
  });

  // The top bar's search: clicking it or typing into it opens the box with what it holds.
  if (topbar) {
    topbar.addEventListener("mousedown", (event) => {
      event.preventDefault();
      open(topbar.value);
    });
    topbar.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key.length === 1) {
        event.preventDefault();
        open(topbar.value + event.key);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        open(topbar.value);
      }
    });
  }
});
