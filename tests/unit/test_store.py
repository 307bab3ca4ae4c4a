import numpy as np
import pytest
import xarray as xr

from repgeom import store
from repgeom.errors import SchemaError, ShapeMismatchError


def _activations(n=5, k=3, ids=None):
    ids = ids or [f"s{i}" for i in range(n)]
    ds = xr.Dataset(
        {
            "features": (("stimulus", "component"), np.arange(n * k, dtype=float).reshape(n, k)),
            "row_mean": (("stimulus",), np.zeros(n)),
        },
        coords={"stimulus_id": ("stimulus", ids)},
    )
    ds.attrs.update(store.provenance("activations", config={"a": 1}, model="m", layer="l", seed=0))
    return ds


def test_roundtrip_keeps_values_coords_and_provenance(tmp_path):
    ds = _activations()
    path = store.write(ds, tmp_path / "sub" / "a.nc", "activations")
    back = store.read(path)
    xr.testing.assert_identical(back, ds)
    assert back.attrs["config_hash"] == store.config_hash({"a": 1})
    assert back.attrs["weights"] == store.NOT_APPLICABLE


def test_write_is_atomic_when_serialisation_fails(tmp_path, monkeypatch):
    path = tmp_path / "a.nc"
    store.write(_activations(), path, "activations")
    before = path.read_bytes()

    def boom(self, *args, **kwargs):
        open(args[0], "wb").write(b"partial")
        raise KeyboardInterrupt  # a kill in the middle of the write

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write(_activations(k=4), path, "activations")
    assert path.read_bytes() == before  # the old file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["a.nc"]  # no temp file left behind


def test_written_files_are_world_readable(tmp_path):
    path = store.write(_activations(), tmp_path / "a.nc", "activations")
    assert path.stat().st_mode & 0o044 == 0o044


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda ds: ds.drop_vars("row_mean"), "needs the variable 'row_mean'"),
        (lambda ds: ds.assign(features=ds.features.T), r"has dims \('component', 'stimulus'\)"),
        (lambda ds: ds.assign(features=ds.features.where(ds.features != 2)), "1 NaN/inf"),
        (lambda ds: ds.drop_vars("stimulus_id"), "needs a 'stimulus_id' coordinate"),
        (lambda ds: ds.assign_coords(stimulus_id=("stimulus", ["a"] * 5)), "duplicate"),
        (lambda ds: ds.drop_attrs(), "provenance attrs"),
    ],
)
def test_check_rejects_broken_stores_and_names_the_file(tmp_path, mutate, message):
    with pytest.raises(SchemaError, match=message) as info:
        store.write(mutate(_activations()), tmp_path / "bad.nc", "activations")
    assert "bad.nc" in str(info.value)
    assert not (tmp_path / "bad.nc").exists()


def test_read_reports_missing_and_corrupt_files(tmp_path):
    with pytest.raises(SchemaError, match="no such store"):
        store.read(tmp_path / "absent.nc", "activations")
    (tmp_path / "junk.nc").write_bytes(b"not netcdf")
    with pytest.raises(SchemaError, match="not a readable netCDF file"):
        store.read(tmp_path / "junk.nc", "activations")


def test_read_checks_against_the_requested_schema(tmp_path):
    path = store.write(_activations(), tmp_path / "a.nc", "activations")
    with pytest.raises(SchemaError, match="'images'"):
        store.read(path, "stimuli")


def test_align_stimuli_reorders_by_id_and_lists_offenders():
    a = _activations(ids=["x", "y", "z", "w", "v"])
    b = _activations(ids=["v", "w", "x", "y", "z"])
    _, aligned = store.align_stimuli(a, b)
    assert list(aligned.stimulus_id.values) == ["x", "y", "z", "w", "v"]
    c = _activations(ids=["x", "y", "z", "w", "q"])
    with pytest.raises(ShapeMismatchError, match=r"1 only in the first \(\['v'\]\).*\['q'\]"):
        store.align_stimuli(a, c)


def test_provenance_rejects_unknown_schema():
    with pytest.raises(SchemaError, match="unknown store schema"):
        store.provenance("nope")


def _neural(values):
    ds = xr.Dataset(
        {"responses": (("stimulus", "repetition", "neuroid"), values)},
        coords={"stimulus_id": ("stimulus", [f"s{i}" for i in range(len(values))])},
    )
    ds.attrs.update(store.provenance("neural"))
    return ds


def test_neural_responses_may_mark_missing_trials_with_nan_but_never_inf(tmp_path):
    values = np.ones((3, 2, 2))
    values[0, 1, 0] = np.nan
    back = store.read(store.write(_neural(values), tmp_path / "n.nc", "neural"))
    assert int(np.isnan(back["responses"].values).sum()) == 1
    values[1, 0, 1] = np.inf
    with pytest.raises(SchemaError, match="'responses' holds 1 inf values"):
        store.write(_neural(values), tmp_path / "inf.nc", "neural")
    # elsewhere NaN is still refused
    act = _activations()
    act = act.assign(row_mean=act.row_mean.copy(data=[np.nan, 0, 0, 0, 0]))
    with pytest.raises(SchemaError, match="1 NaN/inf"):
        store.write(act, tmp_path / "a.nc", "activations")


def test_common_stimuli_keeps_the_reference_order_and_names_the_sides():
    reference = ["a", "b", "c", "d", "e"]
    common = store.common_stimuli(
        reference, {"x.nc": ["d", "b", "c"], "y.nc": ["e", "c", "b"]}, reference_name="set s"
    )
    assert common == ["b", "c"]
    with pytest.raises(
        ShapeMismatchError,
        match=r"2 stimulus ids are in y.nc but not in set s: \['q', 'r'\] \(set s has 5 ids",
    ):
        store.common_stimuli(
            reference, {"x.nc": ["a"], "y.nc": ["a", "q", "r"]}, reference_name="set s"
        )
    with pytest.raises(ShapeMismatchError, match="share no stimuli"):
        store.common_stimuli(reference, {"x.nc": ["a"], "y.nc": ["b"]}, reference_name="set s")
    ds = _activations(ids=["v", "w", "x", "y", "z"])
    assert store.stimulus_ids(store.select_stimuli(ds, ["z", "v"])) == ["z", "v"]
