// offboard console: person pickers. As one types a name into a person
// field (who is leaving, their manager), the directory's matches are
// offered in the field's list; without this file the field is a plain
// email field.
(function () {
  "use strict";

  var timers = new WeakMap();
  var wait = 250; // ms after the last key: one request per pause, not per key

  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (!el.matches || !el.matches("input[data-people]")) return;
    clearTimeout(timers.get(el));
    timers.set(el, setTimeout(function () { suggest(el); }, wait));
  });

  function suggest(el) {
    var q = el.value.trim();
    var list = document.getElementById(el.getAttribute("list"));
    if (!list) return;
    if (q.length < 2 || q.indexOf("@") > 0 && q.indexOf(".", q.indexOf("@")) > 0) {
      // Too short to search, or a whole email already.
      list.textContent = "";
      return;
    }
    var csrf = document.querySelector('input[name="csrf"]');
    fetch("/console/people?q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf ? csrf.value : "" }
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || el.value.trim() !== q) return; // a later key wins
        list.textContent = "";
        data.people.forEach(function (p) {
          var o = document.createElement("option");
          o.value = p.email;
          o.label = p.name ? p.name + " (" + p.email + ")" : p.email;
          list.appendChild(o);
        });
        el.setAttribute("data-suggested", String(data.people.length));
      })
      .catch(function () {});
  }
})();
