// offboard console: small enhancements over plain forms. Everything works
// without this file except live updates.
(function () {
  "use strict";

  // "Are you sure?" for buttons whose card asks for it.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var q = f.getAttribute && f.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
    }
  });

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
    scrollDown();
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
