"""A static PNG of a report figure, drawn by kaleido in a headless Chromium or Chrome.

kaleido drives a browser that is already installed (Debian's `chromium`); it never
downloads one here.  `find_browser` looks where a user would expect: $BROWSER_PATH,
then the usual executable names on $PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from analyzer.errors import InputError, OutputError

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
WIDTH_PX = 1400


def find_browser() -> str | None:
    """Path of a Chromium-based browser: $BROWSER_PATH when set, else the first on $PATH."""
    chosen = os.environ.get("BROWSER_PATH")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser() -> str:
    """The browser --png will use; InputError with the way to install one when there is none."""
    browser = find_browser()
    if browser is None:
        where = f" at BROWSER_PATH={os.environ['BROWSER_PATH']!r}" if os.environ.get("BROWSER_PATH") else ""
        raise InputError(f"--png needs Chromium or Chrome to draw the image and found none{where}; "
                         "install it (Debian: apt-get install chromium) or set BROWSER_PATH")
    try:
        import kaleido  # noqa: F401, PLC0415
    except ImportError as exc:
        raise InputError("--png needs the kaleido package: pip install kaleido") from exc
    return browser


def write_png(figure: dict[str, object], template: dict[str, object], target: Path, browser: str) -> None:
    """Draw `figure` (a plotly dict) with `template` into `target` as a PNG."""
    import kaleido  # noqa: PLC0415

    layout = dict(figure["layout"])  # type: ignore[arg-type]
    layout["template"] = template
    height = int(layout.get("height") or 500)  # type: ignore[call-overload]
    try:
        image = kaleido.calc_fig_sync({"data": figure["data"], "layout": layout},
                                      opts={"format": "png", "width": WIDTH_PX, "height": height, "scale": 1},
                                      kopts={"path": browser, "mathjax": False})
    except Exception as exc:  # kaleido and the browser fail in many ways; each is one line for the user
        raise OutputError(f"{target}: the image could not be drawn with {browser}: "
                          f"{type(exc).__name__}: {exc}") from exc
    try:
        target.write_bytes(image)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from exc
