"""Generalized shape metrics (Williams et al. 2021), compatible with netrep.

``LinearMetric`` aligns two representations by rotations after partial whitening and scores
the aligned pair by an angle or a Euclidean distance. Work splits into a step per
representation (:meth:`LinearMetric.prepare`: centre, partially whiten, reduce to its SVD
coordinates) and a cheap step per pair (one small product and its singular values), so
pairwise matrices over many representations cost one preparation per representation.

Conventions are netrep's (``netrep.metrics.LinearMetric``), including its quirks:

- partial whitening of the centred, zero-padded (m × n) matrix with ``C = XcᵀXc`` (not divided
  by m): eigenvalues clipped at ``1e-7``, ``dᵢ = α + (1 − α) λᵢ^{-1/2}``, then a rescale by
  ``sqrt(Σλᵢ / Σᵢ(α²λᵢ + 2α(1−α)λᵢ^{1/2} + (1−α)²))`` where the sums run over all n eigenvalues,
  the clipped null directions of the padded width included (so the euclidean score at α < 1
  depends on the padded width; the angular score does not);
- no whitening at all for α > 1 − 1e-7;
- the euclidean score is ``‖tX − tY‖_F``, not normalised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import torch
from scipy.linalg import null_space
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator, clone
from tqdm.auto import tqdm

from repgeom.errors import NotFittedError
from repgeom.metrics._base import NetrepPairwise
from repgeom.metrics._validation import angle, as_matrix, check_same_stimuli, check_widths
from repgeom.metrics.kernels import as_tensor
from repgeom.metrics.pairwise import DEFAULT_BATCH_BYTES, Pair, Scorer, as_data, map_pairs

ScoreMethod = Literal["angular", "euclidean"]
SCORE_METHODS: tuple[ScoreMethod, ...] = ("angular", "euclidean")

#: netrep's absolute floor on the eigenvalues of ``XcᵀXc`` before whitening.
EIG_CLIP = 1e-7
#: netrep skips whitening when alpha is within this of 1.
ALPHA_ONE_TOL = 1e-7
#: Newton–Schulz steps for the polar factor; singular values above ~1e-5 of the largest
#: converge within 30 cubic steps (each multiplies small ones by 1.5).
POLAR_STEPS = 30
#: Pairs whose cosine exceeds this are rechecked with an exact float64 SVD (angles below
#: ~0.045 rad are sensitive to the iteration's error).
NEAR_ZERO_COS = 1 - 1e-3
#: Backward error assumed for LAPACK's symmetric eigensolver on a Gram matrix, relative to its
#: largest eigenvalue (a few ε; measured errors are smaller).
EIG_REL_ERR = 16 * float(np.finfo(np.float64).eps)
#: The most the eigenvalue route may change a distance by the (worst-case) bound of
#: :func:`gram_nuclear_norms`: radians for the angular score, relative for the euclidean one.
#: A pair whose bound is larger (near zero distances, rank-deficient products) is computed
#: again by an SVD. The bound is pessimistic: on 1,000 × 2,048 representations at 0.14 rad it
#: says 4e-8 rad where the measured difference to the SVD is 6e-14.
SCORE_TOL = 1e-7


def gram_nuclear_norms(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nuclear norms of matrices ``M`` (…, p, q) from the eigenvalues of the smaller of
    ``MᵀM`` and ``MMᵀ``, with a bound on each one's error.

    Notes
    -----
    ``‖M‖_* = Σ √λ_i`` over the eigenvalues of the Gram matrix. A symmetric eigensolver
    returns each ``λ_i`` to an absolute ``δ ≈ EIG_REL_ERR · λ_max`` (backward stable), so
    ``σ_i = √λ_i`` is off by at most ``min(δ / 2σ_i, √δ)``: singular values well above
    ``√δ`` are as accurate as an SVD's, ones near zero lose up to ``√δ ≈ 6e-8 σ_max``. The sum
    of these bounds is returned beside the norm. At 1,000 × 1,000 the eigenproblem (plus the
    Gram product) takes about a third of an SVD's time on a CPU.
    """
    M = np.asarray(M, dtype=np.float64)
    Mt = np.swapaxes(M, -1, -2)
    G = Mt @ M if M.shape[-1] <= M.shape[-2] else M @ Mt
    lam = np.linalg.eigvalsh(G)
    delta = EIG_REL_ERR * np.maximum(lam[..., -1:], 0.0)
    sigma = np.sqrt(np.maximum(lam, 0.0))
    ratio = np.divide(delta, 2 * sigma, out=np.full_like(sigma, np.inf), where=sigma > 0)
    error = np.minimum(ratio, np.sqrt(delta))
    return sigma.sum(axis=-1), error.sum(axis=-1)


def polar_nuclear_norms(M: torch.Tensor, steps: int = POLAR_STEPS) -> torch.Tensor:
    """Nuclear norms of a batch of matrices (b, p, q) by Newton–Schulz polar iterations.

    Notes
    -----
    With ``X₀ = M / ‖M‖_F`` (singular values in (0, 1]) the iteration
    ``X ← 1.5 X − 0.5 X Xᵀ X`` drives every singular value to 1 while keeping the singular
    vectors, so it converges to the polar factor ``U Vᵀ`` and ``‖M‖_* = tr(Xᵀ M)``. Only
    matrix products are used. Singular values below ~1.5^(−steps) of the largest are not
    converged; their share of the norm is underestimated.
    """
    if M.shape[-2] < M.shape[-1]:
        M = M.mT  # iterate on the thinner Gram side
    X = M / torch.linalg.matrix_norm(M, keepdim=True).clamp_min(torch.finfo(M.dtype).tiny)
    for _ in range(steps):
        X = 1.5 * X - 0.5 * X @ (X.mT @ X)
    return (X * M).sum(dim=(-2, -1))


def _check_score_method(score_method: str) -> None:
    if score_method not in SCORE_METHODS:
        raise ValueError(f"score_method={score_method!r}; expected one of {SCORE_METHODS}")


def _check_alpha(alpha: float) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("Regularization parameter `alpha` must be between zero and one.")


@dataclass(frozen=True)
class PreparedLinear:
    """One representation, centred and partially whitened, in its own SVD coordinates.

    With ``Xc = U S Vᵀ`` (k = min(n_stimuli, n_units) singular directions) the whitened
    matrix is ``Xw = Xc Z = coords · Vᵀ · scale(n)``, where ``coords = U diag(s · d)`` and the
    rescale factor depends on the padded width ``n`` of the pair.

    Attributes
    ----------
    mean : ndarray of shape (n_units,)
        Column means removed (zeros without centering).
    basis : ndarray of shape (n_units, k)
        Right singular vectors ``V``.
    coords : ndarray of shape (n_stimuli, k)
        ``U diag(s d)``: whitened data before the width-dependent rescale.
    gain : ndarray of shape (k,)
        Whitening gains ``d`` of the singular directions.
    null_gain : float
        Whitening gain of directions outside the span (clipped eigenvalues).
    sum_lam, sum_var : float
        Σλ and Σ(α²λ + 2α(1−α)√λ + (1−α)²) over the k directions (clipped λ).
    """

    mean: np.ndarray
    basis: np.ndarray
    coords: np.ndarray
    gain: np.ndarray
    null_gain: float
    sum_lam: float
    sum_var: float
    alpha: float

    @property
    def n_units(self) -> int:
        return int(self.basis.shape[0])

    @property
    def norm(self) -> float:
        return float(np.linalg.norm(self.coords))

    def scale(self, width: int) -> float:
        """netrep's variance-preserving rescale for a pair padded to ``width`` units."""
        if self.alpha > 1 - ALPHA_ONE_TOL:
            return 1.0
        k = self.gain.size
        a = self.alpha
        null_var = a * a * EIG_CLIP + 2 * a * (1 - a) * np.sqrt(EIG_CLIP) + (1 - a) ** 2
        extra = max(width - k, 0)
        return float(np.sqrt((self.sum_lam + extra * EIG_CLIP) / (self.sum_var + extra * null_var)))

    def whiten(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """Whitened coordinates of (test) rows ``X`` in this basis, and the squared norm of
        their part outside the span (already multiplied by ``null_gain``)."""
        Xc = X - self.mean
        inside = Xc @ self.basis
        outside = Xc - inside @ self.basis.T
        return inside * self.gain, float(self.null_gain**2 * np.sum(outside**2))


class LinearMetric(NetrepPairwise, BaseEstimator):
    """Generalized shape metric with partial whitening (netrep's ``LinearMetric``).

    Parameters
    ----------
    alpha : float in [0, 1]
        1: rotations only (Procrustes); 0: any invertible linear map (CCA); in between:
        partial whitening.
    center_columns : bool
        Remove column means (translation invariance).
    zero_pad : bool
        Pad the narrower representation with zero units; otherwise widths must match.
    score_method : {"angular", "euclidean"}
        Angle between the aligned matrices, or their Frobenius distance.

    Attributes
    ----------
    prep_x_, prep_y_ : PreparedLinear
        The two prepared representations.
    rotation_x_, rotation_y_ : ndarray of shape (k_x, k_x), (k_y, k_y)
        Singular vectors of ``coords_xᵀ coords_y``; their first r = min(k_x, k_y) columns
        are matched pairs.
    width_ : int
        Padded width of the pair.

    Notes
    -----
    With ``Xw``, ``Yw`` the partially whitened, padded matrices,
    ``θ = arccos(‖Xwᵀ Yw‖_* / (‖Xw‖_F ‖Yw‖_F))`` and
    ``d_E = sqrt(‖Xw‖² + ‖Yw‖² − 2‖Xwᵀ Yw‖_*)``. Only the (k_x × k_y) product of the prepared
    coordinates is needed per pair.

    ``alpha`` outside [0, 1] raises in the constructor, as in netrep, so that code written for
    netrep fails at the same line; :meth:`fit` checks it again after ``set_params``.

    References
    ----------
    Williams, Kunz, Kornblith & Linderman (2021), "Generalized Shape Metrics on Neural
    Representations", NeurIPS.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 10))
    >>> Q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    >>> round(LinearMetric(alpha=1.0).fit_score(X, 3 * X @ Q + 2), 6)
    0.0
    """

    def __init__(
        self,
        alpha: float = 1.0,
        center_columns: bool = True,
        zero_pad: bool = True,
        score_method: ScoreMethod = "angular",
    ) -> None:
        _check_alpha(alpha)
        self.alpha = alpha
        self.center_columns = center_columns
        self.zero_pad = zero_pad
        self.score_method = score_method

    # -- per representation ------------------------------------------------------------
    def prepare(self, X: Any) -> PreparedLinear:
        """Centre, partially whiten and reduce one representation (once per representation)."""
        X = as_matrix(X, "X")
        mean = X.mean(axis=0) if self.center_columns else np.zeros(X.shape[1])
        Xc = X - mean
        U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
        lam = np.maximum(s**2, EIG_CLIP)
        a = float(self.alpha)
        if a > 1 - ALPHA_ONE_TOL:
            gain, null_gain = np.ones_like(s), 1.0
            sum_var = float(lam.sum())
        else:
            gain = a + (1 - a) / np.sqrt(lam)
            null_gain = a + (1 - a) / np.sqrt(EIG_CLIP)
            sum_var = float(np.sum(a * a * lam + 2 * a * (1 - a) * np.sqrt(lam) + (1 - a) ** 2))
        return PreparedLinear(
            mean=mean,
            basis=Vt.T,
            coords=U * (s * gain),
            gain=gain,
            null_gain=float(null_gain),
            sum_lam=float(lam.sum()),
            sum_var=sum_var,
            alpha=a,
        )

    def resample_prepared(self, p: PreparedLinear, idx: np.ndarray) -> PreparedLinear:
        """The prepared representation of the stimuli ``idx`` (rows, repeats allowed) of the
        representation ``p`` was prepared from, without its original data.

        Notes
        -----
        ``coords / gain = U S`` are the centred rows in the basis ``V``, so the resampled rows
        centred anew are ``(U S)[idx] − mean`` in the same basis; at ``alpha = 1`` (nothing to
        whiten) they are the new coords, otherwise they are prepared again (an SVD of
        ``n_stimuli × k``) and the new basis is mapped back to the original units.
        """
        raw = p.coords[np.asarray(idx)] / p.gain
        if self.center_columns:
            raw = raw - raw.mean(axis=0)
        if p.alpha > 1 - ALPHA_ONE_TOL:
            lam = float(np.sum(raw**2))
            return replace(p, mean=np.zeros(p.n_units), coords=raw, sum_lam=lam, sum_var=lam)
        inner = clone(self).set_params(center_columns=False).prepare(raw)
        return replace(inner, mean=np.zeros(p.n_units), basis=p.basis @ inner.basis)

    def score_block_prepared(
        self, rows: Sequence[PreparedLinear], cols: Sequence[PreparedLinear]
    ) -> np.ndarray:
        """Training distances of every row against every column on the CPU, in float64.

        Notes
        -----
        The rows' coords are zero-padded to one width and stacked, so each column costs one
        batched product ``M_i = A_iᵀ B`` and one batched symmetric eigenproblem
        (:func:`gram_nuclear_norms`); a pair whose error bound could move its distance by
        more than :data:`SCORE_TOL` is computed again by an SVD (:meth:`score_exact`).
        """
        _check_score_method(self.score_method)
        k_max = max(r.coords.shape[1] for r in rows)
        A = np.zeros((len(rows), rows[0].coords.shape[0], k_max))
        for i, r in enumerate(rows):
            check_same_stimuli(r.coords, cols[0].coords)
            A[i, :, : r.coords.shape[1]] = r.coords
        out = np.empty((len(rows), len(cols)))
        for j, b in enumerate(cols):
            nuclear, error = gram_nuclear_norms(A.transpose(0, 2, 1) @ b.coords)
            for i, a in enumerate(rows):
                out[i, j] = self._checked(a, b, float(nuclear[i]), float(error[i]))
        return out

    # -- per pair ----------------------------------------------------------------------
    def _width(self, a: PreparedLinear, b: PreparedLinear) -> int:
        if not self.zero_pad and a.n_units != b.n_units:
            check_widths(np.empty((0, a.n_units)), np.empty((0, b.n_units)), False)
        return max(a.n_units, b.n_units)

    def score_prepared(self, a: PreparedLinear, b: PreparedLinear) -> float:
        """Training distance of two prepared representations: ``‖aᵀb‖_*`` and the norms.

        The nuclear norm comes from the eigenvalues of the smaller Gram side of ``aᵀb``
        (:func:`gram_nuclear_norms`, about 3× cheaper than an SVD at 1,000 × 1,000), unless
        its error bound could move the distance by more than :data:`SCORE_TOL`: then from the
        singular values (:meth:`score_exact`)."""
        _check_score_method(self.score_method)
        check_same_stimuli(a.coords, b.coords)
        nuclear, error = gram_nuclear_norms(a.coords.T @ b.coords)
        return self._checked(a, b, float(nuclear), float(error))

    def score_exact(self, a: PreparedLinear, b: PreparedLinear) -> float:
        """:meth:`score_prepared` with the nuclear norm from an SVD of ``aᵀb``."""
        _check_score_method(self.score_method)
        check_same_stimuli(a.coords, b.coords)
        nuclear = float(np.linalg.svd(a.coords.T @ b.coords, compute_uv=False).sum())
        return self._distance(a, b, nuclear, a.norm**2, b.norm**2)

    def _checked(self, a: PreparedLinear, b: PreparedLinear, nuclear: float, error: float) -> float:
        """The distance from a nuclear norm good to ``± error``, or :meth:`score_exact` where
        that error could move it by more than :data:`SCORE_TOL`: ``error / (‖a‖‖b‖ sin θ)``
        radians for the angle, ``s_a s_b · error / d²`` relative for the euclidean distance."""
        d = self._distance(a, b, nuclear, a.norm**2, b.norm**2)
        if self.score_method == "angular":
            slope = a.norm * b.norm * np.sin(d)
        else:
            width = self._width(a, b)
            slope = d * d / (a.scale(width) * b.scale(width))
        if not error <= SCORE_TOL * slope:  # also when slope is 0 (d = 0 or θ = 0)
            return self.score_exact(a, b)
        return d

    def score_pairs(
        self,
        prepared: Mapping[int, PreparedLinear],
        pairs: Sequence[Pair],
        *,
        n_jobs: int | None = None,
        progress: bool | None = None,
        device: torch.device | None = None,
        batched: bool | None = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
    ) -> np.ndarray:
        """Training distances of many prepared pairs.

        The backend follows ``device``: on the CPU (``None`` or ``cpu``) each pair is one float64
        :meth:`score_prepared` (a symmetric eigenproblem, an SVD where its error bound could
        matter), pairs side by side on ``n_jobs`` threads; on CUDA (or with
        ``batched=True``) the (k × k) products of a batch of pairs are one batched GEMM and
        their nuclear norms come from GEMM-only Newton–Schulz polar iterations
        (:func:`polar_nuclear_norms`; float32 on CUDA, float64 on the CPU). Singular values are
        the GPU's bottleneck (about 62 ms per 1,000 × 1,000 matrix on an H100 against under
        1 ms for 30 polar steps). Pairs whose cosine exceeds :data:`NEAR_ZERO_COS`, where the
        iteration's ~1e-5 relative error would matter, are recomputed exactly in float64.
        """
        if batched is None:
            batched = device is not None and device.type == "cuda"
        if not batched:
            return map_pairs(self.score_prepared, prepared, pairs, n_jobs=n_jobs, progress=progress)
        device = torch.device("cpu") if device is None else device
        dtype = torch.float32 if device.type == "cuda" else torch.float64
        _check_score_method(self.score_method)
        keys = sorted({k for pair in pairs for k in pair})
        index = {k: n for n, k in enumerate(keys)}
        k_max = max(prepared[k].coords.shape[1] for k in keys)
        m = prepared[keys[0]].coords.shape[0]
        coords = torch.zeros((len(keys), m, k_max), dtype=dtype, device=device)
        for k in keys:  # zero columns change neither products nor norms
            width = prepared[k].coords.shape[1]
            coords[index[k], :, :width] = torch.as_tensor(prepared[k].coords, dtype=dtype)
        per_pair = 4 * k_max * k_max * torch.finfo(dtype).bits // 8  # M, X and temporaries
        batch = max(1, batch_bytes // per_pair)
        out = np.empty(len(pairs))
        starts = range(0, len(pairs), batch)
        for start in tqdm(
            starts, desc="pair batches", disable=None if progress is None else not progress
        ):
            chunk = pairs[start : start + batch]
            a = torch.tensor([index[i] for i, _ in chunk], device=device)
            b = torch.tensor([index[j] for _, j in chunk], device=device)
            nuclear = polar_nuclear_norms(coords[a].mT @ coords[b]).double().cpu().numpy()
            for n, ((i, j), value) in enumerate(zip(chunk, nuclear, strict=True)):
                pa, pb = prepared[i], prepared[j]
                if value / (pa.norm * pb.norm) > NEAR_ZERO_COS:
                    out[start + n] = self.score_exact(pa, pb)  # exact float64 recheck
                else:
                    out[start + n] = self._distance(pa, pb, float(value), pa.norm**2, pb.norm**2)
        return out

    def _distance(
        self, a: PreparedLinear, b: PreparedLinear, inner: float, sq_a: float, sq_b: float
    ) -> float:
        """Angular or euclidean distance from the inner product and squared norms (before the
        width-dependent rescale)."""
        if self.score_method == "angular":
            denom = np.sqrt(sq_a * sq_b)
            return float(angle(inner / denom)) if denom > 0 else float(np.pi / 2)
        width = self._width(a, b)
        sa, sb = a.scale(width), b.scale(width)
        return float(np.sqrt(max(sa * sa * sq_a + sb * sb * sq_b - 2 * sa * sb * inner, 0.0)))

    # -- sklearn / netrep API ----------------------------------------------------------
    def _validate(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        _check_alpha(self.alpha)
        _check_score_method(self.score_method)
        X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
        check_same_stimuli(X, Y)
        check_widths(X, Y, self.zero_pad)
        return X, Y

    def fit(self, X: Any, Y: Any) -> LinearMetric:
        """Fit the alignment of ``X`` (n_stimuli, n_x) and ``Y`` (n_stimuli, n_y)."""
        X, Y = self._validate(X, Y)
        self.prep_x_, self.prep_y_ = self.prepare(X), self.prepare(Y)
        self._align()
        return self

    def _align(self) -> None:
        P, _, Qt = np.linalg.svd(self.prep_x_.coords.T @ self.prep_y_.coords)
        self.rotation_x_, self.rotation_y_ = P, Qt.T
        self.width_ = self._width(self.prep_x_, self.prep_y_)

    def partial_fit(self, X: Any) -> PreparedLinear:
        """netrep alias of :meth:`prepare` (not sklearn's incremental fit)."""
        return self.prepare(X)

    def finalize_fit(self, cache_X: PreparedLinear, cache_Y: PreparedLinear) -> LinearMetric:
        """netrep alias: fit from two prepared representations."""
        _check_alpha(self.alpha)
        self.prep_x_, self.prep_y_ = cache_X, cache_Y
        self._align()
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "prep_x_"):
            raise NotFittedError(
                "this LinearMetric is not fitted yet; call fit(X, Y) before score or transform"
            )

    def score(self, X: Any, Y: Any) -> float:
        """Distance between ``X`` and ``Y`` under the fitted alignment (e.g. held-out data).

        Test rows are centred with the training means and whitened with the training
        whitening; their parts outside the training span count in the norms. (Where both
        test sets leave their training spans, netrep's value also depends on an arbitrary
        basis of the null spaces; repgeom leaves that arbitrary cross term out.)
        """
        self._check_fitted()
        X, Y = self._validate(X, Y)
        wx, out_x = self.prep_x_.whiten(X)
        wy, out_y = self.prep_y_.whiten(Y)
        r = min(self.rotation_x_.shape[1], self.rotation_y_.shape[1])
        inner = float(np.sum((wx @ self.rotation_x_[:, :r]) * (wy @ self.rotation_y_[:, :r])))
        return self._distance(
            self.prep_x_, self.prep_y_, inner, np.sum(wx**2) + out_x, np.sum(wy**2) + out_y
        )

    def fit_score(self, X: Any, Y: Any) -> float:
        """Fit on ``(X, Y)`` and return their distance."""
        X, Y = self._validate(X, Y)
        return self.score_prepared(self.prepare(X), self.prepare(Y))

    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Both representations in the common aligned frame, each (n_stimuli, width_).

        Unique only up to a common orthogonal matrix (as netrep's).
        """
        self._check_fitted()
        X, Y = self._validate(X, Y)
        return (
            self._frame(self.prep_x_, X, self.rotation_x_),
            self._frame(self.prep_y_, Y, self.rotation_y_),
        )

    def _frame(self, prep: PreparedLinear, X: np.ndarray, rotation: np.ndarray) -> np.ndarray:
        scale = prep.scale(self.width_)
        inside, _ = prep.whiten(X)
        aligned = inside @ rotation
        # directions outside the training span, in an orthonormal completion of the basis
        completion = null_space(prep.basis.T) if prep.basis.shape[1] < prep.n_units else None
        parts = [aligned]
        if completion is not None and completion.size:
            parts.append(prep.null_gain * (X - prep.mean) @ completion)
        out = np.concatenate(parts, axis=1) * scale
        return np.pad(out, ((0, 0), (0, max(self.width_ - out.shape[1], 0))))


class PermutationMetric(NetrepPairwise, BaseEstimator):
    """Shape metric whose alignment is a permutation of units (netrep's ``PermutationMetric``).

    Notes
    -----
    With centred, zero-padded ``X`` and ``Y``, the permutation maximises ``tr(Pᵀ XᵀY)``
    (a linear assignment); the score is the angle or Frobenius distance after permuting.
    """

    def __init__(
        self,
        center_columns: bool = True,
        zero_pad: bool = True,
        score_method: ScoreMethod = "angular",
    ) -> None:
        self.center_columns = center_columns
        self.zero_pad = zero_pad
        self.score_method = score_method

    def _padded(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        _check_score_method(self.score_method)
        X, Y = as_matrix(X, "X"), as_matrix(Y, "Y")
        check_same_stimuli(X, Y)
        check_widths(X, Y, self.zero_pad)
        width = max(X.shape[1], Y.shape[1])
        return (
            np.pad(X, ((0, 0), (0, width - X.shape[1]))),
            np.pad(Y, ((0, 0), (0, width - Y.shape[1]))),
        )

    def fit(self, X: Any, Y: Any) -> PermutationMetric:
        X, Y = self._padded(X, Y)
        self.mean_x_ = X.mean(0) if self.center_columns else np.zeros(X.shape[1])
        self.mean_y_ = Y.mean(0) if self.center_columns else np.zeros(Y.shape[1])
        self.perm_x_, self.perm_y_ = linear_sum_assignment(
            (X - self.mean_x_).T @ (Y - self.mean_y_), maximize=True
        )
        return self

    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "perm_x_"):
            raise NotFittedError("this PermutationMetric is not fitted yet; call fit(X, Y)")
        X, Y = self._padded(X, Y)
        return (X - self.mean_x_)[:, self.perm_x_], (Y - self.mean_y_)[:, self.perm_y_]

    def score(self, X: Any, Y: Any) -> float:
        tX, tY = self.transform(X, Y)
        if self.score_method == "angular":
            return float(angle(np.sum(tX * tY) / (np.linalg.norm(tX) * np.linalg.norm(tY))))
        return float(np.linalg.norm(tX - tY))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.fit(X, Y).score(X, Y)


#: repsim's eigenvalue floor when whitening (its covariance is divided by n_stimuli).
REPSIM_EIG_CLIP = 1e-9


def _repsim_point(X: torch.Tensor, p: int, alpha: float, unit_norm: bool) -> torch.Tensor:
    """repsim's ``neural_data_to_point`` for its shape metrics (torch; (m, d) → (m, p)).

    Centre the columns, project onto the top ``p`` principal axes (axes held fixed under
    autograd, as repsim) or zero-pad to ``p``, partially whiten with gains
    ``α + (1 − α) / sqrt(max(λ, 1e-9))`` on the eigenvectors of ``XᵀX / m`` (in float64 at
    least, cast back to ``X``'s dtype), and scale to unit Frobenius norm for the angular score.
    """
    Xc = X - X.mean(dim=0, keepdim=True)
    if Xc.shape[1] > p:  # PCA to the top p axes, no rescaling
        with torch.no_grad():
            _, _, Vt = torch.linalg.svd(Xc, full_matrices=False)
        Xc = Xc @ Vt[:p].T
    elif Xc.shape[1] < p:
        Xc = torch.cat([Xc, Xc.new_zeros(len(Xc), p - Xc.shape[1])], dim=1)
    if alpha != 1:  # alpha = 1: every gain is 1, the identity
        # in float64 at least, so that a float32 point is whitened to its own precision
        X64 = Xc.to(torch.promote_types(Xc.dtype, torch.float64))
        evals, evecs = torch.linalg.eigh(X64.T @ X64 / X64.shape[0])
        gain = alpha + (1 - alpha) / torch.sqrt(torch.clamp(evals, min=REPSIM_EIG_CLIP))
        Xc = (X64 @ (evecs * gain) @ evecs.T).to(Xc.dtype)
    return Xc / torch.linalg.norm(Xc) if unit_norm else Xc


def procrustes_rotation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The orthogonal ``R = U Vᵀ`` (``aᵀb = U S Vᵀ``) minimising ``‖a R − b‖_F``, held fixed
    under autograd (the distance's gradient needs no derivative of ``R``: it is optimal)."""
    with torch.no_grad():
        U, _, Vh = torch.linalg.svd(a.T @ b, full_matrices=False)
    return U @ Vh


class RepsimShapeScorer(Scorer):
    """repsim's shape metrics for the pairwise engine.

    With ``p`` given, each representation's point (:meth:`point`: projected or padded to
    ``p`` dims, whitened, unit norm for the angular score) is prepared once; with ``p=None``
    the width is the pair's wider one, so only the validated matrix is prepared. The classes
    ``AngularShapeMetric`` / ``EuclideanShapeMetric`` of :mod:`repgeom.metrics.spaces` are
    views of this scorer.
    """

    def __init__(
        self, p: int | None = None, alpha: float = 1.0, score_method: ScoreMethod = "angular"
    ) -> None:
        _check_score_method(score_method)
        self.p = p
        self.alpha = alpha
        self.score_method = score_method

    def _point(self, X: torch.Tensor, p: int) -> torch.Tensor:
        return _repsim_point(X, p, self.alpha, self.score_method == "angular")

    def point(self, rep: Any, p: int | None = None) -> torch.Tensor:
        """The (m, p) point of one representation (``p`` defaults to the scorer's)."""
        p = self.p if p is None else p
        X = as_tensor(as_data(rep).features, "X")
        return X if p is None else self._point(X, p)

    prepare = point

    def distance(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Distance of two points after Procrustes alignment of ``a`` to ``b`` (0-d tensor):
        ``‖a R − b‖_F`` (euclidean) or ``arccos(⟨a R, b⟩ / (‖a‖ ‖b‖))`` (angular), where
        ``⟨a R, b⟩ = ‖aᵀb‖_*``."""
        check_same_stimuli(a, b)
        aligned = a @ procrustes_rotation(a, b)
        if self.score_method == "angular":
            cosine = torch.sum(aligned * b) / torch.sqrt(torch.sum(a * a) * torch.sum(b * b))
            return torch.arccos(torch.clamp(cosine, -1.0, 1.0))
        return torch.linalg.norm(aligned - b)

    def score(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.p is None:
            check_same_stimuli(a, b)
            p = max(a.shape[1], b.shape[1])
            a, b = self._point(a, p), self._point(b, p)
        return self.distance(a, b)


def repsim_shape_distance(
    X: Any,
    Y: Any,
    *,
    p: int | None = None,
    alpha: float = 1.0,
    score_method: ScoreMethod = "angular",
) -> float:
    """Shape distance with repsim's conventions (``AngularShapeMetric`` /
    ``EuclideanShapeMetric``).

    Notes
    -----
    Unlike netrep: both inputs are projected onto their top ``p`` principal axes (or
    zero-padded to ``p``), whitening uses ``XᵀX / n_stimuli`` with eigenvalues floored at
    1e-9 and no variance-preserving rescale, and the angular version works on unit-norm
    points. Then ``θ = arccos(‖aᵀb‖_* / (‖a‖‖b‖))`` or ``d = sqrt(‖a‖² + ‖b‖² − 2‖aᵀb‖_*)``.
    ``p=None`` takes the wider of the two widths (no projection, only zero padding).
    The two libraries agree at α = 1, and in angle at α = 0.
    """
    scorer = RepsimShapeScorer(p, alpha, score_method)
    X, Y = as_tensor(X, "X"), as_tensor(Y, "Y")
    check_same_stimuli(X, Y)
    return float(scorer.score(scorer.prepare(X), scorer.prepare(Y)))
