"""What keeps a figure from print: the house rules of :mod:`repgeom.figures`, checked on the
matplotlib objects themselves.

A figure is printed at a journal's column width: :data:`SINGLE_COLUMN_IN` (89 mm) when its saved
width (the tight bounding box the PNG and PDF are cut to) is at most that, else
:data:`DOUBLE_COLUMN_IN` (183 mm), and scaled down (never up) to it. At that size

- no visible text is smaller than :data:`MIN_PRINTED_PT`;
- every artist that maps values to colours (an image, a mesh, a scatter with an array) has a
  colour bar — its own, or one on the same colour map and limits — or, for categories (a
  colour map of a few colours, a scatter), a legend in its figure;
- no drawn text leaves the figure's canvas (the saved files are cut to the tight bounding box,
  so such text would silently widen the figure and shrink everything at print).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox

#: Journal column widths in inches (Nature: 89 mm single, 183 mm double).
SINGLE_COLUMN_IN, DOUBLE_COLUMN_IN = 89 / 25.4, 183 / 25.4
#: The smallest text allowed at the printed size, in points.
MIN_PRINTED_PT = 7.0
#: A colour map of at most this many colours draws categories (a legend may key it).
MAX_CATEGORIES = 20


def saved_bbox(fig: plt.Figure) -> Bbox:
    """The area the saved files hold, in inches (``savefig.bbox = "tight"``)."""
    renderer = fig.canvas.get_renderer()
    return fig.get_tightbbox(renderer)


def print_scale(fig: plt.Figure) -> float:
    """Factor from the saved size to the printed size (≤ 1)."""
    width = saved_bbox(fig).width
    column = SINGLE_COLUMN_IN if width <= SINGLE_COLUMN_IN else DOUBLE_COLUMN_IN
    return min(1.0, column / width)


def drawn_texts(fig: plt.Figure) -> list[Text]:
    """The texts a draw of ``fig`` actually renders (tick labels outside the view limits
    exist but are not drawn), non-empty and visible."""
    drawn: list[Text] = []
    original = Text.draw

    def record(self: Text, renderer: object) -> None:
        drawn.append(self)
        original(self, renderer)

    Text.draw = record  # type: ignore[method-assign]
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original  # type: ignore[method-assign]
    return [t for t in dict.fromkeys(drawn) if t.get_visible() and t.get_text().strip()]


def problems(fig: plt.Figure) -> list[str]:
    """Every breach of the house rules in ``fig``, one line each (empty: printable)."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    scale = print_scale(fig)
    found = []
    for t in texts:
        printed = t.get_fontsize() * scale
        if printed < MIN_PRINTED_PT - 1e-9:
            found.append(f"text {t.get_text()[:40]!r} prints at {printed:.1f} pt")
        box = t.get_window_extent(renderer)
        if not fig.bbox.padded(1).contains(box.x0, box.y0) or not fig.bbox.padded(1).contains(
            box.x1, box.y1
        ):
            found.append(f"text {t.get_text()[:40]!r} leaves the figure's canvas")
    mapped = [
        a
        for a in fig.findobj(lambda o: isinstance(o, ScalarMappable))
        if a.get_array() is not None
        and getattr(a, "get_visible", lambda: True)()
        and a.get_array().ndim < 3  # an RGB(A) picture maps no values to colours
    ]
    # a colour bar's axes know it (matplotlib sets ``Axes._colorbar``), also for a bar drawn
    # from a mappable that is not in the figure (a colour scale for lines)
    every_axes = fig.findobj(Axes)  # inset axes (an inset colour bar) included
    bars = [ax._colorbar for ax in every_axes if getattr(ax, "_colorbar", None) is not None]
    bar_axes = {b.ax for b in bars}
    mapped = [a for a in mapped if a.axes not in bar_axes]  # a colour bar's own swatches
    keyed = {_scale(b.mappable) for b in bars}
    has_legend = bool(fig.findobj(Legend))  # the figure's, a subfigure's or an axes' legends
    for artist in mapped:
        if getattr(artist, "colorbar", None) is not None or _scale(artist) in keyed:
            continue  # its own colour bar, or one on the same colour map and limits
        categorical = artist.get_cmap().N <= MAX_CATEGORIES or isinstance(artist, PathCollection)
        if not (categorical and has_legend):  # categories may be keyed by a legend instead
            found.append(f"{type(artist).__name__} maps colours without a colour bar or legend")
    return found


def _scale(artist: ScalarMappable) -> tuple:
    """What a colour bar keys: the colour map and its value limits."""
    return artist.get_cmap().name, tuple(float(v) for v in artist.get_clim())
