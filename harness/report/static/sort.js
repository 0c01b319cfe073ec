(function () {
  "use strict";
  // Sortable tables: click a column header to sort by it (again to reverse). Numbers sort
  // as numbers, dates and text as text, and empty cells ("—") always last. The only script
  // in the report; the page's Content-Security-Policy allows it by its hash.
  var DATE = /^\d{4}-\d{2}/;
  function cellAt(row, col) {
    var at = 0;
    for (var i = 0; i < row.cells.length; i++) {
      at += row.cells[i].colSpan || 1;
      if (at > col) return row.cells[i];
    }
    return null;
  }
  function value(row, col) {
    var cell = cellAt(row, col);
    if (!cell) return null;
    var text = (cell.getAttribute("data-sort") || cell.textContent).trim();
    if (text === "" || text === "\u2014") return null;
    if (!DATE.test(text)) {
      var n = parseFloat(text.replace(/\u2212/g, "-").replace(/^< ?/, ""));
      if (!isNaN(n)) return n;
    }
    return text.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
    return typeof a === "number" ? -1 : 1;
  }
  function sortBy(table, th, col) {
    var body = table.tBodies[0];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var heads = th.parentNode.cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = [];
    for (var r = 0; r < body.rows.length; r++) rows.push([value(body.rows[r], col), r, body.rows[r]]);
    rows.sort(function (x, y) {
      if (x[0] === null || y[0] === null) {
        return (x[0] === null) - (y[0] === null) || x[1] - y[1];
      }
      var c = compare(x[0], y[0]);
      return (ascending ? c : -c) || x[1] - y[1];
    });
    for (var k = 0; k < rows.length; k++) body.appendChild(rows[k][2]);
  }
  var tables = document.querySelectorAll("table.sortable");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      if (!table.tHead || !table.tBodies.length) return;
      var heads = table.tHead.rows[0].cells;
      var col = 0;
      for (var h = 0; h < heads.length; h++) {
        (function (th, at) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "sort";
          while (th.firstChild) button.appendChild(th.firstChild);
          th.appendChild(button);
          button.addEventListener("click", function () { sortBy(table, th, at); });
        })(heads[h], col);
        col += heads[h].colSpan || 1;
      }
    })(tables[t]);
  }
})();
