// nianbao: readable first screens (served by plugins/ui.py at /-/nianbao/ui.js)
document.addEventListener("DOMContentLoaded", function () {
  // Column descriptions fold away: the data is on the first screen, the descriptions one click off.
  document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
    if (dl.closest("details")) return;
    var details = document.createElement("details");
    details.className = "nb-columns";
    var summary = document.createElement("summary");
    summary.textContent = "Column descriptions · 列说明 (" + dl.querySelectorAll("dt").length + ")";
    dl.parentNode.insertBefore(details, dl);
    details.appendChild(summary);
    details.appendChild(dl);
  });
  // The licence line, repeated in the footer, as small print
  document.querySelectorAll("section.content > p").forEach(function (p) {
    if (p.textContent.trim().indexOf("Data license:") === 0) p.classList.add("nb-license");
  });
  // On a phone the facets fold away (closed) so the rows come first; on a wide screen they stay open
  var facets = document.querySelector(".facet-results");
  if (facets && !facets.closest("details")) {
    var fd = document.createElement("details");
    fd.className = "nb-facets";
    var wide = window.matchMedia("(min-width: 761px)");
    fd.open = wide.matches;
    wide.addEventListener("change", function (e) { fd.open = e.matches; });
    var fs = document.createElement("summary");
    fs.textContent = "Facets · 分面筛选 (" + facets.querySelectorAll(".facet-info").length + ")";
    facets.parentNode.insertBefore(fd, facets);
    fd.appendChild(fs);
    fd.appendChild(facets);
  }
  // The search box: say where a one- or two-character term goes (the server sends it to search_short).
  var box = document.querySelector(".search-row input[name=_search]");
  if (box && !document.querySelector(".nb-search-hint")) {
    var hint = document.createElement("span");
    hint.className = "nb-search-hint";
    hint.textContent = "3+ characters: full text · 1–2 字: short-term search (search_short)";
    box.parentNode.appendChild(hint);
  }
});
