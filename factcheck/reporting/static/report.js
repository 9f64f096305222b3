/* factcheck report: filters and search over the claims table. An enhancement only: without
   JavaScript the table is complete and the filter form stays hidden. No request is made. */
(function () {
  "use strict";
  var table = document.getElementById("claims");
  var form = document.getElementById("filters");
  if (!table || !form) {
    return;
  }
  var label = document.getElementById("filter-label");
  var kind = document.getElementById("filter-kind");
  var tag = document.getElementById("filter-tag");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.claim"));
  var texts = rows.map(function (row) {
    return (row.getAttribute("data-key") + " " + row.textContent).toLowerCase();
  });

  function matches(row, index, wanted) {
    if (wanted.label && row.getAttribute("data-label") !== wanted.label) {
      return false;
    }
    if (wanted.kind && row.getAttribute("data-kind") !== wanted.kind) {
      return false;
    }
    if (wanted.tag) {
      var tags = (row.getAttribute("data-tags") || "").split(" ");
      if (tags.indexOf(wanted.tag) < 0) {
        return false;
      }
    }
    for (var i = 0; i < wanted.words.length; i += 1) {
      if (texts[index].indexOf(wanted.words[i]) < 0) {
        return false;
      }
    }
    return true;
  }

  function apply() {
    var wanted = {
      label: label.value,
      kind: kind.value,
      tag: tag.value,
      words: search.value.toLowerCase().split(/\s+/).filter(Boolean)
    };
    var count = 0;
    rows.forEach(function (row, index) {
      var ok = matches(row, index, wanted);
      row.hidden = !ok;
      if (ok) {
        count += 1;
      }
    });
    shown.textContent = count + " of " + rows.length + " shown";
  }

  form.hidden = false;
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
  });
  apply();
}());
