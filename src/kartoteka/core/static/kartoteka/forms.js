// forms: issue 9 behaviour for this area; every page still works without scripts.
// - searchable pickers (Tom Select, loaded only on pages that have a picker);
// - a pressed, busy button when a submit or htmx request takes over 300 ms;
// - in-place edit of single values on a card (click, Enter saves, Esc cancels).
(() => {
  const script = document.currentScript;
  const text = (key, fallback) => (script && script.dataset[key]) || fallback;

  // --- Busy state: nothing under 300 ms, then the button looks pressed and spins. -------------
  const BUSY_AFTER = 300;
  const markBusy = (button) => {
    if (!button) return () => {};
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      button.setAttribute("aria-busy", "true");
      button.classList.add("is-pressed");
    }, BUSY_AFTER);
    const clear = () => {
      done = true;
      clearTimeout(timer);
      button.removeAttribute("aria-busy");
      button.classList.remove("is-pressed");
    };
    setTimeout(clear, 20000);  // a download answers without leaving the page: never spin forever
    return clear;
  };
  window.kartotekaBusy = markBusy;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.target === "_blank") return;
    const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) return;
    const clear = markBusy(button);
    // A script that handles the submit itself (fetch) prevents the default: it shows its own.
    setTimeout(() => { if (event.defaultPrevented) clear(); }, 0);
  });
  // htmx requests (list filters, bulk bar, job progress): the element that asked is marked.
  const htmxClears = new WeakMap();
  document.addEventListener("htmx:beforeRequest", (event) => {
    const source = event.detail?.elt;
    if (!source || source.matches?.("[hx-trigger*=every]")) return;  // polling is not a press
    const button = source.matches("form") ? source.querySelector("button[type=submit], button:not([type])") : source;
    if (button) htmxClears.set(source, markBusy(button));
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail?.elt;
    htmxClears.get(source)?.();
    htmxClears.delete(source);
  });
  // Back to a page kept in the browser's cache: no button still spinning.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("[aria-busy=true]").forEach((button) => {
      button.removeAttribute("aria-busy");
      button.classList.remove("is-pressed");
    });
  });

  // --- Pickers: every select[data-picker], select[data-remote-search] and multi-select --------
  const PICKERS = "select[data-picker], select[data-remote-search], select[multiple]:not([data-native])";
  let library = null;
  const loadLibrary = () => {
    if (window.TomSelect) return Promise.resolve(window.TomSelect);
    if (library) return library;
    const source = script?.dataset.tomSelect;
    if (!source) return Promise.reject(new Error("no Tom Select on this page"));
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = script.dataset.tomSelectCss;
    // Our own rules (forms.css) must win over the library's: its sheet goes before ours.
    const ours = document.querySelector('link[href*="kartoteka/forms"]');
    if (ours) ours.before(style); else document.head.append(style);
    library = new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = source;
      tag.onload = () => (window.TomSelect ? resolve(window.TomSelect) : reject(new Error("Tom Select did not load")));
      tag.onerror = () => reject(new Error(`Tom Select missing at ${source}`));
      document.head.append(tag);
    });
    return library;
  };

  const remoteOptions = (select) => ({
    valueField: "value",
    labelField: "text",
    searchField: [],
    score: () => () => 1,  // the server found them: show every hit, whichever field matched
    maxOptions: 15,
    loadThrottle: 250,
    shouldLoad: (query) => query.trim().length >= 2,
    load(query, callback) {
      const url = `${select.dataset.remoteSearch}?limit=15&q=${encodeURIComponent(query.trim())}`;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((data) => {
          const hits = data[select.dataset.remoteKind] || [];
          this.clearOptions();
          callback(hits.map((hit) => ({ value: String(hit.id), text: hit.subtitle ? `${hit.title} · ${hit.subtitle}` : hit.title })));
        })
        .catch(() => callback());
    },
    render: {
      not_loading: (data) => (data.input.trim().length < 2 ? `<div class="no-results">${escape(text("tTypeMore", "Type two letters or more"))}</div>` : null),
    },
  });

  const escape = (value) => String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  const enhance = (TomSelect, select) => {
    if (select.tomselect || select.closest("template") || select.disabled) return;
    const multiple = select.multiple;
    const options = {
      allowEmptyOption: !select.required,
      maxOptions: 200,
      hideSelected: multiple,
      closeAfterSelect: !multiple,
      plugins: multiple ? ["remove_button"] : [],
      render: {
        no_results: () => `<div class="no-results">${escape(text("tNoResults", "Nothing found"))}</div>`,
        option_create: (data, esc) => `<div class="create">${escape(text("tCreate", "Add"))} <strong>${esc(data.input)}</strong>…</div>`,
        loading: () => '<div class="spinner"></div>',
      },
      onInitialize() { select.dispatchEvent(new CustomEvent("picker:ready", { bubbles: true })); },
      // A chip added: the words typed to find it go, ready for the next one.
      onItemAdd() { if (multiple) { this.setTextboxValue(""); this.refreshOptions(false); } },
    };
    if (select.dataset.create) {
      const prefix = select.dataset.create;
      options.create = (input) => ({ value: prefix + input.trim(), text: input.trim() });
      options.createFilter = (input) => input.trim().length > 0 && input.trim().length <= 60;
      options.persist = false;
    }
    if (select.dataset.remoteSearch) Object.assign(options, remoteOptions(select), { render: { ...options.render, ...remoteOptions(select).render } });
    try {
      new TomSelect(select, options);
    } catch (error) {
      console.error("picker", select.name, error);  // the native select stays and still works
    }
  };
  const enhanceAll = (root) => {
    const selects = [...(root || document).querySelectorAll(PICKERS)];
    if (!selects.length) return Promise.resolve();
    return loadLibrary()
      .then((TomSelect) => selects.forEach((select) => enhance(TomSelect, select)))
      .catch((error) => console.error(error));  // native selects stay: still usable
  };
  window.kartotekaPickers = enhanceAll;

  // --- In-place edit of one value on a card ---------------------------------------------------
  const csrf = () => document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  const inlineEdit = (holder) => {
    const card = holder.closest("[data-inline-url]") || document.querySelector("[data-inline-url]");
    const name = holder.dataset.inline;
    if (!card || holder.classList.contains("is-editing")) return;
    const url = card.dataset.inlineUrl.replace(/_\/$/, `${encodeURIComponent(name)}/`);
    const before = [...holder.childNodes].map((node) => node.cloneNode(true));
    holder.classList.add("is-editing");
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
      .then((html) => {
        const form = document.createElement("form");
        form.className = "inline-form";
        form.noValidate = true;
        form.innerHTML = html;  // the server's own widget, escaped there
        const hint = document.createElement("span");
        hint.className = "inline-hint";
        hint.textContent = text("tInlineHint", "Enter saves, Esc cancels");
        const problem = document.createElement("span");
        problem.className = "inline-error";
        problem.setAttribute("role", "alert");
        form.append(problem, hint);
        holder.replaceChildren(form);
        const input = form.querySelector("input, select, textarea");
        const close = (nodes) => {
          holder.replaceChildren(...nodes);
          holder.classList.remove("is-editing");
          holder.focus();
        };
        const save = () => {
          const data = new FormData(form);
          data.set("version", card.dataset.version || "");
          const clear = markBusy(input);
          fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch" }, credentials: "same-origin" })
            .then((response) => response.json().then((answer) => ({ status: response.status, answer })))
            .then(({ status, answer }) => {
              clear();
              if (answer.version !== undefined) card.dataset.version = String(answer.version);
              if (status === 200) {
                close([document.createTextNode(answer.text)]);
                holder.classList.add("inline-saved");
                setTimeout(() => holder.classList.remove("inline-saved"), 1300);
                return;
              }
              // Refused or stale: what the user typed stays, with the reason.
              problem.textContent = (answer.errors || []).join(" ") || answer.conflict || "";
              input?.focus();
            })
            .catch(() => { clear(); problem.textContent = text("tFailed", "Not saved: try again."); });
        };
        form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
        form.addEventListener("keydown", (event) => {
          if (event.key === "Escape") { event.preventDefault(); close(before); }
          if (event.key === "Enter" && !event.isComposing && event.target.tagName !== "TEXTAREA") { event.preventDefault(); save(); }
        });
        if (input?.tagName === "SELECT") input.addEventListener("change", save);
        input?.focus();
        if (input?.select && input.tagName === "INPUT") input.select();
      })
      .catch(() => holder.classList.remove("is-editing"));
  };

  document.addEventListener("DOMContentLoaded", () => {
    enhanceAll(document);
    // "+ add" in a list of companies copies a row with a picker: make it searchable too.
    document.addEventListener("click", (event) => {
      const add = event.target.closest?.(".formset-add");
      if (add) setTimeout(() => enhanceAll(add.closest("fieldset")), 0);
    });
    document.querySelectorAll("[data-inline]").forEach((holder) => {
      holder.tabIndex = 0;
      holder.title = text("tInlineTitle", "Click to edit");
      holder.addEventListener("click", (event) => {
        if (event.target.closest("a, button, form")) return;  // links and the editor itself
        inlineEdit(holder);
      });
      holder.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && event.target === holder) { event.preventDefault(); inlineEdit(holder); }
      });
    });
  });
})();
