"""repsim's API on repgeom: metric spaces, kernels, ``compare`` on tensors, geometry.

- every metric class is a view of its registry entry: ``length`` of its points equals
  ``repgeom.compare`` with the same name and parameters to 1e-10;
- tensors in, tensors out: dtype and device kept, ``length`` differentiable;
- repsim's ``string_id`` strings (its own tests key on them);
- the geometry of :mod:`repgeom.geometry` on the sphere.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import repgeom
from repgeom import geometry as geo
from repgeom.metrics import kernels as K
from repgeom.metrics.spaces import (
    AffineInvariantRiemannian,
    AngularCKA,
    AngularShapeMetric,
    EuclideanShapeMetric,
    Stress,
)

M = 24
#: (class, constructor kwargs, registry name, compare kwargs)
CASES = [
    (AngularCKA, {}, "angular_cka", {}),
    (AngularCKA, {"use_unbiased_hsic": False}, "angular_cka", {"use_unbiased_hsic": False}),
    (
        AngularCKA,
        {"kernel": K.SquaredExponential(length_scale=3.0)},
        "angular_cka",
        {"kernel": K.SquaredExponential(length_scale=3.0)},
    ),
    (Stress, {}, "stress", {}),
    (
        Stress,
        {"kernel": K.Laplace(), "rescale": True},
        "stress",
        {"kernel": "laplace", "rescale": True},
    ),
    (AffineInvariantRiemannian, {"eps": 0.1}, "affine_invariant_riemannian", {"eps": 0.1}),
    (
        AffineInvariantRiemannian,
        {"eps": 0.01, "mode": "cov", "p": 4},
        "affine_invariant_riemannian",
        {"eps": 0.01, "mode": "cov", "p": 4},
    ),
    (
        EuclideanShapeMetric,
        {"p": 5, "alpha": 0.5},
        "euclidean_shape_metric",
        {"p": 5, "alpha": 0.5},
    ),
    (AngularShapeMetric, {"p": 8, "alpha": 0.0}, "angular_shape_metric", {"p": 8, "alpha": 0.0}),
    (AngularShapeMetric, {"p": 6, "alpha": 1.0}, "angular_shape_metric", {"p": 6, "alpha": 1.0}),
]
IDS = [f"{c.__name__}-{name}-{i}" for i, (c, _, name, _) in enumerate(CASES)]


def _data(seed: int = 0, dtype: torch.dtype = torch.float64, device: str = "cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(M, 6, generator=g, dtype=torch.float64)
    y = x + 0.7 * torch.randn(M, 6, generator=g, dtype=torch.float64)
    return x.to(dtype=dtype, device=device), y.to(dtype=dtype, device=device)


@pytest.mark.parametrize(("cls", "kw", "name", "params"), CASES, ids=IDS)
def test_length_is_the_registry_compare(cls, kw, name, params):
    x, y = _data()
    space = cls(M, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # alpha=0 points fail contains by 1e-6
        length = space.length(space.neural_data_to_point(x), space.neural_data_to_point(y))
        by_name = repgeom.compare(x, y, method=name, **params)
        by_instance = repgeom.compare(x, y, method=space)
    by_numpy = repgeom.compare(x.numpy(), y.numpy(), method=name, **params)
    assert isinstance(by_name, torch.Tensor) and by_name.shape == ()
    assert isinstance(by_numpy, np.floating)
    assert abs(float(length) - float(by_name)) <= 1e-10
    assert abs(float(by_instance) - float(by_name)) <= 1e-10
    assert abs(float(by_numpy) - float(by_name)) <= 1e-10


@pytest.mark.parametrize(("cls", "kw", "name", "params"), CASES, ids=IDS)
def test_tensors_keep_dtype_and_device(cls, kw, name, params, device):
    x, y = _data(dtype=torch.float32, device=str(device))
    space = cls(M, **kw)
    pt = space.neural_data_to_point(x)
    assert pt.dtype == torch.float32 and pt.device.type == device.type
    assert tuple(pt.shape) == space.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value = repgeom.compare(x, y, method=name, **params)
    assert value.dtype == torch.float32 and value.device.type == device.type
    assert torch.isfinite(value)


@pytest.mark.parametrize(("cls", "kw", "name", "params"), CASES, ids=IDS)
def test_length_is_differentiable(cls, kw, name, params):
    x, y = _data(seed=3)
    space = cls(M, **kw)
    a = space.neural_data_to_point(x).detach().requires_grad_(True)
    b = space.neural_data_to_point(y).detach().requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grad_a, grad_b = torch.autograd.grad(space.length(a, b), (a, b))
        # a directional derivative against central differences
        direction = space.to_tangent(a.detach(), torch.randn_like(a))
        h = 1e-6
        plus = space._length_impl(a.detach() + h * direction, b.detach())
        minus = space._length_impl(a.detach() - h * direction, b.detach())
    assert torch.isfinite(grad_a).all() and torch.isfinite(grad_b).all()
    numeric = float(plus - minus) / (2 * h)
    assert float(torch.sum(grad_a * direction)) == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_compare_gradient_reaches_the_data():
    x, y = _data(seed=5)
    x.requires_grad_(True)
    for name, params in [("angular_cka", {}), ("stress", {}), ("angular_shape_metric", {"p": 6})]:
        (grad,) = torch.autograd.grad(repgeom.compare(x, y, method=name, **params), x)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_compare_returns_and_errors():
    x, y = _data()
    assert isinstance(repgeom.compare(x.numpy(), y.numpy()), np.floating)
    assert repgeom.compare(x, y).shape == ()
    # any registry metric accepts tensors and answers with a tensor
    value = repgeom.compare(x.float(), y.float(), method="rsa")
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float32
    with pytest.raises(TypeError, match="metric name or a metric space"):
        repgeom.compare(x, y, method=3)
    with pytest.raises(ValueError, match="Expected x to be size"):
        Stress(M + 1).neural_data_to_point(x)


def test_string_ids():
    assert AngularCKA(100).string_id() == "AngularCKA.unb.Linear.100"
    assert AngularCKA(10, use_unbiased_hsic=False).string_id() == "AngularCKA.Linear.10"
    sq = K.SquaredExponential(length_scale="median / 2")
    assert AngularCKA(7, kernel=sq).string_id() == "AngularCKA.unb.SqExp[median/2].7"
    assert Stress(5, kernel=K.Laplace(5.0), rescale=True).string_id() == (
        "Stress.Laplace[5.000].scaled.5"
    )
    air = AffineInvariantRiemannian(9, eps=0.1)
    assert air.string_id() == "AffineInvariantRiemannian[gram][0.100].Linear.9"
    cov = AffineInvariantRiemannian(9, mode="cov", p=3)
    assert cov.string_id() == "AffineInvariantRiemannian[cov][3].9" and cov.shape == (3, 3)
    assert EuclideanShapeMetric(100, 15, 0.5).string_id() == "ShapeMetric[0.50][15][euclidean].100"
    assert AngularShapeMetric(m=4, p=2).string_id() == "ShapeMetric[1.00][2][angular].4"
    assert AngularShapeMetric(4, 2).is_spherical and not Stress(4).is_spherical


def test_kernels_on_both_backends(rng):
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((20, 4))
    for k in (K.Linear(), K.SquaredExponential(), K.Laplace(length_scale="mean*2")):
        G = k(X)
        assert isinstance(G, np.ndarray) and G.shape == (30, 30)
        T = k(torch.from_numpy(X).float(), torch.from_numpy(Y).float())
        assert T.dtype == torch.float32 and T.shape == (30, 20)
        np.testing.assert_allclose(k(torch.from_numpy(X)).numpy(), G, atol=1e-12)
        np.testing.assert_allclose(k(X, X), G, atol=1e-12)
    assert K.Linear().string_id() == "Linear" and K.Laplace().string_id() == "Laplace[auto]"
    Kc = K.center(K.Linear()(torch.from_numpy(X)))
    assert K.is_centered(Kc, atol=1e-10) and not K.is_centered(K.Linear()(X) + 1.0)
    L = K.SquaredExponential()(torch.from_numpy(X))
    cka = K.kernel_cka(K.Linear()(torch.from_numpy(X)), L)
    assert isinstance(cka, torch.Tensor)
    assert float(cka) == pytest.approx(float(K.kernel_cka(K.Linear()(X), L.numpy())), abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        K.Laplace(length_scale=-1.0)


# ---------------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------------


def _sphere_points(dim: int, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    pts = torch.randn(n, dim + 1, generator=g, dtype=torch.float64)
    return pts / pts.norm(dim=1, keepdim=True)


def test_hypersphere_maps_and_slerp():
    sphere = geo.HyperSphere(3)
    a, b, c = _sphere_points(3, 3)
    assert sphere.contains(a) and not sphere.contains(2 * a)
    log_ab = sphere.log_map(a, b)
    assert torch.allclose(sphere.exp_map(a, log_ab), b, atol=1e-12)
    assert float(sphere.norm(a, log_ab)) == pytest.approx(float(sphere.length(a, b)))
    # transport preserves inner products and lands in the tangent space at b
    u, v = sphere.to_tangent(a, c), sphere.to_tangent(a, torch.randn(4, dtype=torch.float64))
    tu, tv = sphere.levi_civita(a, b, u), sphere.levi_civita(a, b, v)
    assert float(sphere.inner_product(b, tu, tv)) == pytest.approx(float(torch.dot(u, v)))
    assert abs(float(torch.dot(tu, b))) < 1e-12
    mid = geo.slerp(a, b, 0.5)
    assert float(sphere.length(a, mid)) == pytest.approx(float(sphere.length(a, b)) / 2)
    assert float(geo.angle(sphere, a, mid, b)) == pytest.approx(math.pi, abs=1e-6)
    assert float(geo.alexandrov(sphere, a, c, b)) > 0  # positive curvature
    with pytest.raises(ValueError, match="antipodal"):
        geo.slerp(a, -a, 0.5)


def test_gradient_descent_geodesic_matches_closed_form():
    sphere = geo.HyperSphere(2)
    a, b = _sphere_points(2, 2, seed=4)
    closed = geo.GeodesicLengthSpace.geodesic(sphere, a, b, frac=0.3)
    descent = geo.LengthSpace.geodesic(sphere, a, b, frac=0.3, pt_tol=1e-9, fn_tol=1e-12)
    assert float(sphere.length(closed, descent)) < 1e-4


def test_projections_onto_a_geodesic():
    sphere = geo.HyperSphere(2)
    a, b = _sphere_points(2, 2, seed=2)
    foot = geo.slerp(a, b, 0.4)
    normal = torch.linalg.cross(a, b)
    c = sphere.exp_map(foot, 0.3 * normal / normal.norm())  # perpendicular to ab at foot
    proj, status = geo.project_by_binary_search(sphere, a, b, c, tol=1e-5)
    assert status == geo.OptimResult.CONVERGED
    assert float(sphere.length(proj, foot)) < 1e-4
    proj2, status2 = geo.project_by_tangent_iteration(sphere, a, b, c, tol=1e-10)
    assert status2 == geo.OptimResult.CONVERGED
    assert float(sphere.length(proj2, foot)) < 1e-8


def test_pairwise_helpers():
    x = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=torch.float64)
    D2 = geo.pdist2(x, x)
    assert torch.allclose(D2, geo.pairwise_compare(x, type=geo.CompareType.SQUARE_DISTANCE))
    assert torch.allclose(geo.upper_triangle(D2), torch.tensor([5.0, 1.0, 2.0], dtype=D2.dtype))
    ang = geo.pairwise_compare(x, type=geo.CompareType.ANGLE)
    assert float(ang[0, 1]) == pytest.approx(math.pi / 2)
    assert float(ang[0, 2]) == pytest.approx(math.pi / 4)
    a, b = torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 3, dtype=torch.float64)
    new_a, new_b = geo.orthogonal_procrustes(a, b, anchor="a")
    assert torch.equal(new_a, a) and (new_b - a).norm() <= (b - a).norm()


def test_manifold_pca_and_spherical_mds():
    sphere = geo.HyperSphere(2)
    points = _sphere_points(2, 8, seed=1)
    pca = geo.ManifoldPCA(sphere, 2)
    coords = pca.fit_transform(points)
    assert coords.shape == (8, 2)
    assert torch.allclose(pca.inverse_transform(coords), points, atol=1e-3)
    torch.manual_seed(0)
    mds = geo.SphericalMDS(dim=2, n_init=1, max_iter=30, random_state=0)
    embedding = mds.fit_transform(points)
    assert embedding.shape == (8, 3)
    assert torch.allclose(embedding.norm(dim=1), torch.ones(8, dtype=embedding.dtype))
    assert float(mds.stress_) < 0.5
