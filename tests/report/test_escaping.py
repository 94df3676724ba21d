"""Log text is untrusted: a `<script>` in a log line shows as text in the tables and in the
timeline's hover labels, and never runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lifecycle import logbuilder as lb

from analyzer.report import render

from .conftest import open_report

PAYLOAD = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2><b>bold</b>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A boot whose server name, one ERROR line and one unknown line carry the payload."""
    base = tmp_path_factory.mktemp("hostile")
    op = lb.boot(lb.instance(1))
    named = [replace(line, message=line.message.replace('"tempest-server-1"', f'"{PAYLOAD}"'))
             if line.tag == "request" else line for line in op.lines]
    op = replace(op, lines=named)
    assert PAYLOAD in op.line("request").message
    failed = op.line_like("build_start", f"Build went wrong: {PAYLOAD}", level="ERROR")
    odd = op.line_like("claimed", f"Nobody knows this line {PAYLOAD}", new_tag="odd")
    logs = lb.write_logs(base / "logs", op.with_lines(failed, odd))
    target = base / "hostile.html"
    render([logs.path], target)
    return target


def _outside_plotly(html: str) -> str:
    """The page without the inlined plotly.js (a library's source is not log text)."""
    start = html.index("<script>")
    return html[:start] + html[html.index("</script>", start):]


def test_log_text_is_escaped_in_the_html(hostile: Path) -> None:
    html = hostile.read_text(encoding="utf-8")
    page = _outside_plotly(html)
    assert html.lower().count("<script") == 3  # plotly.js, the figures' JSON, the page's script
    assert "<img" not in page and "<b>bold" not in page
    escaped = "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=window.__pwned=2&gt;"
    assert page.count(escaped) >= 3  # the deviation's evidence, its detail, the unknown template
    # inside the figures' JSON the markup is escaped for plotly, and < > & cannot end the element
    data = page[page.index('id="nt-data">'):]
    assert "\\u0026lt;script\\u0026gt;window.__pwned=1" in data


def test_a_script_in_a_log_line_shows_as_text_in_chromium(chromium, hostile: Path) -> None:
    opened = open_report(chromium, hostile)
    assert opened.console_errors == []
    assert chromium.execute_script("return window.__pwned === undefined")
    assert chromium.execute_script("return document.scripts.length") == 3
    assert chromium.execute_script("return document.querySelectorAll('img').length") == 0
    assert PAYLOAD in chromium.find_element("id", "deviations").text
    assert PAYLOAD in chromium.find_element("id", "unknown").text
    # hover the tick of the `request` step, whose log line holds the payload
    shown = chromium.execute_script("""
        const gd = document.getElementById('nt-timeline');
        const curve = gd.data.findIndex(t => t.name === 'steps');
        const point = gd.data[curve].hovertext.findIndex(h => h.includes('&lt;script&gt;'));
        Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: point}]);
        const layer = document.querySelector('#nt-timeline .hoverlayer');
        const bold = Array.from(layer.querySelectorAll('tspan'))
            .filter(t => (t.getAttribute('style') || '').includes('bold')).map(t => t.textContent);
        return {text: layer.textContent, bold: bold, elements: layer.querySelectorAll('script, img').length};
    """)
    assert PAYLOAD in shown["text"]
    assert shown["elements"] == 0
    assert shown["bold"] == ["request"]  # the step's name, bold by the report; the log's <b> is text
    assert chromium.execute_script("return window.__pwned === undefined")
