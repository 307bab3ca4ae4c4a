"""All-representation distance matrices: blocks, assembly, metric families, labels."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from repgeom import distances as dist
from repgeom.blocks import Block
from repgeom.config import SCHEMA_PATH
from repgeom.errors import InvalidInputError
from repgeom.metrics import available
from repgeom.metrics.registry import compare, metric_schema
from repgeom.metrics.rsa import compare_rdms, rdm
from repgeom.metrics.stochastic import stochastic_samples
from repgeom.representations import Representation


def _rep(name: str, X: np.ndarray, samples: np.ndarray | None = None, kind: str = "model"):
    return Representation(
        name=name,
        features=X,
        row_mean=X.mean(axis=1),
        n_units=X.shape[1],
        labels={"source": kind, "model": name, "layer": "l", "training": "untrained", "depth": 0.5},
        lead=(X.shape[0],),
        samples=samples,
    )


@pytest.fixture(scope="module")
def reps():
    rng = np.random.default_rng(0)
    out = [_rep(f"r{k}", rng.standard_normal((20, 5 + k))) for k in range(5)]
    trials = rng.standard_normal((20, 3, 6))
    out.append(_rep("brain", trials.mean(axis=1), samples=trials, kind="brain"))
    return out


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("linear_shape", {"alpha": 0.5}),
        ("rsa", {"rdm_method": "correlation", "comparator": "spearman"}),
        ("angular_cka", {"kernel": "linear"}),
        ("cka", {}),
        ("energy_stochastic", {"n_components": 4, "niter": 20}),
    ],
)
def test_blocks_assemble_to_the_full_matrix(reps, method, params):
    full = dist.distance_block(reps, method, params, n_jobs=1, progress=False)
    assert np.isfinite(full).all() and np.allclose(full, full.T)
    blocks = [
        dist.distance_block(reps, method, params, block=b, n_jobs=1, progress=False)
        for b in Block.grid(len(reps), 4)
    ]
    for block in blocks:  # each block leaves the rest of the matrix open
        assert np.isnan(block).any()
    das = [dist.as_dataarray(b, reps, "m", method, params) for b in blocks]
    combined = dist.combine_blocks(das)
    np.testing.assert_allclose(combined.values, full, rtol=1e-10, atol=1e-12)
    assert list(combined["rep_a_source"].values) == ["model"] * 5 + ["brain"]
    assert combined.attrs["measure"] == dist.metric_measure(method)


def test_matrix_entries_are_the_library_metrics(reps):
    D = dist.distance_block(reps, "rsa", {"comparator": "kendall"}, n_jobs=1, progress=False)
    a, b = reps[0].features, reps[3].features
    assert D[0, 3] == pytest.approx(
        compare_rdms(rdm(a, "correlation"), rdm(b, "correlation"), "kendall"), abs=1e-12
    )
    C = dist.distance_block(reps, "angular_cka", {}, n_jobs=1, progress=False)
    assert C[1, 4] == pytest.approx(compare(reps[1].features, reps[4].features, "angular_cka"))
    assert np.all(np.diag(C) == 0)
    S = dist.distance_block(reps, "cka", {}, n_jobs=1, progress=False)
    np.testing.assert_allclose(np.diag(S), 1.0)  # a similarity keeps self-similarity


def test_deterministic_representations_are_point_masses_for_stochastic_metrics(reps):
    samples = stochastic_samples(reps[0], 3, 4)
    assert samples.shape == (20, 4, 3)
    assert np.ptp(samples, axis=1).max() == 0  # its one response, repeated
    brain = stochastic_samples(reps[-1], 3, 3)
    assert np.ptp(brain, axis=1).max() > 0
    with pytest.raises(InvalidInputError, match="repetitions"):
        stochastic_samples(reps[-1], 3, 5)


def test_combine_rejects_missing_or_conflicting_blocks(reps):
    blocks = [
        dist.as_dataarray(
            dist.distance_block(reps, "cka", {}, block=b, n_jobs=1, progress=False),
            reps,
            "m",
            "cka",
            {},
        )
        for b in Block.grid(len(reps), 4)
    ]
    with pytest.raises(InvalidInputError, match="in no block"):
        dist.combine_blocks(blocks[:2])
    bad = blocks[0].copy(data=blocks[0].values + 1)
    with pytest.raises(InvalidInputError, match="disagree"):
        dist.combine_blocks([*blocks, bad])
    with pytest.raises(InvalidInputError, match="no blocks"):
        dist.combine_blocks([])


def test_unknown_methods_fail_and_the_workflow_offers_the_registry():
    with pytest.raises(InvalidInputError, match="unknown metric method"):
        dist.metric_measure("procrustes")
    with pytest.raises(InvalidInputError, match="unknown metric method"):
        dist.distance_block([], "dsa", {})
    assert dist.metric_measure("dsa") == "distance"
    assert set(dist.methods()) == set(available()) - {"dsa", "pwcca"}


def test_the_config_schema_leaves_metrics_to_the_registry():
    """The schema names no metric or parameter of its own: the registry's fragments are the
    only definition (checked by repgeom.config.check_metric_entry)."""
    metric = yaml.safe_load(SCHEMA_PATH.read_text())["$defs"]["metric"]
    assert metric["properties"] == {"method": {"type": "string"}}
    for name in dist.methods():
        schema = metric_schema(name)
        assert schema["properties"]["method"] == {"const": name}
        assert set(schema["properties"]) - {"method"} == set(available()[name].params)


def test_unknown_parameters_raise_type_error(reps):
    with pytest.raises(TypeError, match=r"accepted: \['alpha', 'center_columns'"):
        dist.distance_block(reps, "linear_shape", {"alhpa": 0.5}, n_jobs=1, progress=False)
    with pytest.raises(InvalidInputError, match="bogus"):
        dist.check_metric("cka", {"bogus": 1})


def test_a_representation_that_cannot_be_prepared_is_named(reps):
    """A ReLU layer silent for some stimuli has constant rows: its correlation RDM is undefined,
    and the block job's error says which layer and how many stimuli."""
    silent = np.abs(np.random.default_rng(1).standard_normal((20, 8)))
    silent[[2, 7]] = 0.0
    block = [*reps[:2], _rep("net/relu3", silent)]
    params = {"rdm_method": "correlation", "comparator": "spearman"}
    with pytest.raises(InvalidInputError, match=r"net/relu3: correlation .* \(2 of 20 stimuli"):
        dist.distance_block(block, "rsa", params)
    euclidean = dist.distance_block(block, "rsa", {**params, "rdm_method": "euclidean"})
    assert np.isfinite(euclidean).all()
