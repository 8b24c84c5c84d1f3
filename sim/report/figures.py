"""A figure as the report carries it: a PNG (base64) with its title and one-line reading.

A plot that does not apply to a run (a backlog by day for a one-day run) is a
:class:`Plot` with no image and a note saying why, never an empty axis.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ["#1f5f8b", "#d1762b", "#3a8f4a", "#b03a48", "#6c4f9c", "#8a6d3b", "#c05fa0", "#5f6b73", "#a6a23a", "#2a9d9a"]
TYPE_COLOURS = ["#4c78a8", "#f2a541", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d", "#bab0ac"]
DOCUMENTED_LOW, DOCUMENTED_HIGH = 20, 30  # charts per coder per day (project domain description)
ECDF_POINTS = 2000  # steps drawn per curve (see ecdf)
DPI = 110  # pixels per inch of the report's PNGs
PNG_COMPRESSION = 1  # zlib level: an RGB PNG at 1 is about the size of matplotlib's RGBA one at 6, in half the time


@dataclass(frozen=True)
class Plot:
    """One figure of the report, or the note that replaces it."""

    key: str
    title: str
    reading: str = ""
    png: str | None = None  # base64-encoded PNG
    note: str = ""

    @property
    def drawn(self) -> bool:
        return self.png is not None

    def _repr_png_(self) -> bytes | None:
        """Shown as an image in a notebook."""
        return base64.b64decode(self.png) if self.png else None


def new_figure(width: float = 8.0, height: float = 4.0) -> Figure:
    """A figure bound to the Agg canvas (no pyplot, no display needed).

    matplotlib loads here, at the first figure, not with the report's
    modules: reading a run folder or writing the workbook needs none of it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> str:
    """The figure as base64 PNG text, opaque RGB (the figure is drawn on white).

    The same pixels as ``fig.savefig(buf, format="png", dpi=DPI)`` in about
    two thirds of the time: ``savefig`` draws a figure with a layout engine
    twice (once to lay it out, once to render), ``canvas.draw`` lays it out
    and renders it in one pass; and an RGB PNG, with no alpha channel to
    compress, is written faster than matplotlib's RGBA one.
    """
    from PIL import Image  # Pillow: matplotlib's own dependency for writing PNG

    buf, dpi = io.BytesIO(), fig.get_dpi()
    fig.set_dpi(DPI)
    try:
        fig.canvas.draw()
        size = fig.canvas.get_width_height(physical=True)
        rgba = Image.frombuffer("RGBA", size, fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        rgba.convert("RGB").save(buf, format="png", compress_level=PNG_COMPRESSION, dpi=(DPI, DPI))
    finally:
        fig.set_dpi(dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def omitted(key: str, title: str, note: str) -> Plot:
    return Plot(key=key, title=title, note=note)


def text(label: object, limit: int = 40) -> str:
    """User text made safe for matplotlib (no mathtext) and short enough for a legend."""
    s = str(label)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("$", r"\$")


def ecdf(values: np.ndarray, points: int = ECDF_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The empirical CDF as (value, % at or below) steps; at most ``points`` + 1 of them.

    A million charts make a million steps no screen can show: above
    ``points`` values the curve keeps every ``n/points``-th order statistic
    and the last, so it is off by at most 100/``points`` percentage points.
    """
    x = np.sort(values)
    n = len(x)
    if n <= points:
        return x, np.arange(1, n + 1) / n * 100
    keep = np.unique(np.append(np.linspace(0, n - 1, points).round().astype(int), n - 1))
    return x[keep], (keep + 1) / n * 100
