import numpy as np
import pytest

from repgeom import store
from repgeom.errors import ConfigError, InvalidInputError, SchemaError, ShapeMismatchError
from repgeom.neural import build_neural, load_responses, simulate_v1, write_recordings
from repgeom.stimuli import drifting_gratings, gratings


@pytest.fixture(scope="module")
def stim():
    return gratings(size=24, orientations=8, spatial_frequencies=(2.0, 4.0), phases=4)


def test_simulated_population_shapes_and_ground_truth(stim):
    ds = simulate_v1(stim, n_neuroids=30, n_repetitions=50, seed=3)
    assert ds["responses"].dims == ("stimulus", "repetition", "neuroid")
    assert ds["responses"].shape == (64, 50, 30)
    assert ds["rates"].dims == ("stimulus", "neuroid")
    for coord in ("neuroid_id", "region", "subject", "preferred_orientation"):
        assert ds[coord].dims == ("neuroid",)
    # Poisson: the trial mean estimates the noise-free rate (50 trials: se ≈ sqrt(rate/50))
    mean = ds["responses"].mean("repetition").values
    rates = ds["rates"].values
    z = (mean - rates) / np.sqrt(rates / 50)
    assert abs(z.mean()) < 0.1 and 0.8 < z.std() < 1.2
    # tuning: every neuroid's rate varies over the gratings, in proportion to its gain
    assert (rates.std(axis=0) > 0.3 * ds["gain"].values).all()


def test_seed_determinism(stim):
    a = simulate_v1(stim, n_neuroids=5, seed=1)
    b = simulate_v1(stim, n_neuroids=5, seed=1)
    c = simulate_v1(stim, n_neuroids=5, seed=2)
    np.testing.assert_array_equal(a["responses"].values, b["responses"].values)
    assert not np.array_equal(a["rates"].values, c["rates"].values)


def test_clips_are_filtered_in_time():
    clips = drifting_gratings(size=16, orientations=2, spatial_frequencies=(2.0,), n_frames=6)
    ds = simulate_v1(clips, n_neuroids=4, n_repetitions=2, seed=0)
    assert ds["responses"].dims == ("stimulus", "repetition", "neuroid", "time")
    assert ds["rates"].dims == ("stimulus", "neuroid", "time")
    # causal kernel h(0) = 0: the first frame carries no drive, only the baseline
    np.testing.assert_allclose(ds["rates"].isel(time=0).values, 0.5)


def test_bad_parameters(stim):
    with pytest.raises(InvalidInputError, match="n_neuroids=0"):
        simulate_v1(stim, n_neuroids=0)


def test_loader_checks_and_aligns_stimulus_ids(stim, tmp_path):
    ds = simulate_v1(stim, n_neuroids=3, n_repetitions=2)
    ds.attrs.update(store.provenance("neural"))
    shuffled = ds.isel(stimulus=np.random.default_rng(0).permutation(64))
    path = store.write(shuffled, tmp_path / "rec.nc", "neural")
    back = load_responses(path, stim)
    np.testing.assert_array_equal(back["stimulus_id"].values, stim["stimulus_id"].values)
    np.testing.assert_array_equal(back["responses"].values, ds["responses"].values)

    wrong = ds.assign_coords(stimulus_id=("stimulus", [f"other{i}" for i in range(64)]))
    bad = store.write(wrong, tmp_path / "bad.nc", "neural")
    with pytest.raises(
        ShapeMismatchError,
        match=r"64 stimulus ids are in \S*bad.nc but not in stimulus set gratings: "
        r"\['other0'.*the stimulus set's ids are like \['grating_o0_f2_p0'",
    ):
        load_responses(bad, stim)


def test_build_neural_dispatch(stim, tmp_path):
    ds = build_neural("v1", {"kind": "simulated_v1", "stimset": "g", "n_neuroids": 2}, stim)
    assert ds.sizes["neuroid"] == 2
    with pytest.raises(ConfigError, match="neural.v1.kind: 'spikes' is unknown"):
        build_neural("v1", {"kind": "spikes", "stimset": "g"}, stim)


def test_recordings_of_clips_need_a_time_dim_and_ids_may_be_an_index(stim, tmp_path):
    from repgeom.neural.recordings import inspect_recordings, recordings_dataset

    ids = [str(i) for i in stim["stimulus_id"].values]
    counts = np.arange(64 * 2 * 3 * 5).reshape(64, 2, 3, 5)  # integers: read as floats
    clip = recordings_dataset(counts, ids, time=[0.0, 0.1, 0.2, 0.3, 0.4])
    report = inspect_recordings(clip, ids, source="rec.nc", stimset="g", clips=False)
    assert report.problems == [
        "'responses' has dims ('stimulus', 'repetition', 'neuroid', 'time') but stimulus set "
        "g holds still images: responses to them have no 'time' dim"
    ]
    assert inspect_recordings(clip, ids, stimset="g", clips=True).ok
    still = recordings_dataset(counts[..., 0], ids)
    path = tmp_path / "r.nc"
    still.drop_vars("stimulus_id").assign_coords(stimulus=ids).to_netcdf(path)
    with pytest.raises(SchemaError, match=r"no 'stimulus_id'.*assign_coords\(stimulus_id="):
        load_responses(path, stim)
    back = load_responses(
        write_recordings(counts[..., 0], ids, path=tmp_path / "w.nc"), stim, name="w"
    )
    assert back["responses"].dtype == np.float64 and back.attrs["neural"] == "w"
    assert back["n_trials"].values.tolist() == [128, 128, 128]
