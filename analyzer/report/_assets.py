"""The page's style sheet and script (inlined into every report; nothing is fetched)."""

from __future__ import annotations

# Only inline scripts and styles, no fetch of any kind: the report must open offline and
# log text must never be able to load anything.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                           "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; "
                           "form-action 'none'")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #fafafa; }
header { background: #1d3557; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; font-size: 13px; opacity: .85; }
nav { padding: 6px 24px; background: #e9eef5; font-size: 13px; position: sticky; top: 0; z-index: 5; }
nav a { margin-right: 14px; color: #1d3557; }
main { padding: 6px 24px 40px; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 10px 16px; margin: 14px 0; }
h2 { font-size: 17px; margin: 6px 0 10px; }
.notice { background: #fff4ce; border: 1px solid #e6c200; padding: 6px 10px; border-radius: 4px; }
.controls { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; font-size: 13px; }
.controls select { max-width: 620px; font-family: monospace; font-size: 12px; }
.help { font-size: 12px; color: #555; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f0f3f7; position: sticky; top: 30px; }
table.numbers td:not(:first-child), table.numbers th:not(:first-child) { text-align: right; }
table.facts td:first-child { font-weight: 600; white-space: nowrap; }
table.deviations tr.op td { border-top: 2px solid #ccc; font-weight: 600; }
tr.status-failed td:nth-child(5) { color: #d62728; }
tr.status-deviation td:nth-child(5) { color: #c15f00; }
ul.lines { list-style: none; padding-left: 8px; margin: 2px 0 6px; }
code.line { white-space: pre-wrap; word-break: break-all; background: #f5f5f5; padding: 0 3px; }
.where { color: #555; font-size: 11.5px; }
.kind, .bad { color: #d62728; }
.scroll { max-height: 520px; overflow: auto; }
details summary { cursor: pointer; margin: 4px 0; }
.figure { width: 100%; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("nt-data").textContent);
  var config = {displaylogo: false, responsive: true, scrollZoom: true,
                modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var instanceSelect = document.getElementById("nt-instance");
  var operationSelect = document.getElementById("nt-operation");
  var current = null;

  function draw(id, figure) {
    var layout = Object.assign({}, figure.layout, {template: data.template});
    return Plotly.react(id, figure.data, layout, config);
  }
  function operation(id) {
    var instance = data.instances[current];
    if (!instance || id === null || id === undefined || id === "") { return null; }
    for (var i = 0; i < instance.operations.length; i++) {
      if (String(instance.operations[i].id) === String(id)) { return instance.operations[i]; }
    }
    return null;
  }
  function waterfall(id) {
    var chosen = operation(id);
    var note = document.getElementById("nt-waterfall-note");
    if (!chosen) {
      Plotly.purge("nt-waterfall");
      note.textContent = "Pick an operation to see its waterfall.";
      return Promise.resolve();
    }
    note.textContent = "";
    operationSelect.value = String(chosen.id);
    return draw("nt-waterfall", data.waterfalls[String(chosen.id)]);
  }
  function zoom(id) {
    var chosen = operation(id);
    var range = chosen ? [chosen.from, chosen.to] : data.instances[current].figure.layout.xaxis.range;
    return Plotly.relayout("nt-timeline", {"xaxis.range": range.slice()});
  }
  function showInstance(uuid, opId) {
    var instance = data.instances[uuid];
    if (!instance) { return Promise.resolve(); }
    current = uuid;
    instanceSelect.value = uuid;
    operationSelect.replaceChildren(new Option("whole instance", ""));
    instance.operations.forEach(function (o) { operationSelect.add(new Option(o.label, String(o.id))); });
    return draw("nt-timeline", instance.figure).then(function () {
      if (opId !== undefined && opId !== null && opId !== "") { zoom(opId); return waterfall(opId); }
      operationSelect.value = "";
      return waterfall(instance.operations.length ? instance.operations[0].id : null);
    });
  }

  instanceSelect.addEventListener("change", function () { showInstance(instanceSelect.value); });
  operationSelect.addEventListener("change", function () {
    zoom(operationSelect.value); waterfall(operationSelect.value);
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-instance]") : null;
    if (!link) { return; }
    event.preventDefault();
    showInstance(link.getAttribute("data-instance"), link.getAttribute("data-op"));
    document.getElementById("timeline").scrollIntoView();
  });

  var drawn = [];
  Object.keys(data.plots).forEach(function (id) { drawn.push(draw(id, data.plots[id])); });
  var first = instanceSelect ? instanceSelect.value : null;
  if (first && data.instances[first]) {
    drawn.push(showInstance(first).then(function () {
      document.getElementById("nt-timeline").on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        if (point && point.customdata !== undefined && operation(point.customdata)) {
          waterfall(point.customdata);
        }
      });
    }));
  }
  Promise.all(drawn).then(function () { document.body.setAttribute("data-ready", "1"); },
                          function (error) { document.body.setAttribute("data-ready", "error: " + error); });
})();
"""
