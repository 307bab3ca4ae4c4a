"""The house checks of a figure (repgeom.figures.checks): each rule catches its breach."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from repgeom.figures import checks  # noqa: E402


def _figure(width: float, **text) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(width, 2), layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=text.get("ticks", 8))
    ax.set_title("title", fontsize=text.get("title", 8))
    return fig


def test_a_figure_drawn_at_print_size_with_legible_text_passes() -> None:
    fig = _figure(checks.DOUBLE_COLUMN_IN - 0.3)
    assert checks.problems(fig) == []
    assert checks.print_scale(fig) == 1.0


def test_small_text_is_caught_at_the_printed_size() -> None:
    assert any("prints at 6.0 pt" in p for p in checks.problems(_figure(5, ticks=6)))
    # 8 pt on a 14.4-inch figure prints at about 4 pt in a 183 mm column
    wide = checks.problems(_figure(2 * checks.DOUBLE_COLUMN_IN))
    assert wide and all("prints at" in p for p in wide)


def test_a_colour_mapping_needs_a_colour_bar_or_legend() -> None:
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    image = ax.imshow(np.random.default_rng(0).random((4, 4)))
    assert any("AxesImage maps colours" in p for p in checks.problems(fig))
    fig.colorbar(image, ax=ax)
    assert checks.problems(fig) == []


def test_an_rgb_picture_maps_no_colours() -> None:
    fig, ax = plt.subplots(figsize=(3, 3), layout="constrained")
    ax.imshow(np.zeros((4, 4, 3)))
    assert checks.problems(fig) == []


def test_text_outside_the_canvas_is_caught() -> None:
    fig = _figure(5)
    fig.text(1.2, 0.5, "far right")
    assert any("far right" in p and "leaves" in p for p in checks.problems(fig))


def test_one_colour_bar_keys_every_image_on_its_scale_but_not_others() -> None:
    fig, axes = plt.subplots(1, 3, figsize=(6, 2), layout="constrained")
    data = np.random.default_rng(0).random((4, 4))
    shared = [ax.imshow(data, cmap="bone", vmin=0, vmax=1) for ax in axes[:2]]
    fig.colorbar(shared[-1], ax=axes[:2].tolist())
    assert checks.problems(fig) == []
    axes[2].imshow(data, cmap="magma", vmin=0, vmax=5)
    axes[2].plot([0, 1], [0, 1], label="a line")
    axes[2].legend()  # a legend does not key a continuous colour map
    assert len(checks.problems(fig)) == 1
