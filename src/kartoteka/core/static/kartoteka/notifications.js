/* The bell: an unread count kept live by Server-Sent Events, and a dropdown of notifications.
   Without JavaScript the bell is a link to the notifications page. */
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell) return;
  var button = bell.querySelector(".bell-button");
  var count = bell.querySelector(".bell-count");
  var panel = document.getElementById("bell-panel");
  var stale = true;

  function show(unread) {
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.hidden = unread === 0;
    bell.classList.toggle("has-unread", unread > 0);
    bell.dataset.unread = String(unread);
    var label = unread ? bell.dataset.tUnread.replace("%(count)s", String(unread)) : bell.dataset.tNone;
    button.setAttribute("aria-label", label);
    button.title = label;
  }

  function load() {
    return fetch(bell.dataset.panel, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
      .then(function (html) { panel.innerHTML = html; stale = false; })
      .catch(function () { /* the link still leads to the full page */ });
  }

  function setOpen(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open && stale) load();
  }

  // "Mark all read" in the dropdown stays in the dropdown.
  panel.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("[data-read-all]")) return;
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: new FormData(form)
    }).then(function (answer) {
      if (!answer.ok) return Promise.reject(answer.status);
      show(0);
      return load();
    }).catch(function () { form.submit(); });
  });

  button.addEventListener("click", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return; // a new tab gets the page
    event.preventDefault();
    setOpen(panel.hidden);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { setOpen(false); button.focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!panel.hidden && !bell.contains(event.target)) setOpen(false);
  });

  if (!window.EventSource) return;
  var source = new EventSource(bell.dataset.stream);
  source.addEventListener("open", function () { bell.dataset.live = "on"; });
  source.addEventListener("error", function () { bell.dataset.live = "off"; });
  source.addEventListener("update", function (event) {
    var data = JSON.parse(event.data);
    show(data.unread);
    if (data.items && data.items.length) {
      stale = true;
      bell.classList.remove("rang");
      void bell.offsetWidth; // restart the ring animation
      bell.classList.add("rang");
      if (!panel.hidden) load();
    }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
