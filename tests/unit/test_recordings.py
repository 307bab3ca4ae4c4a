"""A scientist's own recordings: the documented file format, the writer, `repgeom neural check`,
missing (NaN) trials and recordings on a subset of a stimulus set, through the stages."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest
import xarray as xr

from repgeom import store
from repgeom.cli import main
from repgeom.encoding import fit_encoding
from repgeom.errors import SchemaError, ShapeMismatchError
from repgeom.neural import RecordingsError, load_responses, simulate_v1, write_recordings
from repgeom.representations import feature_rows, load_representations
from repgeom.stages.activations import activations_stage
from repgeom.stages.distances_block import distances_block_stage
from repgeom.stages.encoding import encoding_stage
from repgeom.stages.neural import neural_stage
from repgeom.stages.rdms import rdms_stage
from repgeom.stages.stimuli import stimuli_stage

GRATINGS = {
    "kind": "gratings",
    "size": 32,
    "orientations": 4,
    "spatial_frequencies": [2.0],
    "phases": 3,
}
MODEL = {
    "model": {
        "architecture": "resnet18",
        "weights": "untrained",
        "seed": 0,
        "layers": ["stem", "pool"],
        "kwargs": {},
    },
    "training": "untrained",
    "batch_size": 12,
    "device": "cpu",
    "store_raw": False,
    "layer_policy": {"spatial": "flatten", "tokens": "cls"},
}
ENCODING = {"model": "ridge", "folds": 2, "device": "cpu"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A 12-grating stimulus set, its ids, a simulated population's trials on it (as plain
    numbers) and two untrained ResNet-18 layers' stores."""
    root = tmp_path_factory.mktemp("rec")
    stimuli = stimuli_stage("g", GRATINGS, root / "g.nc")
    stim = store.read(stimuli, "stimuli")
    acts = root / "acts"
    activations_stage("g", "r18", MODEL, stimuli, acts)
    sim = simulate_v1(stim, n_neuroids=6, n_repetitions=4, seed=0)
    return {
        "root": root,
        "stimuli": stimuli,
        "stim": stim,
        "ids": [str(i) for i in stim["stimulus_id"].values],
        "trials": sim["responses"].values.astype(np.float64),  # (stimulus, repetition, neuroid)
        "acts": acts,
        "layers": [acts / "stem.nc", acts / "pool.nc"],
    }


def _plain_file(path, trials, ids):
    """A recordings file written from the format's description alone: plain xarray, dims in
    another order, no repgeom attrs, no neuroid_id."""
    ds = xr.Dataset(
        {"responses": (("neuroid", "stimulus", "repetition"), np.moveaxis(trials, 2, 0))},
        coords={"stimulus_id": ("stimulus", list(ids))},
    )
    ds.to_netcdf(path)
    return path


def _neural(world, name, trials, ids):
    """A plain recordings file through the neural stage: the neural store's path."""
    rec = _plain_file(world["root"] / f"{name}_rec.nc", trials, ids)
    spec = {"kind": "file", "stimset": "g", "path": str(rec)}
    return neural_stage(name, spec, world["stimuli"], world["root"] / f"{name}.nc")


def _cka(X, Y):
    """Biased linear CKA, written out (column-centred)."""
    X, Y = X - X.mean(0), Y - Y.mean(0)
    return np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def test_a_plain_file_runs_through_the_neural_and_encoding_stages(world, tmp_path):
    path = _neural(world, "mine", world["trials"], world["ids"])
    ds = store.read(path, "neural")
    assert ds["responses"].dims == ("stimulus", "repetition", "neuroid")
    np.testing.assert_array_equal(ds["responses"].values, world["trials"])
    assert list(ds["neuroid_id"].values) == [f"n{i:04d}" for i in range(6)]
    assert list(ds["n_trials"].values) == [12 * 4] * 6
    assert ds.attrs["neural"] == "mine" and ds.attrs["schema"] == "neural"
    assert list(ds["category"].values) == list(world["stim"]["category"].values)

    out = store.read(encoding_stage([path], [world["acts"]], ENCODING, tmp_path / "e.nc"))
    assert out.sizes == {"model": 1, "layer": 2, "neural": 1, "neuroid": 6}
    assert np.isfinite(out["pearson_r"].values).all()
    assert list(out["neuroid_id"].values) == [f"n{i:04d}" for i in range(6)]
    assert int(out["n_stimuli_used"].sel(neural="mine")) == 12


def test_two_recordings_without_neuroid_ids_keep_their_own_columns(world, tmp_path):
    """Default ids repeat across datasets; the encoding store keeps each dataset's neuroids."""
    a = _neural(world, "a", world["trials"], world["ids"])
    b = _neural(world, "b", world["trials"][:, :, :4], world["ids"])
    out = store.read(encoding_stage([a, b], [world["acts"]], ENCODING, tmp_path / "e.nc"))
    assert out.sizes["neuroid"] == 10
    r = out["pearson_r"].values
    assert np.isfinite(r[:, :, 0, :6]).all() and np.isnan(r[:, :, 0, 6:]).all()
    assert np.isfinite(r[:, :, 1, 6:]).all() and np.isnan(r[:, :, 1, :6]).all()


def test_nan_trials_run_through_encoding_distances_and_rdms(world, tmp_path, caplog):
    trials = world["trials"].copy()
    rng = np.random.default_rng(1)
    holes = rng.random(trials.shape) < 0.2
    holes[:, 0, :] = False  # every stimulus keeps a trial of every neuroid ...
    holes[3, :, 5] = True  # ... but neuroid 5, which misses every trial of stimulus 3
    trials[holes] = np.nan
    with caplog.at_level(logging.WARNING):
        path = _neural(world, "holes", trials, world["ids"])
    assert "dropped 1 of 6 neuroids" in caplog.text and "n0005" in caplog.text
    ds = store.read(path, "neural")
    assert list(ds["neuroid_id"].values) == [f"n{i:04d}" for i in range(5)]
    expected = (~holes[:, :, :5]).sum(axis=(0, 1))
    np.testing.assert_array_equal(ds["n_trials"].values, expected)
    assert (ds["n_trials"].values < 48).all()  # the test has holes to count
    np.testing.assert_array_equal(ds["min_trials"].values, (~holes[:, :, :5]).sum(1).min(0))

    enc = store.read(encoding_stage([path], [world["acts"]], ENCODING, tmp_path / "e.nc"))
    assert np.isfinite(enc["pearson_r"].values).all()
    assert np.isfinite(enc["ceiling"].values).all()
    np.testing.assert_array_equal(enc["n_trials"].values, expected)

    layers = world["layers"]
    for method, params in (
        ("energy_stochastic", {"n_components": 3, "niter": 5}),
        ("gaussian_stochastic", {"n_components": 3, "niter": 5}),
        ("rsa", {"rdm_method": "correlation", "comparator": "corr"}),
    ):
        spec = {
            "stimset": "g",
            "metric": method,
            "method": method,
            "params": params,
            "block_size": 3,
            "device": "cpu",
        }
        out = tmp_path / f"{method}.nc"
        distances_block_stage(layers, [path], spec, "0-0", out)
        D = store.read(out, "distances")["distance"].values
        assert D.shape == (3, 3) and np.isfinite(D).all(), method

    # the brain's RDM is that of the means over the valid trials (the 5 kept neuroids)
    rdms = store.read(
        rdms_stage(layers, [path], {"stimset": "g", "rdm_method": "correlation"}, tmp_path / "r.nc")
    )
    mean = np.nanmean(trials[:, :, :5], axis=1)
    np.testing.assert_allclose(
        rdms["rdm"].sel(rep="holes").values, 1 - np.corrcoef(mean), atol=1e-10
    )


def test_a_subset_recording_uses_the_intersection_everywhere(world, tmp_path, caplog):
    ids, trials = world["ids"], world["trials"]
    # dataset a holds stimuli 0-9, dataset b stimuli 2-11 (shuffled): in common 2-9
    a = _neural(world, "a", trials[:10], ids[:10])
    other = np.sqrt(trials + 1)  # another population: not a copy of a
    order = np.random.default_rng(0).permutation(np.arange(2, 12))
    b = _neural(world, "b", other[order], [ids[k] for k in order])
    assert store.read(b, "neural").sizes["stimulus"] == 10
    common = ids[2:10]

    enc = store.read(encoding_stage([a, b], [world["acts"]], ENCODING, tmp_path / "e.nc"))
    assert enc["n_stimuli_used"].values.tolist() == [10, 10]  # encoding: each dataset's own
    layer = store.read(world["layers"][1], "activations")
    expected = fit_encoding(
        feature_rows(store.select_stimuli(layer, ids[:10]))[0],
        trials[:10].mean(axis=1),
        cv=2,
        outer_cv=2,
    ).pearson_r
    np.testing.assert_allclose(
        enc["pearson_r"].sel(model="r18", layer="pool", neural="a").values[:6], expected
    )

    # distances: a block of model layers only still uses the stimuli common to a and b
    spec = {
        "stimset": "g",
        "metric": "cka",
        "method": "cka",
        "params": {"kernel": "linear", "estimator": "biased"},
        "block_size": 2,
        "device": "cpu",
    }
    with caplog.at_level(logging.INFO):
        distances_block_stage(world["layers"], [a, b], spec, "0-0", tmp_path / "00.nc")
    assert "8 of 12 stimuli used" in caplog.text
    models = store.read(tmp_path / "00.nc", "distances")["distance"]
    stem, pool = (store.read(p, "activations") for p in world["layers"])
    sub = [feature_rows(store.select_stimuli(d, common))[0] for d in (stem, pool)]
    full = [feature_rows(d)[0] for d in (stem, pool)]
    assert abs(_cka(*sub) - _cka(*full)) > 1e-3  # the subset matters for this pair
    np.testing.assert_allclose(float(models.sel(rep_a="r18/stem", rep_b="r18/pool")), _cka(*sub))

    distances_block_stage(world["layers"], [a, b], spec, "1-1", tmp_path / "11.nc")
    brains = store.read(tmp_path / "11.nc", "distances")["distance"]
    mean_a, mean_b = trials.mean(axis=1)[2:10], other.mean(axis=1)[2:10]
    np.testing.assert_allclose(float(brains.sel(rep_a="a", rep_b="b")), _cka(mean_a, mean_b))
    reps = load_representations(world["layers"], [a, b], needed={0})
    assert all(list(r.stimulus_ids) == common for r in reps)
    rdms = store.read(
        rdms_stage(
            world["layers"],
            [a, b],
            {"stimset": "g", "rdm_method": "correlation"},
            tmp_path / "r.nc",
        )
    )
    assert list(rdms["stimulus_id"].values) == common and rdms.attrs["n_stimuli_used"] == 8


def test_ids_outside_the_stimulus_set_name_the_file_and_the_sides(world, tmp_path):
    ids = [*world["ids"][:10], "cat.png", "dog.png"]
    rec = _plain_file(tmp_path / "rec.nc", world["trials"], ids)
    with pytest.raises(ShapeMismatchError) as info:
        load_responses(rec, world["stim"])
    message = str(info.value)
    assert f"2 stimulus ids are in {rec} but not in stimulus set g:" in message
    assert "['cat.png', 'dog.png']" in message and "grating_o0_f2_p0" in message
    assert "without suffix" in message  # the recording's ids carry a suffix, the set's do not

    # a neural store that holds more than the activations' stimulus set, at comparison time
    fine = _neural(world, "fine", world["trials"], world["ids"])
    stranger = store.read(fine, "neural").assign_coords(
        stimulus_id=("stimulus", [*world["ids"][:11], "stranger"])
    )
    path = store.write(stranger, tmp_path / "stranger.nc", "neural")
    with pytest.raises(
        ShapeMismatchError,
        match=rf"1 stimulus id is in {re.escape(str(path))} but not in stimulus set g "
        r"\(as in .*stem.nc\): \['stranger'\]",
    ):
        load_representations(world["layers"], [path])


def test_a_missing_recordings_file_names_the_config_key(world, tmp_path):
    spec = {"kind": "file", "stimset": "g", "path": str(tmp_path / "nope.nc")}
    missing = re.escape(str(tmp_path / "nope.nc"))
    with pytest.raises(
        SchemaError, match=rf"neural\.v1\.path: the recordings file {missing} does not exist"
    ):
        neural_stage("v1", spec, world["stimuli"], tmp_path / "v1.nc")


def test_write_recordings_round_trip_and_refusals(world, tmp_path):
    trials = world["trials"].copy()
    trials[0, 1, 2] = np.nan
    path = write_recordings(
        trials,
        world["ids"],
        [f"unit{i}" for i in range(6)],
        path=tmp_path / "w.nc",
        region="V1",
        subject=["a", "a", "a", "b", "b", "b"],
        attrs={"units": "spikes"},
    )
    raw = xr.load_dataset(path)
    assert "schema" not in raw.attrs and raw.attrs["units"] == "spikes"
    ds = load_responses(path, world["stim"], name="w")
    assert list(ds["neuroid_id"].values) == [f"unit{i}" for i in range(6)]
    assert list(ds["subject"].values) == ["a", "a", "a", "b", "b", "b"]
    assert ds["n_trials"].values.tolist() == [48, 48, 47, 48, 48, 48]
    np.testing.assert_array_equal(ds["responses"].values, trials)

    bad = world["trials"].copy()
    bad[0, 0, 0] = np.inf
    with pytest.raises(RecordingsError, match=r"(?s)2 problems.*1 inf values.*duplicate stimulus"):
        write_recordings(bad, ["x"] * 12, path=tmp_path / "bad.nc")
    assert not (tmp_path / "bad.nc").exists()
    with pytest.raises(ShapeMismatchError, match="11 stimulus ids for responses of 12 stimuli"):
        write_recordings(world["trials"], world["ids"][:11], path=tmp_path / "bad.nc")


def test_store_keeps_nan_trials_but_not_inf(world, tmp_path):
    ds = store.read(_neural(world, "ok", world["trials"], world["ids"]), "neural")
    with_nan = ds.copy(deep=True)
    with_nan["responses"][0, 0, 0] = np.nan
    store.write(with_nan, tmp_path / "nan.nc", "neural")
    with_inf = ds.copy(deep=True)
    with_inf["responses"][0, 0, 0] = np.inf
    with pytest.raises(SchemaError, match="1 inf values"):
        store.write(with_inf, tmp_path / "inf.nc", "neural")


CONFIG = """
stimsets:
  g: {kind: gratings, size: 32, orientations: 4, spatial_frequencies: [2.0], phases: 3}
models:
  m: {architecture: resnet18, layers: [stem, pool]}
"""


def test_neural_check_lists_every_problem_and_exits_2(world, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no results/stimuli/g.nc here: built from the config
    (tmp_path / "config.yaml").write_text(CONFIG)
    values = world["trials"].copy()
    values[1, 2, 3] = np.inf
    ids = [*world["ids"][:10], world["ids"][0], "elsewhere"]
    bad = xr.Dataset(
        {"responses": (("stimulus", "trial", "neuroid"), values)},
        coords={
            "stimulus_id": ("stimulus", ids),
            "neuroid_id": ("neuroid", ["u0", "u1", "u1", "u3", "u4", "u5"]),
        },
    )
    bad.to_netcdf(tmp_path / "bad.nc")
    assert main(["neural", "check", "bad.nc", "--stimset", "g"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("repgeom neural check: error: bad.nc: 5 problems with these recordings")
    for problem in (
        "'responses' has dims ('stimulus', 'trial', 'neuroid'): missing ['repetition'], "
        "unknown ['trial']",
        "holds 1 inf values",
        "1 duplicate stimulus ids",
        "1 stimulus id is in bad.nc but not in stimulus set g: ['elsewhere']",
        "1 duplicate neuroid ids: ['u1']",
    ):
        assert problem in err, problem

    words = xr.Dataset(
        {"responses": (("stimulus", "repetition", "neuroid"), np.full((2, 2, 2), "x"))}
    )
    words.to_netcdf(tmp_path / "words.nc")
    assert main(["neural", "check", "words.nc", "--stimset", "g"]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err and "expected real numbers" in err and "no 'stimulus_id'" in err

    trials = world["trials"].copy()
    trials[0, 0, 1] = np.nan
    _plain_file(tmp_path / "good.nc", trials[:8], world["ids"][:8])
    assert main(["neural", "check", "good.nc", "--stimset", "g"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("good.nc: fine for stimulus set g: 8 of 12 stimuli, 4 repetitions, 6 ")
    assert "1 missing (NaN) trials in 1 neuroids (n0001: 1)" in out


def test_neural_help_shows_the_format_and_the_stage_command_still_parses(capsys):
    from repgeom.cli import build_parser
    from repgeom.stages import STAGES

    with pytest.raises(SystemExit):
        main(["neural", "--help"])
    text = capsys.readouterr().out
    for words in ("stimulus_id", "missing trials", "stimulus subset", "neural check FILE"):
        assert words in text, words
    args = build_parser().parse_args(
        ["neural", "--name", "v1", "--stimuli", "s.nc", "--spec", "{}", "--out", "o.nc"]
    )
    assert args.func == STAGES["neural"].main and args.stage_action is None
    assert STAGES["neural"].shell.startswith("{params.py} neural --name {wildcards.neural}")
    with pytest.raises(SystemExit) as info:  # the stage's options are still required
        main(["neural", "--name", "v1"])
    assert info.value.code == 2
    assert "required: --spec, --out, --stimuli" in capsys.readouterr().err


def test_clip_recordings_with_nan_and_a_subset_run_through_dsa(tmp_path):
    from repgeom.stages.dsa import dsa_stage

    clips = stimuli_stage(
        "d",
        {
            "kind": "drifting_gratings",
            "size": 16,
            "orientations": 4,
            "spatial_frequencies": [2.0],
            "n_frames": 6,
        },
        tmp_path / "d.nc",
    )
    stim = store.read(clips, "stimuli")
    ids = [str(i) for i in stim["stimulus_id"].values]
    stores = []
    for k, name in enumerate(("a", "b")):
        r = simulate_v1(stim, n_neuroids=5, n_repetitions=3, seed=k)["responses"].values
        r = r.astype(np.float64)
        r[0, 1, 2, :] = np.nan  # a missing trial
        r[1, 0, :, 3] = np.nan  # a missing time bin of one trial
        keep = slice(k, None)  # b misses the first clip
        rec = tmp_path / f"{name}_rec.nc"
        xr.Dataset(
            {"responses": (("stimulus", "repetition", "neuroid", "time"), r[keep])},
            coords={"stimulus_id": ("stimulus", ids[keep])},
        ).to_netcdf(rec)
        spec = {"kind": "file", "stimset": "d", "path": str(rec)}
        stores.append(neural_stage(name, spec, clips, tmp_path / f"{name}.nc"))
    a = store.read(stores[0], "neural")
    # a clip's trial is valid when every time bin is: (1, 0) is missing for all neuroids
    assert a["n_trials"].values.tolist() == [11, 11, 10, 11, 11]
    spec = {"n_components": 3, "n_delays": 2, "rank": 3, "clipset": "d", "device": "cpu"}
    out = store.read(dsa_stage([], stores, spec, tmp_path / "dsa.nc"), "distances")
    assert np.isfinite(out["distance"].values).all()
    assert out.attrs["n_stimuli_used"] == 3
