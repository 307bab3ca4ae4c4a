"""The DSA sweep over delay settings and ranks (stage dsa_sweep) reproduces dsa-metric at the
tutorial's two settings and shows where the tutorial's lesson stops holding."""

from __future__ import annotations

import pytest

from repgeom import store
from repgeom.stages.dsa_sweep import dsa_sweep_stage


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    spec = {
        "clipset": "tutorial",
        "n_steps": 1000,
        "seed": 0,
        "n_delays": [1, 20],
        "delay_interval": [1, 10],
        "rank": [None, 6],
    }
    out = tmp_path_factory.mktemp("sweep") / "tutorial.nc"
    return store.read(dsa_sweep_stage(spec, out), "dsa_sweep")["distance"]


def test_one_delay_makes_circle_and_oval_the_same_dynamics(sweep):
    """dsa-metric 2.0.2 (../shared/reference/README.md, DSA): 0.001 and 0.095."""
    d = sweep.sel(n_delays=1, delay_interval=1, rank="full")
    assert float(d.sel(rep_a="circle", rep_b="oval")) == pytest.approx(0.001, abs=0.002)
    assert float(d.sel(rep_a="circle", rep_b="walk")) == pytest.approx(0.095, abs=0.003)
    # with one delay the interval does nothing
    assert float(
        sweep.sel(n_delays=1, delay_interval=10, rank="full").sel(rep_a="circle", rep_b="walk")
    ) == pytest.approx(float(d.sel(rep_a="circle", rep_b="walk")))


def test_twenty_long_delays_at_full_rank_reverse_the_lesson_and_low_rank_restores_it(sweep):
    """At n_delays=20, delay_interval=10 and full rank dsa-metric gives circle–oval 0.102 and
    circle–walk 0.085 (walk closer); a rank-6 DMD makes circle–oval the closest pair again."""
    full = sweep.sel(n_delays=20, delay_interval=10, rank="full")
    assert float(full.sel(rep_a="circle", rep_b="oval")) == pytest.approx(0.102, abs=0.005)
    assert float(full.sel(rep_a="circle", rep_b="walk")) == pytest.approx(0.085, abs=0.005)
    low = sweep.sel(n_delays=20, delay_interval=10, rank="6")
    assert float(low.sel(rep_a="circle", rep_b="oval")) < float(
        low.sel(rep_a="circle", rep_b="walk")
    )
    assert sweep.dims == ("n_delays", "delay_interval", "rank", "rep_a", "rep_b")
