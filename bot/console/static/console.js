// offboard console: small enhancements over plain forms. Everything works
// without this file except live updates.
(function () {
  "use strict";

  // Where the room was scrolled when a button posted its form: the page
  // that comes back shows the same place, not the bottom of the room.
  var keepKey = "offboard.scroll";

  // "Are you sure?" for buttons whose card asks for it.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var q = f.getAttribute && f.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
      return;
    }
    var tl = document.getElementById("timeline");
    // Sending a message wants its answer in view (the bottom); every
    // other form (a card's button, the picker, a dismissal) keeps the place.
    if (tl && f.id !== "composer") {
      try {
        sessionStorage.setItem(keepKey, JSON.stringify({ path: location.pathname, top: tl.scrollTop, at: Date.now() }));
      } catch (e) { /* storage off: the page opens at the bottom */ }
    }
  });

  // restoreScroll puts the room back where the last click left it, and
  // reports whether it did.
  function restoreScroll() {
    var raw = null;
    try {
      raw = sessionStorage.getItem(keepKey);
      sessionStorage.removeItem(keepKey);
    } catch (e) { return false; }
    if (!raw) return false;
    var kept;
    try { kept = JSON.parse(raw); } catch (e) { return false; }
    var tl = document.getElementById("timeline");
    if (!tl || !kept || kept.path !== location.pathname || Date.now() - kept.at > 60000) return false;
    tl.scrollTop = kept.top;
    return true;
  }

  function bottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }

  function scrollDown() {
    var tl = document.getElementById("timeline");
    if (tl) tl.scrollTop = tl.scrollHeight;
  }

  // Redraw the room list and the room from the server (drawn from the
  // stored case) when the server says a case changed.
  var pending = null;
  function refresh() {
    pending = null;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var tl = document.getElementById("timeline");
        var stick = tl ? bottom(tl) : false;
        var keep = tl ? tl.scrollTop : 0;
        var openDetails = {};
        if (tl) {
          tl.querySelectorAll("details").forEach(function (d, i) { openDetails[i] = d.open; });
        }
        var before = tl ? tl.querySelectorAll(".msg").length : 0;
        ["rooms", "timeline"].forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next) now.innerHTML = next.innerHTML;
        });
        // After offboard restarts the session's token changes: keep the
        // forms outside the redrawn parts (composer, picker) current.
        var fresh = doc.querySelector('input[name="csrf"]');
        if (fresh) {
          document.querySelectorAll('input[name="csrf"]').forEach(function (i) { i.value = fresh.value; });
        }
        tl = document.getElementById("timeline");
        if (tl) {
          tl.querySelectorAll("details").forEach(function (d, i) {
            if (i in openDetails) d.open = openDetails[i];
          });
          if (stick) scrollDown(); else tl.scrollTop = keep;
          // Tell screen readers about new messages only, not the redraw.
          var msgs = tl.querySelectorAll(".msg");
          var live = document.getElementById("live");
          if (live && msgs.length > before) {
            var last = msgs[msgs.length - 1].querySelector(".text, .ctitle");
            live.textContent = last ? last.textContent : "New message";
          }
        }
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {});
  }

  if (window.EventSource) {
    var es = new EventSource("/console/events");
    es.addEventListener("case", function () {
      // Several notices arrive together; redraw once.
      if (!pending) pending = setTimeout(refresh, 150);
    });
    es.addEventListener("open", function () {
      document.body.setAttribute("data-live", "on");
      // What changed between drawing the page and (re)connecting was
      // never sent to this browser: catch up once.
      if (!pending) pending = setTimeout(refresh, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!restoreScroll()) scrollDown();
    var input = document.getElementById("composer-text");
    var modal = document.querySelector(".modal input, .modal select, .modal textarea");
    if (modal) {
      var bad = document.querySelector('.modal [aria-invalid="true"]');
      (bad || modal).focus();
    } else if (input && !input.disabled) {
      input.focus();
    }
  });
})();
