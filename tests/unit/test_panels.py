"""Model colours and keys: one colour per model, the same in every figure; past 20 models one
colour per family (the seeds of one architecture and training), and the keys say so."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from repgeom.figures import panels  # noqa: E402

PAPER = [
    *(f"resnet18_s{i:02d}" for i in range(11)),
    *(f"resnet50_s{i:02d}" for i in range(4)),
    *(f"alexnet_s{i:02d}" for i in range(10)),
    *(f"resnet18_sup_s{i:02d}" for i in range(3)),
    *(f"resnet18_simclr_s{i:02d}" for i in range(3)),
]


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("resnet18_sup_s02", "resnet18_sup"),
        ("alexnet_seed3", "alexnet"),
        ("vgg16-s1", "vgg16"),
        ("resnet18", "resnet18"),  # the 18 is part of the name, not a seed
        ("squeezenet1_1", "squeezenet1_1"),
        ("vit_b_16", "vit_b_16"),
        ("v1_photos", "v1_photos"),
    ],
)
def test_model_family(name, family):
    assert panels.model_family(name) == family


def test_few_models_each_have_their_own_colour_and_key():
    models = ["b_model", "a_model", "c_model"]
    colors = panels.model_colors(models, brains=["v1"])
    assert len(set(colors.values())) == 3
    assert colors == panels.model_colors(list(reversed(models)))  # order does not matter
    assert [label for label, _ in panels.colour_key([*models, "v1"], ["v1"])] == [*models, "v1"]


def test_many_models_share_their_familys_colour_and_the_key_lists_families():
    colors = panels.model_colors([*PAPER, "v1"], brains=["v1"])
    family = {m: panels.model_family(m) for m in PAPER}
    for a in PAPER:
        for b in PAPER:
            assert (colors[a] == colors[b]) == (family[a] == family[b])
    assert to_hex(colors["v1"]) not in {to_hex(colors[m]) for m in PAPER}
    key = panels.colour_key([*PAPER, "v1"], ["v1"])
    assert [label for label, _ in key] == [
        "resnet18 (11 seeds)",
        "resnet50 (4 seeds)",
        "alexnet (10 seeds)",
        "resnet18_sup (3 seeds)",
        "resnet18_simclr (3 seeds)",
        "v1",
    ]
    assert [c for _, c in key[:2]] == [colors["resnet18_s00"], colors["resnet50_s00"]]


def test_matrix_ticks_label_families_past_twenty_models():
    groups = [m for m in PAPER for _ in range(2)]  # two layers a model
    fig, ax = plt.subplots()
    panels.group_ticks(ax, groups)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "resnet18",
        "resnet50",
        "alexnet",
        "resnet18_sup",
        "resnet18_simclr",
    ]
    plt.close(fig)


def test_brain_colours_stay_apart_from_any_number_of_families():
    models = [f"arch{k}_s{i}" for k in range(18) for i in range(2)]  # 18 families, 36 models
    colors = panels.model_colors([*models, "v1", "it"], brains=["v1", "it"])
    brains = {to_hex(colors["v1"]), to_hex(colors["it"])}
    assert not brains & {to_hex(colors[m]) for m in models}
    assert len({to_hex(colors[m]) for m in models}) == 16  # the wide palette, then repeats


def test_matrix_ticks_skip_runs_too_short_for_a_label_and_name_them():
    """A run of one row beside other short runs gets no tick of its own (labels would
    overlap); the axis names the unlabelled runs in order, and the long runs keep theirs."""
    groups = ["a"] * 40 + ["b"] * 40 + ["c"] * 2 + ["d"] * 1 + ["e"] * 2 + ["brain"] * 1
    fig, ax = plt.subplots()
    panels.group_ticks(ax, groups)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # 86 rows, a label needs 86/16 = 5.4: longest first, a (19.5) and b (59.5), then c (80.5,
    # 21 rows from b); e (83.5), d (82) and brain (85) are within 5.4 rows of c
    assert labels == ["a", "b", "c"]
    hidden = [g for g in dict.fromkeys(groups) if g not in labels]
    assert ax.get_xlabel() == "unlabelled blocks, in order: " + ", ".join(hidden)
    ticks = ax.get_yticks()
    assert np.diff(ticks).min() >= panels.MIN_LABEL_SPACING * len(groups)
    plt.close(fig)
