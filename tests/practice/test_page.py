"""The HTML page escapes everything that comes from logs, servers and catalogues."""

from __future__ import annotations

from pathlib import Path

from analyzer.practice import messages
from analyzer.practice.page import render_page
from analyzer.practice.walkthrough import LogLine, OperationView, Proof, StepView, Walkthrough

EVIL = '<script>alert("x")</script>'


def test_log_text_and_names_are_escaped():
    line = LogLine("logs/nova-api.log", 7, "2016-06-28 13:56:13.892", "nova-api", "DEBUG",
                   f"Action: 'create', body: {{\"server\": {{\"name\": \"{EVIL}\"}}}}")
    step = StepView("request", "flow", "nova-api", "explained", "(=, pausing, =)", ("debug",), [line])
    silent = StepView("db_lock", "silent", "nova-api", "no line", no_line="none",
                      proofs=[Proof("refusal", f"409 {EVIL}", [line])])
    op = OperationView("pause", "Pause", f"vm{EVIL}", True, "ok", "(a, b, c)", "(d, e, f)", 0.5, "req-1",
                       [step, silent], [])
    walk = Walkthrough("pause", "Pause", "desc", "en", "2016", "fake", Path("/tmp/x"), [op], 0,
                       ["logs/nova-api.log"])
    page = render_page(walk, messages("en"))
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "logs/nova-api.log:7" in page
