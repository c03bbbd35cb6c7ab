"use strict";
(function () {
  var errors = document.getElementById("errors");
  function showError(text) {
    errors.hidden = false;
    errors.textContent += text + "\n";
  }
  window.addEventListener("error", function (event) { showError("error: " + event.message); });
  var consoleError = console.error;
  console.error = function () {
    showError("console.error: " + Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var A = data.activities, E = data.entities, S = data.sessions, N = data.notes || [];
  var PAGE = 50, TIMELINE_PAGE = 100;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function seconds(value) {
    if (value === null || value === undefined) return "";
    if (value < 0.001) return (value * 1e6).toFixed(0) + " µs";
    if (value < 1) return (value * 1000).toFixed(1) + " ms";
    if (value < 120) return value.toFixed(2) + " s";
    return (value / 60).toFixed(1) + " min";
  }
  function shortTime(text) { return text ? text.replace("T", " ").replace(/\.\d+/, "") : ""; }
  function valueText(value) { return typeof value === "string" ? value : JSON.stringify(value); }
  /* control characters other than line breaks and tabs, shown as their visible symbols */
  function visible(text) {
    return String(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, function (c) {
      return String.fromCharCode(c === "\u007f" ? 0x2421 : 0x2400 + c.charCodeAt(0));
    });
  }
  var sessionNotes = S.map(function () { return []; });
  var activityNotes = A.map(function () { return []; });
  N.forEach(function (n) {
    if (n[1] >= 0) activityNotes[n[1]].push(n);
    else if (n[0] >= 0) sessionNotes[n[0]].push(n);
  });
  function noteList(notes) {
    if (!notes.length) return null;
    return el("div", {className: "notes"}, notes.map(function (n) {
      var keys = Object.keys(n[4] || {});
      return el("div", {className: "note-entry"}, [
        el("span", {className: "note-time", text: shortTime(n[2])}),
        el("span", {className: "note-text", text: visible(n[3])}),
        keys.length ? el("span", {className: "note-attributes", text: keys.map(function (key) { return visible(key + " = " + valueText(n[4][key])); }).join(", ")}) : null]);
    }));
  }

  E.forEach(function (e) {
    if (e[1] === null) e[1] = e[3].replace(/\/+$/, "").split("/").pop() || e[3];
  });
  var generatedBy = E.map(function () { return []; });
  var usedBy = E.map(function () { return []; });
  A.forEach(function (a, index) {
    a[9].forEach(function (link) { generatedBy[link[0]].push([index, link[1]]); });
    a[8].forEach(function (link) { usedBy[link[0]].push([index, link[1]]); });
  });

  /* summary and sessions */
  var failed = A.filter(function (a) { return a[5] === "failed"; }).length;
  document.getElementById("summary").textContent = S.length + " session" + (S.length === 1 ? "" : "s") + ", " +
    A.length + " activit" + (A.length === 1 ? "y" : "ies") + " (" + failed + " failed), " + E.length +
    " entities" + (N.length ? ", " + N.length + " note" + (N.length === 1 ? "" : "s") : "") + "; " + data.records + " records from " + (data.logs.join(", ") || "standard input") + "; logprov " + data.logprov;
  var sessionList = document.getElementById("session-list");
  var sessionFilter = document.getElementById("filter-session");
  S.forEach(function (s, index) {
    var rows = [["id", s.id], ["start", shortTime(s.start)], ["end", shortTime(s.end)], ["user", s.user],
      ["machine", s.machine], ["python", s.python], ["command", s.command], ["directory", s.cwd]];
    var dl = el("dl");
    rows.forEach(function (row) {
      if (row[1]) { dl.appendChild(el("dt", {text: row[0]})); dl.appendChild(el("dd", {text: row[1], className: row[0] === "id" ? "mono" : ""})); }
    });
    dl.appendChild(el("dt", {text: "git commit"}));
    dl.appendChild(el("dd", {className: "mono"}, s.commit ? [s.commit.slice(0, 12), s.dirty ? el("span", {className: "dirty", text: " (uncommitted changes)"}) : null] : ["none"]));
    var names = Object.keys(s.packages);
    var packages = el("details", {}, [el("summary", {text: names.length + " package" + (names.length === 1 ? "" : "s")}),
      el("div", {className: "mono", text: names.map(function (n) { return n + " " + s.packages[n]; }).join(", ") || "none recorded"})]);
    sessionList.appendChild(el("div", {className: "session", "data-session": s.id}, [
      el("h3", {text: (s.name || "session") + " · " + s.activities + (s.activities === 1 ? " activity" : " activities") + (s.failed ? ", " + s.failed + " failed" : "")}), dl, noteList(sessionNotes[index]), packages]));
    sessionFilter.appendChild(el("option", {value: String(index), text: (s.name || "session") + " " + s.id.slice(0, 8)}));
  });

  /* timeline */
  var order = A.map(function (a, i) { return i; });
  function pager(box, total, size, show) {
    var page = 0, pages = Math.max(1, Math.ceil(total / size));
    function draw() {
      box.textContent = "";
      if (pages > 1) {
        var previous = el("button", {type: "button", text: "previous"}), next = el("button", {type: "button", text: "next"});
        previous.disabled = page === 0; next.disabled = page === pages - 1;
        previous.onclick = function () { page--; draw(); }; next.onclick = function () { page++; draw(); };
        box.appendChild(previous); box.appendChild(el("span", {text: "page " + (page + 1) + " of " + pages})); box.appendChild(next);
      }
      show(page * size, Math.min(total, (page + 1) * size));
    }
    draw();
  }
  var timeline = document.getElementById("timeline-body");
  pager(document.getElementById("timeline-pager"), order.length, TIMELINE_PAGE, function (from, to) {
    timeline.textContent = "";
    var last = null, shown = order.slice(from, to), span = {};
    shown.forEach(function (index) {
      var a = A[index];
      if (a[3] === null) return;
      var range = span[a[2]] || (span[a[2]] = [Infinity, -Infinity]);
      range[0] = Math.min(range[0], a[3]);
      range[1] = Math.max(range[1], a[3] + 1000 * (a[4] || 0));
    });
    shown.forEach(function (index) {
      var a = A[index];
      if (a[2] !== last) {
        last = a[2];
        var s = S[a[2]];
        timeline.appendChild(el("div", {className: "tl-session", text: s ? (s.name || "session") + " " + s.id.slice(0, 8) + " · " + shortTime(s.start) : "no session"}));
      }
      var range = span[a[2]] || [Infinity, 0], width = Math.max(range[1] - range[0], 1e-3);
      var noted = activityNotes[index].map(function (n) { return "\nnote: " + visible(n[3]); }).join("");
      var bar = el("div", {className: "tl-bar " + a[5], title: a[1] + ": " + seconds(a[4]) + (a[6] ? " — " + a[6] : "") + noted});
      if (a[3] !== null && range[0] !== Infinity) {
        bar.style.left = (100 * (a[3] - range[0]) / width) + "%";
        bar.style.width = (100 * 1000 * (a[4] || 0) / width) + "%";
      }
      var name = el("div", {className: "tl-name" + (noted ? " noted" : ""), text: a[1], title: a[0] + noted});
      name.onclick = function () { showActivity(index); };
      timeline.appendChild(el("div", {className: "tl-row", "data-activity": a[0], "data-status": a[5]}, [name, el("div", {className: "tl-track"}, [bar]), el("div", {className: "tl-time", text: seconds(a[4])})]));
    });
  });

  /* graph: zoom and move by changing the view box */
  if (data.graph_note) {
    var note = document.getElementById("graph-note");
    note.hidden = false; note.textContent = data.graph_note;
  }
  var view = document.getElementById("graph-view"), svg = view.querySelector("svg");
  if (svg) {
    var box0 = svg.viewBox.baseVal, fit = [box0.x, box0.y, box0.width, box0.height], box = fit.slice();
    svg.removeAttribute("width"); svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    var apply = function () { svg.setAttribute("viewBox", box.join(" ")); };
    var zoom = function (factor, cx, cy) {
      cx = cx === undefined ? box[0] + box[2] / 2 : cx; cy = cy === undefined ? box[1] + box[3] / 2 : cy;
      box = [cx - (cx - box[0]) * factor, cy - (cy - box[1]) * factor, box[2] * factor, box[3] * factor];
      apply();
    };
    var point = function (event) {
      var rect = svg.getBoundingClientRect(), scale = Math.max(box[2] / rect.width, box[3] / rect.height);
      var offsetX = (rect.width * scale - box[2]) / 2, offsetY = (rect.height * scale - box[3]) / 2;
      return [box[0] - offsetX + (event.clientX - rect.left) * scale, box[1] - offsetY + (event.clientY - rect.top) * scale, scale];
    };
    view.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = point(event);
      zoom(event.deltaY > 0 ? 1.2 : 1 / 1.2, p[0], p[1]);
    }, {passive: false});
    var drag = null;
    view.addEventListener("mousedown", function (event) { drag = [event.clientX, event.clientY, point(event)[2]]; view.classList.add("dragging"); });
    window.addEventListener("mouseup", function () { drag = null; view.classList.remove("dragging"); });
    window.addEventListener("mousemove", function (event) {
      if (!drag) return;
      box[0] -= (event.clientX - drag[0]) * drag[2]; box[1] -= (event.clientY - drag[1]) * drag[2];
      drag[0] = event.clientX; drag[1] = event.clientY; apply();
    });
    document.getElementById("zoom-in").onclick = function () { zoom(1 / 1.5); };
    document.getElementById("zoom-out").onclick = function () { zoom(1.5); };
    document.getElementById("zoom-reset").onclick = function () { box = fit.slice(); apply(); };
  }

  /* activity table */
  function entityLink(link) {
    var e = E[link[0]];
    var anchor = el("a", {className: "entity", title: e[0] + (e[3] ? "\n" + e[3] : ""), "data-entity": e[0]},
      [e[1], link[1] ? el("span", {className: "role", text: " (" + link[1] + ")"}) : null]);
    anchor.onclick = function () { showLineage(link[0]); };
    return anchor;
  }
  function linkCell(links) {
    var cell = el("td");
    links.slice(0, 12).forEach(function (link) { cell.appendChild(entityLink(link)); });
    if (links.length > 12) cell.appendChild(el("span", {className: "role", text: "and " + (links.length - 12) + " more"}));
    return cell;
  }
  var searchText = A.map(function (a, index) {
    var parts = [a[0], a[1], JSON.stringify(a[7])].concat(activityNotes[index].map(function (n) { return n[3]; }));
    a[8].concat(a[9]).forEach(function (link) { var e = E[link[0]]; parts.push(e[0], e[1], e[3] || "", link[1] || ""); });
    return parts.join(" ").toLowerCase();
  });
  var tbody = document.querySelector("#activity-table tbody");
  var text = document.getElementById("filter-text"), status = document.getElementById("filter-status");
  function renderTable() {
    var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = order.filter(function (index) {
      var a = A[index];
      if (status.value && a[5] !== status.value) return false;
      if (sessionFilter.value && String(a[2]) !== sessionFilter.value) return false;
      return words.every(function (word) { return searchText[index].indexOf(word) >= 0; });
    });
    document.getElementById("filter-count").textContent = wanted.length + " of " + A.length;
    pager(document.getElementById("activity-pager"), wanted.length, PAGE, function (from, to) {
      tbody.textContent = "";
      wanted.slice(from, to).forEach(function (index) {
        var a = A[index], s = S[a[2]];
        var params = el("td", {className: "params"});
        Object.keys(a[7]).forEach(function (key) { params.appendChild(el("div", {text: key + " = " + valueText(a[7][key])})); });
        tbody.appendChild(el("tr", {className: a[5], id: "activity-" + a[0], "data-activity": a[0], "data-status": a[5]}, [
          el("td", {title: a[0]}, [a[1], el("div", {className: "role mono", text: a[0].slice(0, 8)}), noteList(activityNotes[index])]),
          el("td", {className: "mono", text: s ? s.id.slice(0, 8) : ""}),
          el("td", {text: a[3] === null ? "" : shortTime(new Date(a[3]).toISOString())}),
          el("td", {text: seconds(a[4])}),
          el("td", {}, [el("span", {className: "status " + a[5], text: (a[5] || "unknown") + (a[11] === null ? "" : " (exit " + a[11] + ")")}), a[6] ? el("span", {className: "exception", text: a[6]}) : null]),
          params, linkCell(a[8]), linkCell(a[9])]));
      });
    });
  }
  text.addEventListener("input", renderTable);
  status.addEventListener("change", renderTable);
  sessionFilter.addEventListener("change", renderTable);
  renderTable();

  /* lineage: what an entity was made from, as a tree */
  var panel = document.getElementById("lineage"), body = document.getElementById("lineage-body");
  document.getElementById("lineage-close").onclick = function () { panel.hidden = true; };
  var LIMIT = 400;
  function entityItem(index, relation, seen) {
    var e = E[index];
    var item = el("li", {"data-entity": e[0]}, [relation ? el("span", {className: "lin-relation", text: relation}) : null, entityLink([index, null])]);
    if (seen.entities[index]) { item.appendChild(el("span", {className: "role", text: " (above)"})); return item; }
    seen.entities[index] = true;
    if (++seen.count > LIMIT) { item.appendChild(el("span", {className: "role", text: " …"})); return item; }
    var list = el("ul");
    generatedBy[index].forEach(function (link) { list.appendChild(activityItem(link[0], "generated by", seen)); });
    e[5].forEach(function (other) { list.appendChild(entityItem(other, "derived from", seen)); });
    e[6].forEach(function (other) { list.appendChild(entityItem(other, "member", seen)); });
    if (list.childNodes.length) item.appendChild(list);
    return item;
  }
  function activityItem(index, relation, seen) {
    var a = A[index];
    var name = el("a", {className: "entity lin-activity " + a[5], text: a[1] + " · " + (a[5] || "") + " · " + seconds(a[4])});
    name.onclick = function () { showActivity(index); };
    var item = el("li", {"data-activity": a[0]}, [el("span", {className: "lin-relation", text: relation}), name]);
    if (seen.activities[index]) { item.appendChild(el("span", {className: "role", text: " (above)"})); return item; }
    seen.activities[index] = true;
    var list = el("ul");
    a[8].forEach(function (link) { list.appendChild(entityItem(link[0], "used" + (link[1] ? " (" + link[1] + ")" : ""), seen)); });
    if (list.childNodes.length) item.appendChild(list);
    return item;
  }
  function showLineage(index) {
    var e = E[index];
    body.textContent = "";
    body.appendChild(el("p", {className: "mono", text: e[0]}));
    if (e[3]) body.appendChild(el("p", {text: e[3]}));
    if (e[4]) body.appendChild(el("p", {className: "mono", text: e[4]}));
    body.appendChild(el("ul", {}, [entityItem(index, null, {entities: {}, activities: {}, count: 0})]));
    var uses = usedBy[index];
    if (uses.length) {
      body.appendChild(el("h3", {text: "used by"}));
      body.appendChild(el("ul", {}, uses.map(function (link) { return activityItem(link[0], "", {entities: {}, activities: {}, count: LIMIT}); })));
    }
    panel.hidden = false;
  }
  function showActivity(index) {
    var a = A[index];
    text.value = a[0]; status.value = ""; sessionFilter.value = "";
    renderTable();
    document.getElementById("activities").scrollIntoView();
  }
  function openFromAddress() {
    var match = /^#lineage=(.+)$/.exec(window.location.hash);
    if (!match) return;
    var id = decodeURIComponent(match[1]);
    var index = E.findIndex(function (e) { return e[0] === id || e[3] === id; });
    if (index < 0) {
      var starting = [];
      E.forEach(function (e, i) { if (e[0].indexOf(id) === 0) starting.push(i); });
      if (starting.length > 1) { showError(starting.length + " entities of this report have an id starting with " + id); return; }
      if (starting.length) index = starting[0];
    }
    if (index >= 0) showLineage(index);
    else showError("no entity " + id + " in this report");
  }
  window.addEventListener("hashchange", openFromAddress);
  openFromAddress();
  document.body.setAttribute("data-ready", "true");
})();
