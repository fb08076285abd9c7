// shadowsweep report: progressive enhancement only (sort, filter, shareable #state). Never builds HTML from strings.
(function () {
  "use strict";
  var root = document.documentElement;
  var violations = 0;
  root.dataset.cspViolations = "0";
  // Anything the policy blocks is unexpected in a page we generated: count it so tampering is visible.
  document.addEventListener("securitypolicyviolation", function () {
    violations += 1;
    root.dataset.cspViolations = String(violations);
  });

  var FILTERS = ["severity", "status", "rule", "q"];

  function readState() {
    var raw = window.location.hash.slice(1);
    var state = { severity: "", status: "", rule: "", q: "", sort: "", dir: "" };
    if (raw.indexOf("=") < 0) return state; // a plain #anchor, not filter state
    var params = new URLSearchParams(raw);
    Object.keys(state).forEach(function (k) {
      var v = params.get(k);
      if (v !== null) state[k] = v;
    });
    if (state.dir !== "asc" && state.dir !== "desc") state.dir = ""; // the column's own default
    return state;
  }

  function writeState(state) {
    var params = new URLSearchParams();
    FILTERS.concat(["sort", "dir"]).forEach(function (k) {
      if (state[k] && (k !== "dir" || state.sort)) params.set(k, state[k]);
    });
    var hash = params.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : window.location.pathname + window.location.search);
    } catch (e) {
      // Some file:// contexts refuse URL rewriting; the view still works.
    }
  }

  function sortKey(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.dataset.key !== undefined ? cell.dataset.key : cell.textContent.trim().toLowerCase();
  }

  function compare(a, b) {
    var na = Number(a);
    var nb = Number(b);
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function Findings(table, controls) {
    this.table = table;
    this.body = table.tBodies[0];
    this.rows = Array.prototype.slice.call(this.body.querySelectorAll("tr.finding"));
    this.rows.forEach(function (row, i) {
      row.dataset.order = String(i);
    });
    this.headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    this.controls = controls;
    this.inputs = {
      severity: document.getElementById("f-severity"),
      status: document.getElementById("f-status"),
      rule: document.getElementById("f-rule"),
      q: document.getElementById("f-q"),
    };
    this.count = document.getElementById("finding-count");
    this.state = readState();
  }

  Findings.prototype.setup = function () {
    var self = this;
    this.headers.forEach(function (th) {
      var key = th.dataset.sortKey;
      if (!key) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var fresh = th.dataset.sortDefault || "asc";
        var current = self.state.sort === key ? self.direction(th) : "";
        self.state.sort = key;
        self.state.dir = current ? (current === "asc" ? "desc" : "asc") : fresh;
        self.apply(true);
      });
    });
    FILTERS.forEach(function (k) {
      self.inputs[k].addEventListener(k === "q" ? "input" : "change", function () {
        self.state[k] = self.inputs[k].value;
        self.apply(true);
      });
    });
    this.controls.addEventListener("submit", function (e) {
      e.preventDefault();
    });
    this.controls.addEventListener("reset", function () {
      FILTERS.forEach(function (k) {
        self.state[k] = "";
      });
      window.setTimeout(function () {
        self.apply(true);
      }, 0);
    });
    window.addEventListener("hashchange", function () {
      if (window.location.hash.indexOf("=") < 0) return;
      self.state = readState();
      self.apply(false);
    });
    this.controls.hidden = false;
    this.apply(false);
  };

  Findings.prototype.syncInputs = function () {
    var self = this;
    FILTERS.forEach(function (k) {
      var input = self.inputs[k];
      input.value = self.state[k];
      if (input.value !== self.state[k]) {
        self.state[k] = ""; // a value no option offers means "all"
        input.value = "";
      }
    });
  };

  Findings.prototype.matches = function (row) {
    var s = this.state;
    if (s.severity && row.dataset.severity !== s.severity) return false;
    if (s.status && row.dataset.status !== s.status) return false;
    if (s.rule && row.dataset.rule !== s.rule) return false;
    return !s.q || row.textContent.toLowerCase().indexOf(s.q.toLowerCase()) >= 0;
  };

  // Severity and status sort worst-first unless the state names a direction.
  Findings.prototype.direction = function (th) {
    return this.state.dir || th.dataset.sortDefault || "asc";
  };

  Findings.prototype.sort = function () {
    var index = -1;
    var dir = "asc";
    var self = this;
    this.headers.forEach(function (th, i) {
      if (!th.dataset.sortKey) return;
      var active = th.dataset.sortKey === self.state.sort;
      if (active) {
        index = i;
        dir = self.direction(th);
      }
      th.setAttribute("aria-sort", active ? (dir === "asc" ? "ascending" : "descending") : "none");
    });
    var sign = dir === "desc" ? -1 : 1;
    var ordered = this.rows.slice().sort(function (a, b) {
      var c = index < 0 ? 0 : sign * compare(sortKey(a, index), sortKey(b, index));
      return c || Number(a.dataset.order) - Number(b.dataset.order);
    });
    var body = this.body;
    ordered.forEach(function (row) {
      body.appendChild(row);
    });
  };

  Findings.prototype.apply = function (persist) {
    this.syncInputs();
    var shown = 0;
    var self = this;
    this.rows.forEach(function (row) {
      var ok = self.matches(row);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    this.sort();
    this.count.textContent = "Showing " + shown + " of " + this.rows.length + " findings";
    if (persist) writeState(this.state);
  };

  // Print everything: open collapsed sections for the printout, then restore them.
  function setupPrint() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details:not([open])").forEach(function (d) {
        d.open = true;
        opened.push(d);
      });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) {
        d.open = false;
      });
      opened = [];
    });
  }

  // Following a link to an identity opens its <details> and the collapsed group around it.
  function revealTarget() {
    var id = window.location.hash.slice(1);
    if (!id || id.indexOf("=") >= 0) return;
    var node = document.getElementById(id);
    for (; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
  }

  function init() {
    var table = document.getElementById("finding-table");
    var controls = document.getElementById("finding-controls");
    if (table && controls) new Findings(table, controls).setup();
    setupPrint();
    revealTarget();
    window.addEventListener("hashchange", revealTarget);
    var styled = getComputedStyle(root).getPropertyValue("--shadowsweep-styles").trim() === "1";
    root.dataset.styles = styled ? "1" : "0";
    root.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
