"""Representational paths and per-step geometry (#17): the built-in recurrent and feedforward
conv nets, models seen on some sets only, the paths stage (anchors exact, identity chains of
length 0, paths as polylines of the stored coordinates) and the steps stage."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr
from torchvision.models.feature_extraction import get_graph_node_names

from repgeom import config as cfg, layer_paths, plan, selection, store
from repgeom.errors import ConfigError, InvalidInputError
from repgeom.metrics.rsa import rdm, vector_to_matrix
from repgeom.models.convnets import convnet
from repgeom.stages.paths import paths_stage
from repgeom.stages.steps import embed, steps_stage
from tests.unit.test_study_stages import _layer_store

N_PER_CLASS, CLASSES, SIDE = 8, ("a", "b", "c"), 4


def n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_recurrent_and_feedforward_nets_are_size_matched_and_list_their_steps():
    recurrent, feedforward = convnet(), convnet(recurrent=False, channels=8)
    assert abs(n_params(recurrent) / n_params(feedforward) - 1) < 0.03
    rec_nodes = get_graph_node_names(recurrent.eval())[1]
    ff_nodes = get_graph_node_names(feedforward.eval())[1]
    assert ["conv2", "conv2_1", "conv2_4"] <= rec_nodes and "conv2_5" not in rec_nodes
    steps = ["step", "step_1", "step_2", "step_3", "step_4"]
    assert all(s in rec_nodes and s in ff_nodes for s in steps)
    assert len({id(c.weight) for c in feedforward.convs}) == 5


def test_the_recurrent_net_applies_one_convolution_at_every_step():
    torch.manual_seed(0)
    net = convnet(steps=3, channels=4).eval()
    x = torch.rand(2, 3, 16, 16)
    h = net.stem(torch.relu(net.conv1(x)))
    for _ in range(3):
        h = torch.relu(h + net.conv2(h))
    expected = net.fc(h.mean(dim=(2, 3)))
    torch.testing.assert_close(net(x), expected)


# -- models seen on some sets only ---------------------------------------------------------


def _config(**paths_spec):
    return cfg.validate(
        {
            "stimsets": {
                "p": {"kind": "gratings"},
                "d": {"kind": "digits", "n": 60},
                "c": {"kind": "drifting_gratings", "n_frames": 2},
            },
            "models": {
                "big": {"architecture": "resnet18", "layers": ["block1", "block2"]},
                "small": {
                    "architecture": "repgeom.models.convnets:convnet",
                    "layers": ["stem", "step"],
                    "stimsets": ["d"],
                },
            },
            "analyses": {
                "distances": {"stimsets": ["p"]},
                "paths": paths_spec,
                "steps": {"model": "small"} if paths_spec else {},
            },
        }
    )


def test_a_model_restricted_to_some_sets_is_extracted_and_compared_there_only():
    config = _config(stimset="d")
    targets = plan.targets(config)
    assert "results/activations/d/small" in targets
    assert "results/activations/p/small" not in targets
    assert selection.models_on(config, "p") == ["big"]
    assert not any(
        "/small/" in f for f in selection.representation_files(config, "p")["activations"]
    )
    assert "results/paths/d.nc" in targets and "results/steps/d/small.nc" in targets
    assert selection.path_models(config) == ["big", "small"]
    assert {"paths", "steps"} <= set(plan.figures(config))
    assert (
        plan.spec(config, "activations", stimset="d", model="small")["model"].get("stimsets")
        is None
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["models"]["small"].update(stimsets=["nope"]), "not a stimulus set"),
        (lambda c: c["analyses"]["paths"].update(stimset="p", models=["small"]), "not extracted"),
        (lambda c: c["analyses"]["paths"].update(stimset="nope"), "not a stimulus set"),
        (lambda c: c["analyses"]["steps"].update(model="big", stimset="c"), "clips"),
        (lambda c: c["analyses"]["paths"]["metric"].update(alpha=3), "alpha"),
    ],
)
def test_bad_paths_settings_are_config_errors(change, message):
    config = copy.deepcopy(dict(_config(stimset="d")))
    cfg.check(config)
    change(config)
    with pytest.raises(ConfigError, match=message):
        cfg.check(cfg.validate(config))


# -- the paths stage ---------------------------------------------------------------------


def _stimuli(tmp_path, images, labels):
    ds = xr.Dataset(
        {"images": (("stimulus", "channel", "y", "x"), images)},
        coords={
            "stimulus_id": ("stimulus", [f"s{i:02d}" for i in range(len(labels))]),
            "category": ("stimulus", labels),
        },
    )
    ds.attrs.update(store.provenance("stimuli", stimset="toy"))
    return store.write(ds, tmp_path / "stimuli.nc", "stimuli")


def _layer(tmp_path, X, labels, model, layer, index, n_layers):
    ds = _layer_store(
        X,
        labels,
        stimset="toy",
        model=model,
        arch=model,
        layer=layer,
        index=index,
        n_layers=n_layers,
    )
    ds = ds.assign_coords(stimulus_id=("stimulus", [f"s{i:02d}" for i in range(len(labels))]))
    return store.write(ds, tmp_path / f"{model}.{layer}.nc", "activations")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A categorised toy set; model ``copy`` has a layer equal to the pixels, its copy, and one
    equal to the one-hot labels; model ``still`` three identical random layers."""
    tmp = tmp_path_factory.mktemp("paths")
    rng = np.random.default_rng(0)
    labels = np.repeat(CLASSES, N_PER_CLASS)
    images = rng.random((len(labels), 3, SIDE, SIDE))
    pixels = images.reshape(len(labels), -1)
    onehot = np.eye(len(CLASSES))[np.repeat(np.arange(len(CLASSES)), N_PER_CLASS)]
    noise = rng.standard_normal((len(labels), 7))
    layers = {
        "copy": {"in": pixels, "in_again": pixels, "out": onehot},
        "still": {"l1": noise, "l2": noise, "l3": noise},
    }
    files = [
        _layer(tmp, X, labels, model, name, i, len(named))
        for model, named in layers.items()
        for i, (name, X) in enumerate(named.items())
    ]
    spec = {
        "stimset": "toy",
        "models": list(layers),
        "method": "linear_shape",
        "params": {"alpha": 1.0},
    }
    out = paths_stage(_stimuli(tmp, images, labels), files, spec, tmp / "paths.nc")
    return store.read(out, "paths"), pixels, onehot


def test_anchors_are_the_pixels_and_the_one_hot_labels(toy):
    ds, _, _ = toy
    d = ds["distance"].to_pandas()
    assert d.loc["pixels", "copy/in"] == pytest.approx(0, abs=1e-6)
    assert d.loc["labels", "copy/out"] == pytest.approx(0, abs=1e-6)
    assert d.loc["pixels", "labels"] > 0.3
    assert list(ds["rep_model"].values[[0, -1]]) == ["anchor", "anchor"]


def test_identity_chains_have_length_zero_and_anchored_length_obeys_the_triangle_inequality(toy):
    ds, _, _ = toy
    length = ds["path_length"].to_pandas()
    anchored = ds["anchored_path_length"].to_pandas()
    d = ds["distance"].to_pandas()
    assert length["still"] == pytest.approx(0, abs=1e-6)
    # copy: pixels = in = in_again, then out = labels: all of it is the one step in -> out
    assert length["copy"] == pytest.approx(d.loc["pixels", "labels"], abs=1e-6)
    assert anchored["copy"] == pytest.approx(length["copy"], abs=1e-6)
    assert (anchored >= d.loc["pixels", "labels"] - 1e-9).all()


def test_a_models_path_is_a_polyline_of_the_stored_coordinates_in_depth_order(toy):
    ds, _, _ = toy
    copy_rows = ds["rep_model"].values == "copy"
    assert list(ds["rep_layer"].values[copy_rows]) == ["in", "in_again", "out"]
    assert list(ds["rep_step"].values[copy_rows]) == [0, 1, 2]
    xy = ds["coordinate"].values
    assert xy.shape == (ds.sizes["rep"], 2) and np.isfinite(xy).all()
    rho = spearmanr(pdist(xy), squareform(ds["distance"].values, checks=False))[0]
    assert rho > 0.7  # the plane keeps the order of the metric's distances


def test_one_hot_codes_and_path_length_errors():
    np.testing.assert_array_equal(layer_paths.one_hot(["b", "a", "b"]), [[0, 1], [1, 0], [0, 1]])
    with pytest.raises(InvalidInputError, match="two classes"):
        layer_paths.one_hot(["a", "a"])
    D = np.array([[0, 1, np.nan], [1, 0, 2], [np.nan, 2, 0]])
    assert layer_paths.path_length(D, [0, 1, 2]) == 3
    assert layer_paths.path_length(D, [1]) == 0
    with pytest.raises(InvalidInputError, match="NaN"):
        layer_paths.path_length(D, [0, 2])


# -- the steps stage ---------------------------------------------------------------------


def test_steps_store_rdms_and_maps_equal_those_of_the_raw_layers(tmp_path):
    rng = np.random.default_rng(1)
    labels = np.repeat(CLASSES, 12)
    raw = [rng.standard_normal((len(labels), w)) for w in (50, 5)]
    files = [_layer(tmp_path, X, labels, "m", f"l{i}", i, 2) for i, X in enumerate(raw)]
    spec = {"stimset": "toy", "model": "m", "rdm_method": "correlation"}
    ds = store.read(steps_stage(files, spec, tmp_path / "steps.nc"), "steps")
    for i, X in enumerate(raw):
        np.testing.assert_allclose(
            ds["rdm"].values[i], vector_to_matrix(rdm(X, "correlation")), atol=1e-10
        )
        pca = ds["embedding"].sel(projection="PCA").values[i]
        np.testing.assert_allclose(pdist(pca), pdist(embed(X, "PCA")), atol=1e-8)
    assert list(ds["projection"].values) == ["PCA", "MDS", "t-SNE"]
    assert np.isfinite(ds["embedding"].values).all()
    assert list(ds["category"].values) == list(labels)
