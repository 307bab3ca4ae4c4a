"""Manuscript figures: one module per figure, each reading only result stores.

Every module exposes ``render(inputs, out_stem)`` and writes ``{out_stem}.png`` and
``{out_stem}.pdf``.
"""

from repgeom.figures import dimensionality, dsa, ed_encoding, encoding_profiles, rsa, shape, stimuli
from repgeom.plan import FIGURE_NAMES

FIGURES = {
    "stimuli": stimuli.render,
    "dimensionality": dimensionality.render,
    "ed_encoding": ed_encoding.render,
    "encoding_profiles": encoding_profiles.render,
    "rsa": rsa.render,
    "shape": shape.render,
    "dsa": dsa.render,
}
if set(FIGURES) != set(FIGURE_NAMES):  # one vocabulary: plan.FIGURE_NAMES
    raise ImportError(f"figure modules {sorted(FIGURES)} differ from {FIGURE_NAMES}")

__all__ = ["FIGURES"]
