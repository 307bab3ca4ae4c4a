import numpy as np
import pytest
from skimage import io as skio

from repgeom import store
from repgeom.errors import ConfigError, InvalidInputError
from repgeom.stimuli import (
    build_stimset,
    digits,
    drifting_gratings,
    from_array,
    gratings,
    image_folder,
    lfw_faces,
    photo_crops,
    translating_photos,
)


def _assert_valid(ds, n, dims=("stimulus", "channel", "y", "x")):
    assert ds["images"].dims == dims
    assert ds.sizes["stimulus"] == n
    assert ds.sizes["channel"] == 3
    values = ds["images"].values
    assert values.dtype == np.float32 and values.min() >= 0 and values.max() <= 1
    ids = ds["stimulus_id"].values
    assert len(set(ids)) == n
    assert ds["category"].dims == ("stimulus",)


def test_photo_crops_grid():
    ds = photo_crops(size=16, scales=(1.0, 0.5), positions=2, names=("camera", "coins"))
    _assert_valid(ds, 2 * (1 + 4))
    assert set(ds["category"].values) == {"camera", "coins"}
    assert sorted(set(ds["scale"].values)) == [0.5, 1.0]


def test_photo_crops_rejects_downloaded_images():
    with pytest.raises(ConfigError, match=r"not-offline images \['brain'\]"):
        photo_crops(names=("camera", "brain"))


def test_faces_digits_and_gratings():
    faces = lfw_faces(size=16)
    _assert_valid(faces, 200)
    assert (faces["category"].values == "face").sum() == 100
    dig = digits(size=16, n=30)
    _assert_valid(dig, 30)
    assert set(dig["category"].values) <= {str(d) for d in range(10)}
    with pytest.raises(ConfigError, match="n=5000 is out of range"):
        digits(n=5000)
    gr = gratings(size=16, orientations=4, spatial_frequencies=(2.0,), phases=2)
    _assert_valid(gr, 8)
    assert sorted(set(gr["orientation"].values)) == [0.0, 45.0, 90.0, 135.0]


def test_clips_have_a_time_dim_and_move():
    dims = ("stimulus", "time", "channel", "y", "x")
    drift = drifting_gratings(size=16, orientations=2, spatial_frequencies=(2.0,), n_frames=4)
    _assert_valid(drift, 2, dims)
    frames = drift["images"].values[0]
    assert not np.allclose(frames[0], frames[1])  # the grating drifts
    trans = translating_photos(size=16, names=("camera",), directions=2, n_frames=3)
    _assert_valid(trans, 2, dims)


def test_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for cat in ("cats", "dogs"):
        (tmp_path / cat).mkdir()
        for i in range(2):
            skio.imsave(tmp_path / cat / f"{i}.png", rng.integers(0, 255, (20, 30, 3), np.uint8))
    skio.imsave(tmp_path / "gray.png", rng.integers(0, 255, (10, 10), np.uint8))
    ds = image_folder(tmp_path, size=12)
    _assert_valid(ds, 5)
    assert list(ds["stimulus_id"].values) == ["cats/0", "cats/1", "dogs/0", "dogs/1", "gray"]
    assert list(ds["category"].values) == ["cats", "cats", "dogs", "dogs", "none"]
    with pytest.raises(ConfigError, match="does not exist"):
        image_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no images"):
        image_folder(tmp_path / "empty")


@pytest.mark.parametrize("shape", [(4, 10, 10), (4, 10, 10, 3), (4, 3, 10, 10), (4, 10, 10, 1)])
def test_from_npy_accepts_common_layouts(tmp_path, shape):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).random(shape))
    _assert_valid(from_array(path, size=8), 4)


def test_from_npy_rejects_bad_arrays(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 5)))
    with pytest.raises(InvalidInputError, match=r"shape \(4, 5\)"):
        from_array(bad)
    nan = np.random.default_rng(0).random((2, 4, 4))
    nan[0, 0, 0] = np.nan
    np.save(bad, nan)
    with pytest.raises(InvalidInputError, match="NaN"):
        from_array(bad)
    np.save(bad, np.full((2, 4, 4), 255.0))
    with pytest.raises(InvalidInputError, match="scale them to"):
        from_array(bad)
    other = tmp_path / "images.npz"
    other.touch()
    with pytest.raises(ConfigError, match="expected a .npy or .nc"):
        from_array(other)


def test_from_nc_roundtrip(tmp_path):
    ds = gratings(size=8, orientations=2, spatial_frequencies=(2.0,), phases=1)
    ds.attrs.update(store.provenance("stimuli"))
    path = store.write(ds, tmp_path / "g.nc", "stimuli")
    back = from_array(path, name="mine")
    np.testing.assert_array_equal(back["images"].values, ds["images"].values)
    assert back.attrs["stimset"] == "mine"


def test_build_stimset_dispatch_and_errors():
    ds = build_stimset("g", {"kind": "gratings", "size": 8, "orientations": 2, "phases": 1})
    assert ds.attrs["stimset"] == "g"
    with pytest.raises(ConfigError, match=r"stimsets.g: \['n'\] do not apply to kind 'gratings'"):
        build_stimset("g", {"kind": "gratings", "n": 3})
    with pytest.raises(ConfigError, match="stimsets.g.kind: 'movie' is unknown"):
        build_stimset("g", {"kind": "movie"})
