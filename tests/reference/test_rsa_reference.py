"""Replay ../shared/reference/rsa (rsatoolbox 0.3.2) through repgeom.

Each case's call is run as written, with rsatoolbox's object API (Dataset, RDMs, calc_rdm,
compare, ...) bound to thin shims below that call repgeom's functions: the shims only move
arrays in and out of rsatoolbox's containers; every number is computed by repgeom.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from repgeom.metrics import noise as rg_noise, rsa
from tests.conftest import REFERENCE

FOLDER = REFERENCE / "rsa"
CASES = json.loads((FOLDER / "rsa_cases.json").read_text())


class RDMs:
    """rsatoolbox's container: a stack of condensed RDMs."""

    def __init__(self, vectors, pattern_descriptors=None):
        v = np.asarray(vectors, dtype=float)
        self.vectors = (
            v if v.ndim == 2 else rsa.matrix_to_vector(v[0])[None] if v.ndim == 3 else v[None]
        )
        self.pattern_descriptors = pattern_descriptors or {}

    def get_vectors(self):
        return self.vectors

    def get_matrices(self):
        return np.stack([rsa.vector_to_matrix(v) for v in self.vectors])


def Dataset(measurements, obs_descriptors):  # noqa: N802 - rsatoolbox's name
    return SimpleNamespace(X=measurements, obs=obs_descriptors)


def calc_rdm(ds, method="euclidean", descriptor=None, noise=None, cv_descriptor=None, **kwargs):
    labels = None if descriptor is None else ds.obs[descriptor]
    cv = None if cv_descriptor is None else ds.obs[cv_descriptor]
    out = rsa.rdm(ds.X, method, descriptor=labels, noise=noise, cv_descriptor=cv, **kwargs)
    if isinstance(out, tuple):
        return RDMs(out[0][None], {descriptor: out[1]})
    return RDMs(out[None])


def compare(a, b, method="cosine", sigma_k=None):
    return rsa.compare_rdms(a.vectors, b.vectors, method, sigma_k=sigma_k)


def rank_transform(rdms, method="average"):
    return RDMs(rsa.rank_transform(rdms.vectors, method=method))


def sqrt_transform(rdms):
    return RDMs(rsa.sqrt_transform(rdms.vectors))


def boot_noise_ceiling(rdms, method="cosine"):
    return rsa.rdm_noise_ceiling(rdms.vectors, method)


def ModelFixed(name, vector):  # noqa: N802
    return np.asarray(vector, dtype=float)


def eval_fixed(models, data, method="cosine"):
    res = rsa.evaluate_models(np.stack(models), data.vectors, method)
    return SimpleNamespace(
        evaluations=res["evaluations"][None],
        noise_ceiling=res["noise_ceiling"],
        variances=res["variances"],
        dof=res["dof"],
    )


def cov_from_unbalanced(ds, descriptor, method="shrinkage_diag", dof=None):
    return rg_noise.cov_from_unbalanced(ds.X, ds.obs[descriptor], dof=dof, method=method)


SHIMS = dict(
    np=np,
    RDMs=RDMs,
    Dataset=Dataset,
    calc_rdm=calc_rdm,
    compare=compare,
    rank_transform=rank_transform,
    sqrt_transform=sqrt_transform,
    boot_noise_ceiling=boot_noise_ceiling,
    ModelFixed=ModelFixed,
    eval_fixed=eval_fixed,
    cov_from_residuals=rg_noise.cov_from_residuals,
    prec_from_residuals=rg_noise.prec_from_residuals,
    cov_from_unbalanced=cov_from_unbalanced,
)


def _run(case):
    lines = [
        line
        for line in case["call"].splitlines()
        if not line.startswith(("from rsatoolbox", "import rsatoolbox"))
    ]
    namespace = dict(SHIMS)
    exec("\n".join(lines), namespace)  # noqa: S102 - the reference's own call
    return namespace["result"]


def _close(got, expected, tol):
    if isinstance(expected, dict):
        assert set(got) == set(expected)
        for key in expected:
            _close(got[key], expected[key], tol)
        return
    exp = np.asarray(expected, dtype=object if np.asarray(expected).dtype.kind in "US" else float)
    if exp.dtype == object:
        np.testing.assert_array_equal(np.asarray(got).astype(str), exp.astype(str))
        return
    exp = np.where(exp == None, np.nan, exp).astype(float)  # noqa: E711 - JSON null is NaN
    np.testing.assert_allclose(
        np.asarray(got, dtype=float), exp, rtol=tol["rtol"], atol=tol["atol"], equal_nan=True
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, reference_dir, monkeypatch):
    monkeypatch.chdir(FOLDER)
    _close(_run(case), case["expected"], case["tolerance"])
