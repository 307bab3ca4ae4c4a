"""Geometry beside dynamics on the DSA tutorial's systems (#17): the state-cloud angle's known
answers and invariances, and the tutorial stage's geometry store."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import special_ortho_group

from repgeom import store
from repgeom.dsa.systems import state_cloud_angle
from repgeom.stages.dsa_tutorial import dsa_tutorial_stage


def test_state_cloud_angle_known_answers():
    rng = np.random.default_rng(0)
    round_cloud = rng.standard_normal((20000, 2))
    line = np.c_[rng.standard_normal(20000), np.zeros(20000)]
    # spectra (1/2, 1/2) and (1, 0): arccos √(1/2) = π/4
    assert state_cloud_angle(round_cloud, line) == pytest.approx(np.pi / 4, abs=0.01)
    # a cloud against itself is 0; a 2-D cloud against a 3-D one is zero-padded to 3-D
    assert state_cloud_angle(line, line) == pytest.approx(0, abs=1e-7)
    assert 0 <= state_cloud_angle(round_cloud, rng.standard_normal((50, 3))) <= np.pi / 2


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.01, 100), shift=st.floats(-50, 50))
def test_state_cloud_angle_ignores_rotation_scale_translation_and_time_order(seed, scale, shift):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((200, 3)) * [3.0, 1.0, 0.2]
    Y = rng.standard_normal((150, 3)) @ rng.standard_normal((3, 3))
    R = special_ortho_group.rvs(3, random_state=seed)
    moved = scale * X[rng.permutation(len(X))] @ R + shift
    assert state_cloud_angle(X, moved) == pytest.approx(0, abs=1e-6)
    assert state_cloud_angle(X, Y) == pytest.approx(state_cloud_angle(Y, X), abs=1e-12)


def test_the_tutorial_store_sets_geometry_beside_dynamics(tmp_path):
    spec = {
        "n_steps": 1000,
        "seed": 0,
        "settings": [{"n_delays": 1}],
        "geometry": {
            "procrustes": {"method": "linear_shape", "alpha": 1.0},
            "rsa": {"method": "rsa", "rdm_method": "euclidean", "comparator": "spearman"},
        },
    }
    ds = store.read(dsa_tutorial_stage(spec, tmp_path / "tutorial.nc"), "distances")
    dsa = ds["distance"].sel(setting="n_delays=1").to_pandas()
    cloud = ds["geometry"].sel(comparison="state_cloud").to_pandas()
    # dynamics: circle and oval (conjugate rotations) are the closest pair ...
    assert dsa.loc["circle", "oval"] < min(dsa.loc["circle", "walk"], dsa.loc["oval", "walk"])
    # ... geometry of the clouds: oval and walk (both stretched; the circle is round)
    assert cloud.loc["oval", "walk"] < min(cloud.loc["circle", "oval"], cloud.loc["circle", "walk"])
    assert list(ds["comparison_measure"].values) == ["distance", "similarity", "distance"]
    rsa = ds["geometry"].sel(comparison="rsa").values
    assert np.allclose(np.diag(rsa), 1) and np.allclose(rsa, rsa.T)
    assert ds["states"].sizes == {"rep": 3, "time": 1000, "unit": 2}


def test_a_clip_sweep_longer_than_the_clips_is_a_config_error():
    from repgeom import config as cfg, plan
    from repgeom.errors import ConfigError

    config = {
        "stimsets": {"clips": {"kind": "drifting_gratings", "n_frames": 6}},
        "neural": {"v1": {"kind": "simulated_v1", "stimset": "clips"}},
        "models": {"m": {"architecture": "resnet18", "layers": ["block1", "pool"]}},
        "analyses": {"dsa": {"clip_sweep": {"n_delays": [1, 3], "delay_interval": [1, 2]}}},
    }
    cfg.check(cfg.validate(config))  # 2 × 2 = 4 frames back: fits 6 frames
    assert "results/dsa_sweep/clips.nc" in plan.targets(cfg.validate(config))
    config["analyses"]["dsa"]["clip_sweep"]["n_delays"] = [1, 4]
    with pytest.raises(ConfigError, match="6 frames; keep"):
        cfg.check(cfg.validate(config))
    # a clip set no model is extracted on has nothing to sweep against its brain
    config["stimsets"]["still"] = {"kind": "gratings"}
    config["models"]["m"]["stimsets"] = ["still"]
    assert "results/dsa_sweep/clips.nc" not in plan.targets(cfg.validate(config))
