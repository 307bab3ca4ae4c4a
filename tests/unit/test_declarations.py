"""Stages and figures are declared once; the CLI, the planner and the rules derive from that."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from repgeom import config as cfg, layout, plan, store
from repgeom.cli import build_parser
from repgeom.figures import FIGURES, Figure, register
from repgeom.labelled import pair_matrix
from repgeom.stages import STAGES

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "workflow" / "rules"


def _rule_files() -> str:
    return "\n".join(p.read_text() for p in sorted(RULES.glob("*.smk")))


def test_every_stage_has_a_cli_command_and_a_rule():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    text = _rule_files()
    for name, stage in STAGES.items():
        assert stage.command in commands, f"stage {name}: no `repgeom {stage.command}`"
        assert re.search(rf"^rule {name}:", text, re.M), f"stage {name}: no rule"
        rule = text.split(f"rule {name}:", 1)[1].split("\nrule ", 1)[0]
        assert f'STAGES["{name}"].shell' in rule and f'STAGES["{name}"].output' in rule


def test_the_cli_parses_what_each_rule_passes():
    """Fill each rule's shell command with dummy values: the stage's parser accepts it."""
    parser = build_parser()
    for stage in STAGES.values():
        words = stage.shell.split(" 2> ")[0].split()[1:]  # drop {params.py} and the log
        argv = [re.sub(r"\{.*\}", "x", w) if "{" in w else w for w in words]
        previous = ["", *argv[:-1]]
        numbers = {f"--{arg.name}" for arg in stage.args if arg.type is int}
        argv = ["2" if flag in numbers else a for flag, a in zip(previous, argv, strict=True)]
        args = parser.parse_args(argv)
        assert args.func == stage.main


def test_every_figure_has_a_caption_and_the_default_config_draws_each():
    config = cfg.load(REPO / "config.yaml")
    assert plan.figures(config) == list(FIGURES)
    for name, figure in FIGURES.items():
        assert figure.caption_file.is_file(), f"figure {name}: no caption {figure.caption_file}"
        assert figure.inputs(config), f"figure {name}: no inputs"


def test_a_registered_figure_is_planned_and_offered_by_the_cli(monkeypatch):
    import repgeom.figures

    monkeypatch.setattr(repgeom.figures, "FIGURES", dict(FIGURES))
    monkeypatch.setattr(plan, "FIGURES", repgeom.figures.FIGURES)
    toy = Figure(
        name="toy",
        drawn=lambda config: True,
        inputs=lambda config: [plan.STIMULI.format(stimset=s) for s in config["stimsets"]],
        render=lambda inputs, out: [],
    )
    register(toy)
    config = cfg.load(REPO / "config.yaml")
    assert "toy" in plan.figures(config) and "figures/toy.png" in plan.targets(config)
    assert build_parser().parse_args(["figure", "toy", "--out", "f", "a.nc"]).name == "toy"
    with pytest.raises(Exception, match="already registered"):
        register(Figure("toy", toy.drawn, toy.inputs, lambda inputs, out: []))


def test_distance_blocks_come_from_one_block_grid():
    config = cfg.load(REPO / "config.yaml")  # 35 representations, blocks of 18 -> 3 blocks
    labels = [p.rsplit("/", 1)[1] for p in plan.distance_blocks(config, "photos", "cka_angular")]
    assert labels == ["0-0.nc", "0-1.nc", "1-1.nc"]


def _distance_store(tmp_path: Path) -> Path:
    names = ["m/a", "m/b", "m/c", "v1"]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 3))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    da = pair_matrix(
        D,
        names,
        labels={
            "source": ["model"] * 3 + ["brain"],
            "model": ["m", "m", "m", "v1"],
            "layer": ["a", "b", "c", "-"],
            "training": ["untrained"] * 3 + ["brain"],
            "depth": [0.0, 0.5, 1.0, 1.0],
        },
        attrs={"metric": "shape", "method": "linear_shape", "params": "{}", "measure": "distance"},
    )
    from repgeom.stages.distances_combine import layout_variables

    ds = da.to_dataset().assign(layout_variables(da))
    ds.attrs.update(da.attrs)
    ds.attrs.update(store.provenance("distances", stimset="s", n_blocks=1))
    return store.write(ds, tmp_path / "d.nc", "distances")


def _drawn_figure(monkeypatch, render, inputs, out):
    import repgeom.figures.style as style

    captured = []
    monkeypatch.setattr(style, "save", lambda fig, out_stem, inputs=(): captured.append(fig))
    render(inputs, out)
    return captured[0]


def _scatter_points(fig) -> np.ndarray:
    from matplotlib.collections import PathCollection

    return np.concatenate(
        [
            c.get_offsets()
            for ax in fig.axes
            for c in ax.collections
            if isinstance(c, PathCollection)
        ]
    )


def test_the_shape_figure_draws_the_stored_mds_map_in_representation_order(tmp_path, monkeypatch):
    path = _distance_store(tmp_path)
    ds = store.read(path, "distances")
    np.testing.assert_allclose(ds["mds"].values, layout.mds_coordinates(ds["distance"].values))
    coords = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])
    ds = ds.assign(mds=(ds["mds"].dims, coords), leaf_order=("rep_a", [2, 0, 3, 1]))
    path = store.write(ds, tmp_path / "hand.nc", "distances")
    fig = _drawn_figure(monkeypatch, FIGURES["shape"].render, [path], tmp_path / "shape")
    points = _scatter_points(fig)
    assert sorted(map(tuple, points)) == sorted(map(tuple, coords))
    heatmap_axis = next(ax for ax in fig.axes if ax.get_title(loc="left").startswith("a  "))
    assert heatmap_axis.get_title(loc="left") == "a  Procrustes angle"  # alpha 1, angular
    labels = [t.get_text() for t in heatmap_axis.get_yticklabels()]
    names = [str(n) for n in ds["rep_a"].values]
    assert labels == names  # the store's order: each model's layers by depth, brains last


def test_the_rsa_figure_draws_stored_percentiles(tmp_path, monkeypatch):
    dist = _distance_store(tmp_path)
    M = np.zeros((4, 3, 3))
    ds = xr.Dataset(
        {
            "rdm": (("rep", "stimulus", "stimulus_"), M),
            "rdm_percentile": (("rep", "stimulus", "stimulus_"), M + 42.0),
        },
        coords={
            "rep": ["m/a", "m/b", "m/c", "v1"],
            "stimulus_id": ("stimulus", ["s0", "s1", "s2"]),
            "category": ("stimulus", ["x", "x", "y"]),
            "rep_source": ("rep", ["model"] * 3 + ["brain"]),
            "rep_model": ("rep", ["m", "m", "m", "v1"]),
            "rep_layer": ("rep", ["a", "b", "c", "-"]),
        },
    )
    ds["rdm"].attrs["method"] = "correlation"
    ds.attrs.update(store.provenance("rdms", stimset="s"))
    rdms = store.write(ds, tmp_path / "r.nc", "rdms")
    fig = _drawn_figure(monkeypatch, FIGURES["rsa"].render, [rdms, dist], tmp_path / "rsa")
    images = [ax.images[0].get_array() for ax in fig.axes[:4]]
    assert all(np.all(np.asarray(im) == 42.0) for im in images)
