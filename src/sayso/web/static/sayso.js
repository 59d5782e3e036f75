// sayso web app: tooltips on highlights, following a source through the text.
// Text only ever goes into the page through textContent, never innerHTML.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var text = document.getElementById("article-text");
    var tip = document.getElementById("tip");

    // --- the tooltip: hover or keyboard focus on a highlight ---------------------------
    function markOf(el) { return el && el.closest ? el.closest("mark.m[data-tip]") : null; }
    var shownFor = null;
    function show(mark) {
      if (!tip || !mark) return;
      var first = mark;
      var a = mark.getAttribute("data-a");
      tip.textContent = mark.getAttribute("data-tip");
      tip.hidden = false;
      var r = first.getBoundingClientRect();
      var top = window.scrollY + r.bottom + 6;
      var left = Math.max(6, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 6));
      tip.style.top = top + "px";
      tip.style.left = left + "px";
      if (!mark.id) mark.id = "m" + Math.random().toString(36).slice(2);
      mark.setAttribute("aria-describedby", "tip");
      shownFor = mark;
      highlightRow(a);
    }
    function hide() {
      if (!tip) return;
      tip.hidden = true;
      if (shownFor) shownFor.removeAttribute("aria-describedby");
      shownFor = null;
      highlightRow(null);
    }
    function highlightRow(a) {
      document.querySelectorAll("#attributions-table tr.sel").forEach(function (tr) { tr.classList.remove("sel"); });
      if (a) {
        var row = document.querySelector('#attributions-table tr[data-a="' + CSS.escape(a) + '"]');
        if (row) row.classList.add("sel");
      }
    }
    if (text) {
      text.addEventListener("mouseover", function (e) { var m = markOf(e.target); if (m) show(m); });
      text.addEventListener("mouseout", function (e) {
        var m = markOf(e.target);
        if (!m || m.contains(e.relatedTarget)) return;
        // leaving a highlight with the pointer: back to the one that has keyboard focus, if any
        var focused = markOf(document.activeElement);
        if (focused && text.contains(focused)) show(focused); else hide();
      });
      text.addEventListener("focusin", function (e) { var m = markOf(e.target); if (m) show(m); });
      text.addEventListener("focusout", hide);
      document.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
      // clicking (or Enter on) a highlight of a source follows that source
      text.addEventListener("click", function (e) {
        var m = e.target.closest && e.target.closest("mark.m[data-s]");
        if (m) select(m.getAttribute("data-s"));
      });
      text.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") return;
        var m = e.target.closest && e.target.closest("mark.m[data-s]");
        if (m) { e.preventDefault(); select(m.getAttribute("data-s")); }
      });
    }

    // --- following a source --------------------------------------------------------------
    var status = document.getElementById("selection-status");
    var selected = null;
    function select(id) {
      if (!text) return;
      if (selected === id) id = null;
      selected = id;
      var marks = text.querySelectorAll("mark.m");
      var n = 0;
      marks.forEach(function (m) {
        var on = id !== null && m.getAttribute("data-s") === id;
        m.classList.toggle("sel", on);
        if (on && !m.classList.contains("cont")) n++;
      });
      text.classList.toggle("has-sel", id !== null);
      document.querySelectorAll("button.src").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-s") === id));
      });
      document.querySelectorAll("#attributions-table tr").forEach(function (tr) {
        tr.classList.toggle("sel", id !== null && tr.getAttribute("data-s") === id);
      });
      if (status) {
        if (id === null) { status.textContent = ""; }
        else {
          var btn = document.querySelector('button.src[data-s="' + CSS.escape(id) + '"] .src-name');
          var refs = text.querySelectorAll('mark.m-source.sel:not(.cont), mark.m-mention.sel:not(.cont)').length;
          var attrs = {};
          text.querySelectorAll("mark.m.sel[data-a]").forEach(function (m) { attrs[m.getAttribute("data-a")] = 1; });
          status.textContent = (btn ? btn.textContent : id) + ": " + refs + " references and " +
            Object.keys(attrs).length + " attributions highlighted";
        }
      }
      if (id !== null) {
        var first = text.querySelector("mark.m.sel");
        if (first && first.scrollIntoView && !inView(first)) first.scrollIntoView({ block: "center", behavior: "smooth" });
      }
    }
    function inView(el) {
      var r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    }
    document.querySelectorAll("button.src").forEach(function (b) {
      b.addEventListener("click", function () { select(b.getAttribute("data-s")); });
    });

    // --- role labels -----------------------------------------------------------------------
    var labels = document.getElementById("show-labels");
    if (labels) {
      var saved = null;
      try { saved = window.localStorage.getItem("sayso-labels"); } catch (e) { saved = null; }
      labels.checked = saved === "1";
      document.body.classList.toggle("show-labels", labels.checked);
      labels.addEventListener("change", function () {
        document.body.classList.toggle("show-labels", labels.checked);
        try { window.localStorage.setItem("sayso-labels", labels.checked ? "1" : "0"); } catch (e) { /* private mode */ }
      });
    }

    // --- the form: one of text or file --------------------------------------------------------
    var file = document.getElementById("file");
    var area = document.getElementById("text");
    var form = document.getElementById("analyse-form");
    if (form && file && area) {
      form.addEventListener("submit", function () {
        var btn = document.getElementById("analyse-button");
        if (btn) { btn.disabled = true; btn.textContent = "Analysing…"; }
      });
      window.addEventListener("pageshow", function () {
        var btn = document.getElementById("analyse-button");
        if (btn) { btn.disabled = false; btn.textContent = "Analyse"; }
      });
      file.addEventListener("change", function () { if (file.files.length) area.required = false; });
    }
  });
})();
