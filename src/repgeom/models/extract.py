"""One forward pass per batch extracts every requested layer, streamed into exact reductions.

Layer outputs of any shape become (batch, features) rows under a named :class:`LayerPolicy`:

- 4-D conv maps (batch, channel, y, x): ``spatial="flatten"`` (all units), ``"avg"`` or
  ``"max"`` (global pooling over y, x);
- 3-D token sequences (batch, token, dim), e.g. ViT: ``tokens="cls"`` (first token),
  ``"mean"`` (average over tokens) or ``"all"`` (flatten);
- singleton dims are squeezed first (``(b, 512, 1, 1)`` is a 2-D output); anything else is
  flattened;
- ``whiten="zca"`` then ZCA-whitens each layer's rows over the stimuli (the
  encoder-dimensionality study's appendix counterexample, :func:`zca_whiten`): every direction
  of variance above the regularisation gets unit variance, so the effective dimensionality
  is maximal (the rank). Whitening changes the representation (it is not a rotation), so it
  belongs to the layer, before the exact reduction and every analysis.

The forward pass runs a prepared copy of the model's graph (:func:`inference_graph`: batch
norms folded into their convolutions, channels-last weights on CPU); the user's model is not
changed. Without ``keep_raw`` a channels-last conv map is flattened in its memory order
(y, x, channel) rather than (channel, y, x): a permutation of the units, under which every
reduced quantity (the Gram matrix, the row means, the width) is the same.
"""

from __future__ import annotations

import copy
import logging
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import fx, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.feature_extraction import create_feature_extractor
from tqdm.auto import tqdm

from repgeom.errors import ConfigError, InvalidInputError
from repgeom.models.allocator import reuse_freed_memory
from repgeom.reduce import (
    DEFAULT_IN_MEMORY_BYTES,
    DEFAULT_SCRATCH_BUDGET,
    GramAccumulator,
    Reduced,
    UnitSlice,
    plan_passes,
    reduce_gram,
)

log = logging.getLogger(__name__)

SpatialPolicy = Literal["flatten", "avg", "max"]
TokenPolicy = Literal["cls", "mean", "all"]
WhitenPolicy = Literal["none", "zca"]
#: The study's ZCA regularisation: covariance eigenvalues are clipped to at least this.
ZCA_REGULARIZATION = 1e-6

#: Without a terminal (a Snakemake job's log) progress is logged this many times per pass.
PROGRESS_LOG_STEPS = 10
#: ImageNet channel statistics that torchvision's models expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class LayerPolicy:
    """How a layer's output tensor becomes one row of features per image."""

    spatial: SpatialPolicy = "flatten"
    tokens: TokenPolicy = "cls"
    whiten: WhitenPolicy = "none"
    whiten_regularization: float = ZCA_REGULARIZATION

    def __post_init__(self) -> None:
        if self.spatial not in ("flatten", "avg", "max"):
            raise ConfigError(f"spatial policy {self.spatial!r}; choose flatten, avg or max")
        if self.tokens not in ("cls", "mean", "all"):
            raise ConfigError(f"token policy {self.tokens!r}; choose cls, mean or all")
        if self.whiten not in ("none", "zca"):
            raise ConfigError(f"whiten policy {self.whiten!r}; choose none or zca")
        if not self.whiten_regularization > 0:
            raise ConfigError(
                f"whiten_regularization = {self.whiten_regularization!r}; it must be > 0"
            )

    def finish(
        self, reduced: Reduced, raw: np.ndarray | None = None
    ) -> tuple[Reduced, np.ndarray | None]:
        """What the policy does to a whole layer once every row is in (ZCA whitening)."""
        if self.whiten == "zca":
            return zca_whiten(reduced, self.whiten_regularization, raw=raw)
        return reduced, raw

    def apply(self, output: torch.Tensor, *, any_unit_order: bool = False) -> torch.Tensor:
        """(batch, ...) layer output → (batch, n_features).

        With ``any_unit_order`` a flattened channels-last conv map keeps its memory order
        (y, x, channel), without a copy; otherwise units are in (channel, y, x) order.
        """
        batch = output.shape[0]
        inner = [s for s in output.shape[1:] if s != 1]
        output = output.reshape(batch, *inner)
        if output.ndim == 4:
            if self.spatial == "avg":
                return output.mean(dim=(2, 3))
            if self.spatial == "max":
                return output.amax(dim=(2, 3))
            if any_unit_order and output.is_contiguous(memory_format=torch.channels_last):
                return output.permute(0, 2, 3, 1).reshape(batch, -1)
        elif output.ndim == 3:
            if self.tokens == "cls":
                return output[:, 0]
            if self.tokens == "mean":
                return output.mean(dim=1)
        return output.reshape(batch, -1)


def zca_whiten(
    reduced: Reduced, regularization: float = ZCA_REGULARIZATION, raw: np.ndarray | None = None
) -> tuple[Reduced, np.ndarray | None]:
    """ZCA-whiten a layer over its stimuli, exactly, from its reduced representation.

    The study's ZCA (``custom_model_tools/zca.py`` of Elmoznino & Bonner) maps the raw rows
    ``X`` (n × p) to ``X_w = (X − μ) W`` with ``W = V diag(1 / sqrt(max(λ, ε))) Vᵀ`` from the
    covariance ``(X − μ)ᵀ(X − μ) / (n − 1) = V diag(λ) Vᵀ`` and ``ε = regularization``. With
    the thin SVD of the centred rows ``X_c = U S Vᵀ`` this is ``X_w = U diag(f) Vᵀ``,
    ``f = s / sqrt(max(s² / (n − 1), ε))``: every direction with variance above ``ε`` gets
    variance 1 (singular value ``sqrt(n − 1)``). So

    - the reduced whitened layer is ``U diag(f)`` (``U, s`` from the column-centred reduced
      features ``Z − mean(Z)``, which have the Gram matrix of ``X_c``);
    - its per-stimulus means over the p original units are
      ``U diag(f / s) Uᵀ (m − mean(m))`` with ``m`` the raw rows' means (``X_c 1 = p (m −
      mean(m))``);
    - the raw whitened rows (when ``raw`` is given) are ``U diag(f / s) Uᵀ X_c``.

    The width ``n_units`` is unchanged. Directions at rounding level (``s² ≤ s_max² n eps``)
    are dropped, as in the reduction itself.
    """
    Z = np.asarray(reduced.features, dtype=np.float64)
    n = Z.shape[0]
    if n < 2:
        raise InvalidInputError("ZCA whitening needs at least 2 stimuli (a covariance)")
    Zc = Z - Z.mean(axis=0)
    U, s, _ = np.linalg.svd(Zc, full_matrices=False)
    keep = s**2 > (s[0] ** 2 if s.size else 0.0) * n * np.finfo(np.float64).eps
    if s.size and s[0] == 0:
        keep[:] = False
    U, s = U[:, keep], s[keep]
    f = s / np.sqrt(np.maximum(s**2 / (n - 1), regularization))
    ratio = f / s
    m = np.asarray(reduced.row_mean, dtype=np.float64)
    row_mean = U @ (ratio * (U.T @ (m - m.mean())))
    features = U * f
    pivot = np.abs(features).argmax(axis=0)  # deterministic signs, as reduce_gram's
    signs = np.sign(features[pivot, np.arange(features.shape[1])])
    signs[signs == 0] = 1.0
    whitened = Reduced(features=features * signs, row_mean=row_mean, n_units=reduced.n_units)
    if raw is None:
        return whitened, None
    Xc = np.asarray(raw, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    raw_w = U @ (ratio[:, None] * (U.T @ Xc))
    return whitened, raw_w.astype(np.asarray(raw).dtype, copy=False)


def _normalise(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(device)
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    return (tensor - mean) / std


@reuse_freed_memory()  # batches reuse the pages of the last one's activations
def extract_reduced(
    model: nn.Module,
    images: np.ndarray,
    layers: Mapping[str, str],
    *,
    policy: LayerPolicy | None = None,
    batch_size: int = 64,
    device: torch.device | None = None,
    scratch_dir: str | os.PathLike[str] | None = None,
    scratch_budget: int = DEFAULT_SCRATCH_BUDGET,
    in_memory_bytes: int = DEFAULT_IN_MEMORY_BYTES,
    keep_raw: bool = False,
    progress: bool | None = None,
) -> dict[str, tuple[Reduced, np.ndarray | None]]:
    """Run the model over ``images`` and reduce every requested layer exactly.

    One forward pass per batch feeds every layer. When the layers' raw activations would spill
    more than ``scratch_budget`` bytes to disk, their units are split over several passes
    (:func:`repgeom.reduce.plan_passes`): each pass runs the model again (only up to its
    deepest layer) and spills only its own units, and the Gram matrices of a layer's unit
    slices add up (``G = Σ_s X_s X_sᵀ``), so the result is the same, exactly.

    Parameters
    ----------
    model : torch.nn.Module
        A model in eval mode.
    images : ndarray of shape (n_stimuli, 3, y, x)
        Float images in [0, 1]; ImageNet normalisation is applied here. For clips pass the
        frames stacked as rows, (n_stimuli · n_time, 3, y, x).
    layers : mapping of str to str
        Output name → node or module name (see :func:`repgeom.models.resolve_layers`).
    policy : LayerPolicy, optional
        How non-2-D outputs become feature rows, and whether a layer is ZCA-whitened.
    batch_size : int
        Images per forward pass.
    device : torch.device, optional
        Where the forward pass runs (default CPU).
    scratch_dir : path-like, optional
        Folder for spill files of wide layers.
    scratch_budget : int
        Most bytes of raw activations on disk at once.
    in_memory_bytes : int
        A layer (or unit slice) whose raw rows take at most this is held in RAM instead of
        spilled; such layers do not count against ``scratch_budget``.
    keep_raw : bool
        Also return the raw float32 activations (n_stimuli, n_units) of each layer.
    progress : bool, optional
        Show a progress bar (default: only when writing to a terminal).

    Returns
    -------
    dict of str to (Reduced, ndarray or None)
        The reduced representation of each layer (in the order of ``layers``) and, with
        ``keep_raw``, its raw activations.
    """
    policy = policy or LayerPolicy()
    device = device or torch.device("cpu")
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 3:
        raise InvalidInputError(
            f"images have shape {images.shape}; expected (n_stimuli, 3, height, width)"
        )
    if images.shape[0] == 0:
        raise InvalidInputError("no images to extract from (0 stimuli)")
    if not np.isfinite(images[:1]).all():
        raise InvalidInputError("images hold NaN/inf values; rebuild the stimulus set")
    model = model.to(device).eval()
    n_stimuli = images.shape[0]
    every_layer = _extractor(model, layers, list(layers), device)
    with torch.inference_mode():
        probe = every_layer(_normalise(images[:1], device))
    widths = {name: int(policy.apply(probe[name]).shape[1]) for name in layers}
    passes = plan_passes(
        n_stimuli, widths, budget_bytes=scratch_budget, in_memory_bytes=in_memory_bytes
    )
    for name, width in widths.items():
        log.info("layer %s: %d units per stimulus", name, width)
    if len(passes) > 1:
        spill = [w for w in widths.values() if n_stimuli * 4 * w > in_memory_bytes]
        log.info(
            "%d passes over the stimuli: the layers would spill %.2f GB to disk, the budget "
            "is %.2f GB",
            len(passes),
            n_stimuli * 4 * sum(spill) / 1e9,
            scratch_budget / 1e9,
        )
    layer_grams = {name: _LayerGram(n_stimuli, widths[name], keep_raw) for name in layers}
    for number, unit_slices in enumerate(passes, 1):
        accumulators: dict[UnitSlice, GramAccumulator] = {}
        try:
            for piece in unit_slices:
                accumulators[piece] = GramAccumulator(
                    n_stimuli,
                    piece.width,
                    scratch_dir=scratch_dir,
                    in_memory_bytes=in_memory_bytes,
                    keep_raw=keep_raw,
                )
            wanted = [name for name in layers if any(p.layer == name for p in unit_slices)]
            extractor = (
                every_layer if wanted == list(layers) else _extractor(model, layers, wanted, device)
            )
            desc = "extract" if len(passes) == 1 else f"extract (pass {number}/{len(passes)})"
            batches = _layer_rows(
                extractor, images, wanted, policy, batch_size, desc, device, progress, keep_raw
            )
            # The spill of batch b (copies, row sums, file writes: numpy and file I/O release
            # the GIL) runs in a second thread while the model computes batch b + 1; one batch
            # in flight at a time, so memory holds at most two batches of rows.
            with (
                closing(batches),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="spill") as spill,
            ):
                pending: Future[None] | None = None
                for rows in batches:
                    if pending is not None:
                        pending.result()
                    pending = spill.submit(_spill, accumulators, rows)
                if pending is not None:
                    pending.result()
            for piece, acc in accumulators.items():
                layer_grams[piece.layer].add(piece, acc)
                acc.close()
        finally:
            for acc in accumulators.values():
                acc.close()
    return {name: policy.finish(*layer_grams[name].finalize()) for name in layers}


def _spill(
    accumulators: Mapping[UnitSlice, GramAccumulator], rows: Mapping[str, np.ndarray]
) -> None:
    """Add one batch's rows to every unit slice's accumulator."""
    for piece, acc in accumulators.items():
        acc.add(rows[piece.layer][:, piece.start : piece.stop])


class _LayerGram:
    """A layer's reduction from its unit slices: the accumulator's own when one slice holds
    every unit, else the eigendecomposition of the slices' Gram matrices summed."""

    def __init__(self, n_stimuli: int, n_units: int, keep_raw: bool) -> None:
        self.n_units = n_units
        self.gram: np.ndarray | None = None
        self.row_sum = np.zeros(n_stimuli, dtype=np.float64)
        self.raw = np.empty((n_stimuli, n_units), np.float32) if keep_raw else None
        self.reduced: Reduced | None = None

    def add(self, piece: UnitSlice, acc: GramAccumulator) -> None:
        if self.raw is not None:
            self.raw[:, piece.start : piece.stop] = acc.raw()
        if piece.width == self.n_units:
            self.reduced = acc.finalize()
            return
        if self.gram is None:
            self.gram = acc.gram()
        else:
            self.gram += acc.gram()
        self.row_sum += acc.row_sum

    def finalize(self) -> tuple[Reduced, np.ndarray | None]:
        if self.reduced is None:
            self.reduced = Reduced(
                features=reduce_gram(self.gram),
                row_mean=self.row_sum / self.n_units,
                n_units=self.n_units,
            )
            self.gram = None
        return self.reduced, self.raw


def _extractor(
    model: nn.Module, layers: Mapping[str, str], names: list[str], device: torch.device
) -> nn.Module:
    """A feature extractor returning ``names`` (the graph ends at the deepest of them), prepared
    for inference on ``device`` (:func:`inference_graph`)."""
    graph = create_feature_extractor(model, return_nodes={layers[n]: n for n in names})
    return inference_graph(graph, device)


def inference_graph(graph: fx.GraphModule, device: torch.device) -> fx.GraphModule:
    """A copy of an eval-mode graph prepared for a faster forward pass, the same up to float32
    rounding; ``graph`` and the modules it shares with the user's model are not changed.

    - Every 2-D batch norm whose input is a convolution's output, and nothing else's, is
      folded into it (:func:`_fold_norms`).
    - On CPU, 4-D weights are put in channels-last layout, so oneDNN's convolutions run on
      (batch, y, x, channel) maps without reordering them at every layer.

    ``benchmarks/bench_extract.py`` measures the effect on a ResNet-50's extraction.
    """
    prepared = copy.deepcopy(graph).eval()  # a deep copy comes back in training mode
    _fold_norms(prepared)
    if device.type == "cpu":
        prepared = prepared.to(memory_format=torch.channels_last)
    return prepared


def _fold_norms(graph: fx.GraphModule) -> None:
    """Fold each eval-mode batch norm into the convolution that feeds it, in place.

    A batch norm in eval mode is the affine map ``y = γ (x − μ) / √(σ² + ε) + β`` per
    channel, so the convolution with ``W' = W · γ / √(σ² + ε)`` and
    ``b' = (b − μ) γ / √(σ² + ε) + β`` gives its output in one pass over the activations
    instead of two. A requested batch-norm node then returns the folded convolution's output
    (the same values). A pair is left alone when the convolution's output has another user
    (a requested conv node is read before its norm), or when either module is called more
    than once (shared weights, as in recurrent nets: folding one call's norm would change
    the others).
    """
    modules = dict(graph.named_modules())
    calls = Counter(node.target for node in graph.graph.nodes if node.op == "call_module")
    for node in list(graph.graph.nodes):
        norm = modules.get(node.target) if node.op == "call_module" else None
        source = node.args[0] if isinstance(norm, nn.BatchNorm2d) else None
        if not isinstance(source, fx.Node) or source.op != "call_module":
            continue
        conv = modules[source.target]
        if (
            not isinstance(conv, nn.Conv2d)
            or not norm.track_running_stats
            or len(source.users) > 1
            or calls[node.target] > 1
            or calls[source.target] > 1
        ):
            continue
        parent, _, name = source.target.rpartition(".")
        setattr(graph.get_submodule(parent), name, fuse_conv_bn_eval(conv, norm))
        node.replace_all_uses_with(source)
        graph.graph.erase_node(node)
    graph.recompile()


def _layer_rows(
    extractor: nn.Module,
    images: np.ndarray,
    names: list[str],
    policy: LayerPolicy,
    batch_size: int,
    desc: str,
    device: torch.device,
    progress: bool | None,
    keep_raw: bool,
) -> Iterator[dict[str, np.ndarray]]:
    """Forward passes batch by batch: layer → float32 rows (batch, units) per batch, units in
    (channel, y, x) order with ``keep_raw``, else in the maps' memory order (no copy)."""
    starts = range(0, images.shape[0], batch_size)
    bar = tqdm(starts, desc=desc, unit="batch", disable=None if progress is None else not progress)
    with torch.inference_mode():
        for step, start in enumerate(bar, 1):
            if bar.disable and step % max(len(starts) // PROGRESS_LOG_STEPS, 1) == 0:
                log.info("%s: batch %d of %d", desc, step, len(starts))  # job logs, no tty
            batch = images[start : start + batch_size]
            if not np.isfinite(batch).all():  # per batch: no full-size temporary
                raise InvalidInputError("images hold NaN/inf values; rebuild the stimulus set")
            outputs = extractor(_normalise(batch, device))
            rows = {}
            for name in names:
                rows[name] = (
                    policy.apply(outputs[name], any_unit_order=not keep_raw)
                    .to("cpu", torch.float32)
                    .numpy()
                )
                # a NaN/inf entry makes the float64 sum non-finite (one pass, no mask)
                if not np.isfinite(rows[name].sum(dtype=np.float64)):
                    raise InvalidInputError(
                        f"layer {name!r} produced NaN/inf activations for stimuli "
                        f"{start}..{start + len(rows[name]) - 1}; check the weights and inputs"
                    )
            yield rows
