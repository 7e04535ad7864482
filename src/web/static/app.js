// Gleaner review UI: progressive enhancement only. Every page works without
// this file; it adds feed-reader keys (j/k move, x select, s/a/r act,
// o/Enter open, / search, ? help), drag-and-drop in the composer and in an
// item's quote list, and a text selection filling the "Add a quote" form.
// Loaded from our own origin (the CSP forbids inline script).
(function () {
  "use strict";

  var page = document.body.getAttribute("data-page");
  var help = document.getElementById("help");

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  document.querySelectorAll("[data-help]").forEach(function (b) {
    b.addEventListener("click", function () { toggleHelp(); });
  });

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  // ---- queue ----
  function queueKeys() {
    var rows = Array.prototype.slice.call(document.querySelectorAll(".rows .row"));
    var cursor = -1;
    var remembered = sessionStorage.getItem("gleaner.cursor");
    if (remembered !== null) {
      // After a POST-redirect-GET, land on the row we were at (or the one now in its place).
      sessionStorage.removeItem("gleaner.cursor");
      if (rows.length) move(Math.min(Number(remembered) || 0, rows.length - 1), true);
    }

    function move(to, absolute) {
      if (!rows.length) return;
      var next = absolute ? to : cursor + to;
      next = Math.max(0, Math.min(rows.length - 1, next));
      if (cursor >= 0) rows[cursor].classList.remove("cursor");
      cursor = next;
      rows[cursor].classList.add("cursor");
      rows[cursor].scrollIntoView({ block: "nearest" });
    }

    function selected() {
      return rows.filter(function (r) { return r.querySelector("input[name=sel]").checked; });
    }

    function act(action) {
      var chosen = selected();
      if (chosen.length) {
        // The bulk form acts on the selection, exactly as its buttons do.
        var bulk = document.getElementById("bulk");
        var field = document.createElement("input");
        field.type = "hidden"; field.name = "do"; field.value = action;
        bulk.appendChild(field);
        sessionStorage.setItem("gleaner.cursor", String(Math.max(cursor, 0)));
        bulk.submit();
        return;
      }
      if (cursor < 0) return;
      var target = rows[cursor].getAttribute("data-revision-target").split(":");
      var form = document.getElementById("act-one");
      form.action = "/items/" + target[0] + "/act";
      form.querySelector("input[name=revision]").value = target[1];
      form.querySelector("input[name=do]").value = action;
      sessionStorage.setItem("gleaner.cursor", String(cursor));
      form.submit();
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      switch (event.key) {
        case "j": move(1); break;
        case "k": move(-1); break;
        case "x":
          if (cursor >= 0) { var box = rows[cursor].querySelector("input[name=sel]"); box.checked = !box.checked; }
          break;
        case "s": act("shortlist"); break;
        case "a": act("approve"); break;
        case "r": act("reject"); break;
        case "o": case "Enter":
          if (cursor >= 0) window.location = rows[cursor].querySelector("a.title").href;
          break;
        case "/": var search = document.getElementById("search"); if (search) search.focus(); break;
        case "?": toggleHelp(); break;
        case "Escape": toggleHelp(false); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  // ---- item page: s/a/r press the matching button (which saves first) ----
  function itemKeys() {
    var form = document.getElementById("editor");
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
      var names = { s: "shortlist", a: "approve", r: "reject" };
      if (names[event.key]) {
        var button = form && form.querySelector("button[value=" + names[event.key] + "]");
        if (button && !button.disabled) { event.preventDefault(); button.click(); }
      } else if (event.key === "?") { event.preventDefault(); toggleHelp(); }
      else if (event.key === "Escape") { toggleHelp(false); }
    });
  }

  // ---- composer: drag an item within its section, then submit the new order ----
  function composerDrag() {
    document.querySelectorAll("form.reorder").forEach(function (form) {
      var list = form.querySelector("ol.draft");
      var dragged = null;
      list.addEventListener("dragstart", function (e) {
        dragged = e.target.closest(".draft-item");
        if (dragged) { dragged.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; }
      });
      list.addEventListener("dragover", function (e) {
        var over = e.target.closest(".draft-item");
        if (!dragged || !over || over === dragged) return;
        e.preventDefault();
        var box = over.getBoundingClientRect();
        list.insertBefore(dragged, e.clientY > box.top + box.height / 2 ? over.nextSibling : over);
      });
      list.addEventListener("dragend", function () {
        if (!dragged) return;
        dragged.classList.remove("dragging");
        dragged = null;
        form.submit(); // the hidden `order` fields now follow the new DOM order
      });
    });
    document.addEventListener("keydown", function (event) {
      if (typing(event)) return;
      if (event.key === "?") { event.preventDefault(); toggleHelp(); }
      else if (event.key === "Escape") { toggleHelp(false); }
    });
  }

  // ---- item: a selection in the article's text fills the "Add a quote" form ----
  function quoteFromSelection() {
    var text = document.getElementById("text");
    var form = document.getElementById("add-quote");
    if (!text || !form) return;
    text.addEventListener("mouseup", function () {
      var selection = window.getSelection();
      var words = selection ? selection.toString().trim() : "";
      if (!words || form.contains(selection.anchorNode)) return;
      form.querySelector("textarea[name=text]").value = words;
      form.classList.add("filled");
      form.querySelector("input[name=speaker]").focus({ preventScroll: true });
    });
  }

  // ---- item: drag a quote to reorder; the numbers (what the server reads) follow ----
  function quoteDrag() {
    var list = document.querySelector("ol.quote-list");
    if (!list) return;
    var dragged = null;
    function renumber() {
      var n = 0;
      list.querySelectorAll("li.quote").forEach(function (li) {
        var ticked = li.querySelector("input[name=quote]").checked;
        var input = li.querySelector("input.order-input");
        var label = li.querySelector(".publishes-as");
        if (ticked) { n += 1; input.value = String(n); } else { input.value = ""; }
        if (label) label.textContent = ticked ? "publishes as no. " + n : "";
      });
    }
    list.querySelectorAll("li.quote").forEach(function (li) { li.setAttribute("draggable", "true"); });
    list.addEventListener("dragstart", function (e) {
      dragged = e.target.closest && e.target.closest("li.quote");
      if (dragged) { dragged.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; }
    });
    list.addEventListener("dragover", function (e) {
      var over = e.target.closest && e.target.closest("li.quote");
      if (!dragged || !over || over === dragged) return;
      e.preventDefault();
      var box = over.getBoundingClientRect();
      list.insertBefore(dragged, e.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    });
    list.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      renumber(); // saved with the form, like every other field
    });
  }

  if (page === "queue") queueKeys();
  else if (page === "item") { itemKeys(); quoteFromSelection(); quoteDrag(); }
  else if (page === "composer") composerDrag();
})();
