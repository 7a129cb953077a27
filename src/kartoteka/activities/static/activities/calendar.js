// The calendar page: EventCalendar (vkurko, MIT, from npm) over our JSON feed.
// Times travel as the site's wall-clock ("2026-11-23T10:00:00"): the calendar is set to the
// site's UTC offset, so what it shows is what the event card and the server say.
(() => {
  const holder = document.getElementById("calendar");
  const configNode = document.getElementById("calendar-config");
  if (!holder || !configNode || !window.EventCalendar) return;
  const config = JSON.parse(configNode.textContent);
  const t = (key, fallback) => holder.dataset[key] || fallback;
  const popover = document.getElementById("calendar-popover");
  const popoverBody = popover.querySelector(".calendar-popover-body");
  const toasts = document.querySelector(".calendar-toasts");
  const csrf = () => document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  const pad = (n) => String(n).padStart(2, "0");
  // A Date the calendar hands out carries the wall-clock time in its local fields.
  const wall = (date) => date && `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:00`;
  const day = (date) => wall(date).slice(0, 10);
  const urlFor = (template, id) => template.replace(/\/0\//, `/${id}/`);

  // --- Toasts: a message, and "Undo" when the act can be taken back ------------------------
  const toast = (message, { error = false, undoUrl = "" } = {}) => {
    const box = document.createElement("div");
    box.className = `toast ${error ? "toast-error" : "toast-success"}${undoUrl ? " toast-undo" : ""}`;
    box.setAttribute("role", error ? "alert" : "status");
    const text = document.createElement("span");
    text.textContent = message;
    box.append(text);
    if (undoUrl) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link toast-undo-button";
      button.textContent = t("tUndo", "Undo");
      button.addEventListener("click", () => {
        button.disabled = true;
        const body = new FormData();
        body.append("next", window.location.pathname);
        // The undo page answers with a redirect to this page; following it shows (and so
        // uses up) the message it left, which we show here instead.
        fetch(undoUrl, { method: "POST", body, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin" })
          .then((response) => response.text())
          .then((html) => {
            const page = new DOMParser().parseFromString(html, "text/html");
            const said = page.querySelector(".toasts .toast");
            box.remove();
            if (said) toast(said.textContent.trim(), { error: said.classList.contains("toast-error") });
            calendar.refetchEvents();
          })
          .catch(() => toast(t("tFailed", "Not saved: try again."), { error: true }));
      });
      box.append(button);
    }
    toasts.append(box);
    setTimeout(() => box.remove(), undoUrl ? 10000 : 6000);
  };

  // --- Popover: quick create, and a meeting's card -----------------------------------------
  const closePopover = () => { if (popover.open) popover.close(); popoverBody.innerHTML = ""; };
  const openPopover = (url) => fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      popoverBody.innerHTML = html;
      if (!popover.open) popover.showModal();
      popoverBody.querySelectorAll("[data-close]").forEach((button) => { button.hidden = false; });
      window.kartotekaPickers?.(popoverBody);
      popoverBody.querySelector("input[type=text], input:not([type=hidden]), button")?.focus();
    })
    .catch(() => toast(t("tFailed", "Not saved: try again."), { error: true }));
  popover.addEventListener("click", (event) => {
    if (event.target === popover || event.target.closest("[data-close]")) closePopover();
  });
  popover.addEventListener("close", () => { popoverBody.innerHTML = ""; });
  popover.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-quick-create], [data-event-delete]")) return;
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then((response) => {
        const json = (response.headers.get("Content-Type") || "").includes("json");
        if (response.ok && json) return response.json().then((data) => {
          closePopover();
          toast(data.message, { undoUrl: data.undoUrl || "" });
          calendar.refetchEvents();
        });
        if (response.status === 422) return response.text().then((html) => { popoverBody.innerHTML = html; window.kartotekaPickers?.(popoverBody); });
        return Promise.reject(response.status);
      })
      .catch(() => toast(t("tFailed", "Not saved: try again."), { error: true }));
  });
  // "More details" keeps what was typed: the full form opens with the same start and end.
  popover.addEventListener("click", (event) => {
    const more = event.target.closest("[data-more]");
    if (!more) return;
    const form = more.closest("form");
    const params = new URLSearchParams({ start: form.starts_at.value, end: form.ends_at.value });
    more.href = `${more.pathname}?${params}`;
  });

  // A click on a slot is both a "date click" and a one-slot selection: open one popover.
  let lastQuick = 0;
  const quickCreate = (start, end, allDay, resource) => {
    if (!config.mayCreate || Date.now() - lastQuick < 400) return;
    lastQuick = Date.now();
    const params = new URLSearchParams({ quick: "1", start: wall(start), end: wall(end), all_day: allDay ? "1" : "0" });
    if (resource) params.set("resource", resource.id);
    openPopover(`${config.createUrl}?${params}`);
  };

  // --- Saving a drag or a resize -----------------------------------------------------------
  const save = (info) => {
    const event = info.event;
    const body = {
      version: event.extendedProps.version,
      start: event.allDay ? day(event.start) : wall(event.start),
      end: event.end ? (event.allDay ? day(event.end) : wall(event.end)) : "",
      allDay: event.allDay,
    };
    holder.classList.add("is-saving");
    fetch(urlFor(config.moveUrl, event.id), {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then((response) => response.json().then((data) => ({ response, data })))
      .then(({ response, data }) => {
        if (!response.ok) {
          info.revert();
          toast(data.error?.message || t("tFailed", "Not saved: try again."), { error: true });
          calendar.refetchEvents();
          return;
        }
        let message = data.message;
        if (data.clash?.length) message += ` ${t("tClash", "Clash")}: ${data.clash.join(", ")} — ${t("tBusy", "also busy")}.`;
        toast(message, { undoUrl: data.undoUrl });
        calendar.refetchEvents();
      })
      .catch(() => { info.revert(); toast(t("tFailed", "Not saved: try again."), { error: true }); })
      .finally(() => holder.classList.remove("is-saving"));
  };

  // --- What an event shows: its title, a clash mark in words (not only colour) --------------
  const content = (info) => {
    const props = info.event.extendedProps;
    const nodes = [];
    if (info.timeText && !info.event.allDay) {
      const time = document.createElement("span");
      time.className = "kt-time";
      time.textContent = info.timeText;
      nodes.push(time);
    }
    const title = document.createElement("span");
    title.className = "kt-title";
    title.textContent = (props.clash?.length ? "⚠ " : "") + info.event.title;
    nodes.push(title);
    if (props.client && info.view.type !== "dayGridMonth") {
      const client = document.createElement("span");
      client.className = "kt-event-client";
      client.textContent = props.client;
      nodes.push(client);
    }
    return { domNodes: nodes };
  };
  // A longer meeting: as many whole lines of its title as its box holds (the rest ends in "…"),
  // then the client's one line if there is room left.
  const fitLines = (el) => {
    const title = el.querySelector(".kt-title");
    const client = el.querySelector(".kt-event-client");
    const body = el.querySelector(".ec-event-body");
    if (!title || !body) return;
    const overflow = () => body.scrollHeight - el.clientHeight;
    if (overflow() <= 1) return;
    const line = parseFloat(getComputedStyle(title).lineHeight) || 16;
    const lines = Math.max(1, Math.floor((title.offsetHeight - overflow()) / line));
    title.style.webkitLineClamp = String(lines);
    title.classList.add("kt-clamped");
    if (client && overflow() > 1) client.hidden = true;
  };
  const describe = (info) => {
    const props = info.event.extendedProps;
    const lines = [info.event.title];
    if (props.client) lines.push(props.client);
    if (props.location) lines.push(props.location);
    if (props.participants?.length) lines.push(props.participants.join(", "));
    if (props.clash?.length) lines.push(`⚠ ${t("tClash", "Clash")}: ${props.clash.join(", ")} — ${t("tBusy", "also busy")}`);
    info.el.title = lines.join("\n");
    info.el.dataset.eventId = info.event.id;
    info.el.setAttribute("aria-label", lines.join(". "));
    // A meeting of half an hour is one line high, an hour's two: its time and title share the
    // first line (cut with an ellipsis), the client takes the second, so no line shows half cut.
    const { start, end, allDay } = info.event;
    const timed = !allDay && !!end && /TimeGrid|timeGrid/.test(info.view.type);
    const minutes = timed ? (end - start) / 60000 : Infinity;
    info.el.classList.toggle("kt-short", minutes <= 45);
    info.el.classList.toggle("kt-medium", minutes > 45 && minutes <= 75);
    if (minutes > 75 && minutes !== Infinity) requestAnimationFrame(() => fitLines(info.el));
  };

  const time = { hour: "2-digit", minute: "2-digit", hour12: false };
  let calendar = null;
  calendar = window.EventCalendar.create(holder, {
    // Seven columns do not fit a phone: unless a view was asked for, it opens on the week's list.
    view: !new URLSearchParams(window.location.search).has("view") && window.matchMedia("(max-width: 600px)").matches ? "listWeek" : config.view,
    date: config.date || undefined,
    locale: config.locale,
    timeZone: config.timeZone,
    firstDay: 1,
    height: "calc(100vh - 150px)",
    // A whole day can be reached; the view opens at the start of the working day.
    slotMinTime: "00:00",
    slotMaxTime: "24:00",
    scrollTime: "08:00:00",
    slotDuration: "00:30",
    snapDuration: "00:15",
    slotLabelFormat: time,
    eventTimeFormat: time,
    nowIndicator: true,
    dayMaxEvents: true,
    headerToolbar: { start: "prev,today,next", center: "title", end: "resourceTimeGridDay,timeGridWeek,dayGridMonth,listWeek" },
    buttonText: {
      today: t("tToday", "Today"),
      resourceTimeGridDay: t("tDay", "Day"),
      timeGridWeek: t("tWeek", "Week"),
      dayGridMonth: t("tMonth", "Month"),
      listWeek: t("tList", "List"),
      close: t("tClose", "Close"),
    },
    allDayContent: t("tAllDay", "all day"),
    views: {
      // A week column is narrow: the start time and the title share a line (the height shows
      // the end).
      timeGridWeek: { dayHeaderFormat: { weekday: "short", day: "numeric", month: "numeric" }, displayEventEnd: false },
      resourceTimeGridDay: { datesAboveResources: true },
    },
    resources: config.resources,
    eventSources: [{ url: config.eventsUrl, extraParams: { who: config.who } }],
    editable: true,
    selectable: config.mayCreate,
    eventContent: content,
    eventDidMount: describe,
    eventDrop: save,
    eventResize: save,
    eventClick: (info) => {
      info.jsEvent.preventDefault();
      openPopover(`${urlFor(config.detailUrl, info.event.id)}?quick=1`);
    },
    dateClick: (info) => {
      const start = info.date;
      const end = new Date(start.getTime() + (info.allDay ? 86400000 : 3600000));
      quickCreate(start, end, info.allDay, info.resource);
    },
    select: (info) => {
      // One slot is a click: a meeting lasts an hour unless dragged longer.
      const oneSlot = !info.allDay && info.end - info.start <= 1800000;
      const end = oneSlot ? new Date(info.start.getTime() + 3600000) : info.end;
      quickCreate(info.start, end, info.allDay, info.resource);
      calendar.unselect();
    },
    // The address keeps the view and the date: a reload or a shared link shows the same.
    datesSet: (info) => {
      const names = { resourceTimeGridDay: "day", timeGridWeek: "week", dayGridMonth: "month", listWeek: "list" };
      const params = new URLSearchParams(window.location.search);
      params.set("view", names[info.view.type] || "week");
      const current = calendar ? calendar.getOption("date") : null;
      params.set("date", day(current || info.start));
      window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
      holder.dataset.range = `${wall(info.start)}/${wall(info.end)}`;
    },
    loading: (isLoading) => { holder.dataset.loading = isLoading ? "1" : ""; },
  });
  window.kartotekaCalendar = calendar;

  // The subscription address selects itself for copying.
  document.querySelectorAll("[data-select-on-focus]").forEach((input) => input.addEventListener("focus", () => input.select()));
})();
