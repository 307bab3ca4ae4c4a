"""Manuscript figures: one module per figure, each reading only result stores.

Every module exposes ``render(inputs, out_stem)`` and writes ``{out_stem}.png`` and
``{out_stem}.pdf``.
"""

from repgeom.figures import dimensionality, ed_encoding, stimuli

FIGURES = {
    "stimuli": stimuli.render,
    "dimensionality": dimensionality.render,
    "ed_encoding": ed_encoding.render,
}

__all__ = ["FIGURES"]
