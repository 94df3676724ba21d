"""The HTML document around every novatrace page: one policy, one style sheet, header and nav.

The report and the replay comparison are self-contained files; both forbid any fetch with the
same Content-Security-Policy and share the style sheet, so their shell is written once here.
"""

from __future__ import annotations

from analyzer.report._assets import CONTENT_SECURITY_POLICY, STYLE
from analyzer.report._text import esc


def document(title: str, subtitle: str, nav: str, body: str, *, meta: str = "", style: str = "",
             head: str = "", scripts: str = "") -> str:
    """The page: `nav` and `body` are HTML already escaped; `title` and `subtitle` are text.

    `meta` goes before the title, `style` after the shared style sheet, `head` after the style
    element (an inlined library), `scripts` after `</main>`.
    """
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta}<title>{esc(title)}</title>
<style>{STYLE}{style}</style>
{head}</head>
<body>
<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>
<nav>{nav}</nav>
<main>
{body}</main>
{scripts}</body>
</html>
"""
