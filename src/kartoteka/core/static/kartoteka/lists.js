// lists: issue 9 behaviour for this area; every page still works without scripts.
(function () {
  "use strict";
  var VISITED_MAX = 500;

  function store(kind) {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function visited(kind) {
    var s = store(kind);
    if (!s) return [];
    try { return JSON.parse(s.getItem("kt-visited-" + kind) || "[]"); } catch (e) { return []; }
  }

  // A card: remember it as the list's last opened and visited row; J/K walk the list.
  function onCard(walk) {
    var kind = walk.getAttribute("data-kind");
    var id = walk.getAttribute("data-id");
    try { window.sessionStorage.setItem("kt-last-" + kind, id); } catch (e) { /* private mode */ }
    var ids = visited(kind).filter(function (x) { return x !== id; });
    ids.push(id);
    var s = store(kind);
    if (s) {
      try { s.setItem("kt-visited-" + kind, JSON.stringify(ids.slice(-VISITED_MAX))); } catch (e) { /* full */ }
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      var tag = target && target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
      if (document.querySelector("dialog[open]")) return;
      var link = null;
      if (event.key === "j" || event.key === "J" || event.key === "о" || event.key === "О") link = walk.querySelector("[data-walk-next]");
      if (event.key === "k" || event.key === "K" || event.key === "л" || event.key === "Л") link = walk.querySelector("[data-walk-prev]");
      if (link) { event.preventDefault(); window.location.href = link.href; }
    });
  }

  // A list: highlight the row the user came back from, dim the rows already opened.
  function onList(table) {
    var kind = table.getAttribute("data-list-kind");
    var last = null;
    try { last = window.sessionStorage.getItem("kt-last-" + kind); } catch (e) { /* private mode */ }
    var seen = {};
    visited(kind).forEach(function (id) { seen[id] = true; });
    var rows = table.querySelectorAll("tr[data-id]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var id = row.getAttribute("data-id");
      row.classList.toggle("is-visited", !!seen[id]);
      var isLast = id === last;
      row.classList.toggle("is-last", isLast);
      if (isLast) {
        var box = row.getBoundingClientRect();
        if (box.top < 0 || box.bottom > window.innerHeight) row.scrollIntoView({ block: "center" });
      }
    }
  }

  function init() {
    var walk = document.querySelector("[data-card-walk]");
    if (walk) onCard(walk);
    var tables = document.querySelectorAll("table[data-list-kind]");
    for (var i = 0; i < tables.length; i++) onList(tables[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  // Back from a card may show the list from the back/forward cache: mark the rows again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var tables = document.querySelectorAll("table[data-list-kind]");
    for (var i = 0; i < tables.length; i++) onList(tables[i]);
  });
})();
