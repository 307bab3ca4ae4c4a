"""Stage functions, called directly (the workflow tests call them through Snakemake)."""

import numpy as np
import pytest
import xarray as xr

from repgeom import store
from repgeom.errors import InvalidInputError
from repgeom.stages.activations import activations_stage
from repgeom.stages.dimensionality import dimensionality_stage
from repgeom.stages.stimuli import stimuli_stage

SPEC = {
    "model": {
        "architecture": "resnet18",
        "weights": "untrained",
        "seed": 0,
        "layers": ["stem", "pool"],
        "kwargs": {},
    },
    "training": "untrained",
    "batch_size": 4,
    "device": "cpu",
    "store_raw": True,
    "layer_policy": {"spatial": "flatten", "tokens": "cls"},
}


@pytest.fixture(scope="module")
def stimuli(tmp_path_factory):
    out = tmp_path_factory.mktemp("stim") / "g.nc"
    spec = {
        "kind": "gratings",
        "size": 32,
        "orientations": 3,
        "spatial_frequencies": [2.0],
        "phases": 3,
    }
    return stimuli_stage("g", spec, out)


def test_store_raw_keeps_raw_activations_beside_the_exact_reduction(stimuli, tmp_path):
    paths = activations_stage("g", "r18", SPEC, stimuli, tmp_path / "acts")
    assert [p.name for p in paths] == ["stem.nc", "pool.nc"]
    ds = store.read(tmp_path / "acts" / "stem.nc", "activations")
    raw = ds["raw"].values.astype(np.float64)
    Z = ds["features"].values
    assert ds["raw"].dims == ("stimulus", "unit") and raw.shape == (9, 64 * 8 * 8)
    np.testing.assert_allclose(Z @ Z.T, raw @ raw.T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ds["row_mean"].values, raw.mean(1), rtol=1e-6)
    assert ds.attrs["n_units"] == 4096 and ds.attrs["node"] == "maxpool"
    assert not list((tmp_path / "acts").glob(".scratch-*"))  # scratch folder removed


def test_dimensionality_stage(stimuli, tmp_path):
    activations_stage("g", "r18", {**SPEC, "store_raw": False}, stimuli, tmp_path / "a")
    out = dimensionality_stage(
        [tmp_path / "a"], {"powerlaw_method": "fix_alpha"}, tmp_path / "d.nc"
    )
    ds = store.read(out, "dimensionality")
    assert ds.sizes == {"model": 1, "layer": 2, "stimset": 1, "spectrum_index": 9}
    assert list(ds["layer_depth"].values[0]) == [0.0, 1.0]
    ed = ds["effective_dimensionality"].values
    assert np.all((ed >= 1) & (ed <= 9))
    with pytest.raises(InvalidInputError, match="empty: no layer stores"):
        dimensionality_stage(
            [tmp_path / "empty"], {"powerlaw_method": "fix_alpha"}, tmp_path / "x.nc"
        )


def test_encoding_stage_matches_stimuli_by_id(stimuli, tmp_path):
    from repgeom.neural import simulate_v1
    from repgeom.stages.encoding import encoding_stage

    activations_stage("g", "r18", {**SPEC, "store_raw": False}, stimuli, tmp_path / "a")
    stim = store.read(stimuli, "stimuli")
    neural = simulate_v1(stim, n_neuroids=4, n_repetitions=3, name="v1")
    neural.attrs.update(store.provenance("neural"))
    spec = {"model": "ridge", "folds": 2, "device": "cpu"}
    outs = []
    for name, ds in (
        ("ordered", neural),
        ("shuffled", neural.isel(stimulus=[3, 1, 0, 2, 8, 4, 7, 5, 6])),
    ):
        path = store.write(ds, tmp_path / f"{name}.nc", "neural")
        outs.append(
            store.read(encoding_stage([path], [tmp_path / "a"], spec, tmp_path / f"e_{name}.nc"))
        )
    np.testing.assert_array_equal(outs[0]["pearson_r"].values, outs[1]["pearson_r"].values)
    assert outs[0].sizes == {"model": 1, "layer": 2, "neural": 1, "neuroid": 4}
    assert np.isfinite(outs[0]["ceiling"].values).all()
    assert list(outs[0]["layer_depth"].values[0]) == [0.0, 1.0]


def test_per_model_encoding_stores_join_into_the_one_store(stimuli, tmp_path):
    """The workflow fits one model per job and joins them: the joined store equals one job over
    both models' folders (layers the second model lacks are NaN there)."""
    from repgeom.neural import simulate_v1
    from repgeom.stages.encoding import encoding_stage
    from repgeom.stages.encoding_combine import combine_encoding

    other = {**SPEC, "model": {**SPEC["model"], "seed": 1, "layers": ["block2", "pool"]}}
    activations_stage("g", "r18", {**SPEC, "store_raw": False}, stimuli, tmp_path / "a")
    activations_stage("g", "z18_long", {**other, "store_raw": False}, stimuli, tmp_path / "b")
    neural = simulate_v1(store.read(stimuli, "stimuli"), n_neuroids=4, n_repetitions=3, name="v1")
    neural.attrs.update(store.provenance("neural"))
    path = store.write(neural, tmp_path / "v1.nc", "neural")
    spec = {"model": "ridge", "folds": 2, "device": "cpu"}
    whole = store.read(
        encoding_stage([path], [tmp_path / "a", tmp_path / "b"], spec, tmp_path / "all.nc")
    )
    parts = [encoding_stage([path], [tmp_path / m], spec, tmp_path / f"{m}.nc") for m in ("b", "a")]
    joined = store.read(combine_encoding(parts, spec, tmp_path / "joined.nc"))
    assert list(joined["model"].values) == ["r18", "z18_long"]  # names of any length
    assert sorted(joined["layer"].values) == sorted(whole["layer"].values)
    joined = joined.reindex(layer=whole["layer"].values)
    for name in ("pearson_r", "median_normalized_r", "layer_depth", "ceiling", "n_stimuli_used"):
        xr.testing.assert_identical(joined[name], whole[name])
    assert np.isnan(joined["median_r"].sel(model="r18", layer="block2")).all()


@pytest.fixture(scope="module")
def layers_and_brain(stimuli, tmp_path_factory):
    """Two layers of an untrained ResNet-18 and a two-subject V1 on 9 gratings."""
    from repgeom.neural import simulate_v1

    tmp = tmp_path_factory.mktemp("reps")
    layers = activations_stage("g", "r18", {**SPEC, "store_raw": False}, stimuli, tmp / "a")
    stim = store.read(stimuli, "stimuli")
    neural = simulate_v1(stim, n_neuroids=6, n_repetitions=3, n_subjects=2, name="v1")
    neural.attrs.update(store.provenance("neural"))
    return layers, store.write(neural, tmp / "v1.nc", "neural")


def test_inference_stage_stores_statistics_ceilings_and_comparisons(layers_and_brain, tmp_path):
    from repgeom.inference import STATISTICS
    from repgeom.stages.inference import inference_stage

    layers, brain = layers_and_brain
    spec = {
        "stimset": "g",
        "metric": "rsa_corr",
        "method": "rsa",
        "params": {"rdm_method": "euclidean", "comparator": "corr"},
        "n_bootstrap": 20,
        "n_permutations": 0,
        "confidence": 0.9,
        "n_splits": 5,
        "seed": 3,
    }
    ds = store.read(inference_stage(layers, [brain], spec, tmp_path / "i.nc"), "inference")
    assert ds["inference"].dims == ("rep", "brain", "statistic")
    assert list(ds["statistic"].values) == list(STATISTICS)
    assert list(ds["rep"].values) == ["r18/stem", "r18/pool"]
    assert list(ds["rep_depth"].values) == [0.0, 1.0]
    assert ds["ceiling_method"].values[0] == "leave-one-subject-out (2 subjects)"
    assert int(ds["n_subjects"].values[0]) == 2
    score = ds["inference"].sel(statistic="score").values
    low, high = (ds["inference"].sel(statistic=s).values for s in ("ci_low", "ci_high"))
    assert np.all(np.isfinite(score)) and np.all(low <= high)
    assert np.isnan(ds["inference"].sel(statistic="p").values).all()  # no permutations
    assert ds["comparison_q"].dims == ("rep_a", "rep_b", "brain")
    assert ds.attrs["bootstrap_seed"] == 3 and ds.attrs["permutation_seed"] == 4
    assert ds.attrs["n_bootstrap"] == 20 and ds.attrs["measure"] == "similarity"


def test_distances_block_with_folds_stores_train_and_test(layers_and_brain, tmp_path):
    from repgeom.blocks import Block
    from repgeom.stages.distances_block import distances_block_stage

    layers, brain = layers_and_brain
    spec = {
        "stimset": "g",
        "metric": "procrustes",
        "method": "linear_shape",
        "params": {"alpha": 1.0},
        "block_size": 3,
        "cv_folds": 3,
        "device": "cpu",
    }
    out = distances_block_stage(layers, [brain], spec, Block.whole(3), tmp_path / "b.nc")
    da = store.read(out, "distances")["distance"]
    assert da.dims == ("split", "rep_a", "rep_b")
    assert list(da["split"].values) == ["train", "test"]
    train, test = da.sel(split="train").values, da.sel(split="test").values
    off = ~np.eye(3, dtype=bool)
    assert np.mean(train[off]) <= np.mean(test[off])
