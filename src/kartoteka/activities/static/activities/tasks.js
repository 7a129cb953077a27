// tasks: the one-click tick on the task list and "My day", snooze on "My day", and the task
// form's repeat field.
// Every form still works without this file (a tick is a POST answered by the page again).
(() => {
  const TOAST_LIFETIME = 10000;

  const toasts = () => {
    let box = document.querySelector(".toasts");
    if (!box) {
      box = document.createElement("div");
      box.className = "toasts";
      (document.querySelector("main") || document.body).prepend(box);
    }
    return box;
  };
  const showToast = (html) => {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const toast = holder.firstElementChild;
    if (!toast) return;
    toasts().append(toast);
    setTimeout(() => toast.remove(), TOAST_LIFETIME);
  };
  const showError = (text) => {
    const toast = document.createElement("div");
    toast.className = "toast toast-error";
    toast.setAttribute("role", "alert");
    toast.textContent = text;
    toasts().append(toast);
    setTimeout(() => toast.remove(), TOAST_LIFETIME);
  };

  // The tick: the row looks done at once; the server's answer brings the toast with "Undo",
  // a refusal puts the row back as it was.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-task-tick]")) return;
    event.preventDefault();
    const row = form.closest("[data-task-row]");
    const button = form.querySelector("button");
    if (!button || button.getAttribute("aria-checked") === "true") return;
    const undoTick = () => {
      row?.classList.remove("is-done");
      button.setAttribute("aria-checked", "false");
      button.classList.remove("is-ticked");
      button.disabled = false;
    };
    row?.classList.add("is-done");
    button.setAttribute("aria-checked", "true");
    button.classList.add("is-ticked");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (!ok || !data.done) throw new Error(data.error || "");
        if (data.toast) showToast(data.toast);
      })
      .catch((error) => {
        undoTick();
        showError(error.message || document.documentElement.dataset.taskFailed || form.dataset.failed || "Not saved: try again.");
      });
  });

  // "Snooze" on My day: the row fades at once; once saved, the toast (with "Undo") shows and
  // the task column is fetched again, so the task appears where it now belongs. A refusal
  // brings the row back with the reason.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-task-snooze]")) return;
    event.preventDefault();
    const row = form.closest("[data-task-row]");
    const body = new FormData(form, event.submitter);
    form.closest("details")?.removeAttribute("open");
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    row?.classList.add("is-snoozed");
    const failed = (text) => {
      row?.classList.remove("is-snoozed");
      form.querySelectorAll("button").forEach((button) => { button.disabled = false; });
      showError(text || form.dataset.failed || "Not saved: try again.");
    };
    fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (!ok || !data.snoozed) throw new Error(data.error || "");
        if (data.toast) showToast(data.toast);
        const column = document.getElementById("day-tasks");
        if (!column) { row?.remove(); return null; }
        const params = new URLSearchParams(window.location.search);
        params.set("fragment", "tasks");
        return fetch(`${window.location.pathname}?${params}`, { credentials: "same-origin" })
          .then((response) => (response.ok ? response.text() : Promise.reject(new Error(""))))
          .then((html) => { column.outerHTML = html; })
          .catch(() => row?.remove());
      })
      .catch((error) => failed(error.message));
  });

  // The task form: the RRULE field only when "By a rule" is chosen.
  const syncRule = (select) => {
    const rule = select.form?.querySelector("[data-task-rule]");
    if (rule) rule.hidden = select.value !== "custom";
  };
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLSelectElement && event.target.name === "repeat") syncRule(event.target);
  });
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[name=repeat]").forEach(syncRule);
  });
})();
