"""Build torchvision classification models by name, untrained or from local weights.

repgeom never downloads: pretrained weights come from a file the user names, or from the
torch hub cache where torchvision itself would have put them
(``$TORCH_HOME/hub/checkpoints/<file name of the weights URL>``).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torchvision.models as tv_models
from torch import nn

from repgeom.errors import ConfigError, UnknownModelError, WeightsNotFoundError

#: ``weights`` values that mean "randomly initialised with the model's seed".
UNTRAINED = (None, "untrained", "none")


def architectures() -> list[str]:
    """Names of torchvision's image-classification architectures."""
    return sorted(tv_models.list_models(module=tv_models))


def check_architecture(name: str) -> None:
    """Raise :class:`UnknownModelError` with the closest names if ``name`` is unknown."""
    known = architectures()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=4)
        hint = f"did you mean {close}? " if close else ""
        raise UnknownModelError(
            f"unknown architecture {name!r}; {hint}run `repgeom models` for all "
            f"{len(known)} torchvision classification models"
        )


def cached_weights_path(architecture: str, weights: str) -> Path:
    """Where torchvision would cache the named weights (``DEFAULT``, ``IMAGENET1K_V1``...)."""
    try:
        enum = tv_models.get_model_weights(architecture)[weights]
    except KeyError as exc:
        options = list(tv_models.get_model_weights(architecture).__members__)
        raise ConfigError(
            f"weights {weights!r} do not exist for {architecture}; choose one of {options}, "
            "'untrained', or a path to a .pt/.pth file"
        ) from exc
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(enum.url)


#: torchvision's (and torch.hub's) weight files carry the first hex digits of their SHA-256
#: after the last dash: ``resnet18-f37072fd.pth`` (torch.hub.HASH_REGEX).
HASH_IN_NAME = re.compile(r"-([a-f0-9]{6,})\.")


def weights_file(architecture: str, weights: str | os.PathLike[str] | None) -> Path | None:
    """The file a ``weights`` setting loads: None for an untrained model, the path itself for a
    ``.pt`` / ``.pth`` file (or any existing file), else where torchvision caches the named
    weights (:func:`cached_weights_path`). Existence is not checked here
    (:func:`verify_weights` does)."""
    if weights in UNTRAINED:
        return None
    path = Path(weights)
    if path.suffix in (".pt", ".pth") or path.exists():
        return path
    return cached_weights_path(architecture, str(weights))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_weights(architecture: str, weights: str | os.PathLike[str]) -> Path:
    """Locate the file of a pretrained ``weights`` setting and check it.

    A file whose name carries a hash prefix (torchvision's ``resnet18-f37072fd.pth``) must have
    a SHA-256 that starts with it: a truncated or substituted file is refused instead of being
    recorded as the named pretrained weights.

    Raises
    ------
    WeightsNotFoundError
        The file is absent; the message names the expected path and how to get it there.
    ConfigError
        The weights name is unknown for the architecture, or the file fails its hash check.
    """
    path = weights_file(architecture, weights)
    if path is None:
        raise ConfigError(f"{architecture}: weights {weights!r} are untrained; nothing to verify")
    if not path.exists():
        if Path(str(weights)) == path:
            raise WeightsNotFoundError(f"weights file {path} does not exist; fix its path")
        raise WeightsNotFoundError(
            f"{architecture} weights {weights!r} are not in the torch cache: expected "
            f"{path}. repgeom never downloads; fetch them on a connected machine "
            f"(torchvision.models.get_model({architecture!r}, weights={weights!r})) "
            "and copy the file there, or set weights to a local .pth file"
        )
    match = HASH_IN_NAME.search(path.name)
    if match:
        digest = file_sha256(path)
        if not digest.startswith(match.group(1)):
            raise ConfigError(
                f"weights file {path} fails its hash check: its name says SHA-256 "
                f"{match.group(1)}..., the file's is {digest[: len(match.group(1))]}... (a "
                "truncated or different file); copy the original file there again"
            )
    return path


def _load_state_dict(path: Path) -> Mapping[str, torch.Tensor]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, Mapping) and key in state and isinstance(state[key], Mapping):
            state = state[key]
    if not isinstance(state, Mapping):
        raise ConfigError(f"{path} does not hold a state dict (found {type(state).__name__})")
    return state


def weights_label(weights: str | None) -> str:
    """A provenance label for a ``weights`` setting."""
    return "untrained" if weights in UNTRAINED else str(weights)


def build_model(
    architecture: str,
    *,
    weights: str | os.PathLike[str] | None = None,
    seed: int = 0,
    kwargs: Mapping[str, Any] | None = None,
) -> nn.Module:
    """Return a torchvision model in eval mode.

    Parameters
    ----------
    architecture : str
        A name from :func:`architectures`, e.g. ``"resnet18"``.
    weights : str or path, optional
        ``None``/``"untrained"``: random initialisation under ``torch.manual_seed(seed)``.
        A path to a ``.pt``/``.pth`` state dict. Or a torchvision weights name
        (``"DEFAULT"``, ``"IMAGENET1K_V1"``) looked up in the torch hub cache.
    seed : int
        Seed of the random initialisation (also used when weights are loaded, for any layer
        the state dict does not cover).
    kwargs : mapping, optional
        Extra constructor arguments (e.g. ``num_classes``, ``image_size`` for ViTs).

    Raises
    ------
    UnknownModelError
        For an unknown architecture.
    WeightsNotFoundError
        If the weights file is absent; the message names the expected path.
    ConfigError
        If the file fails its hash check (:func:`verify_weights`) or does not fit.
    """
    check_architecture(architecture)
    torch.manual_seed(seed)
    model = tv_models.get_model(architecture, weights=None, **dict(kwargs or {}))
    if weights not in UNTRAINED:
        path = verify_weights(architecture, weights)
        try:
            model.load_state_dict(_load_state_dict(path))
        except RuntimeError as exc:
            raise ConfigError(
                f"{path} does not fit {architecture}: {str(exc).splitlines()[0]}"
            ) from exc
    return model.eval()


def input_size_problem(
    architecture: str, size: int, kwargs: Mapping[str, Any] | None = None
) -> tuple[str, int | None] | None:
    """Why ``architecture`` (built with ``kwargs``) cannot take ``size`` × ``size`` images, and
    the one side it takes where it has one (a ViT's ``image_size``); None when it can take them
    (or when that cannot be told).

    The model is built and run on PyTorch's ``meta`` device: shapes only, no memory and no
    arithmetic, so even a ViT-H probe takes a fraction of a second. A model whose forward pass
    the meta device does not support is given the benefit of the doubt.
    """
    import torch

    model = None
    try:
        with warnings.catch_warnings(), torch.device("meta"), torch.no_grad():
            warnings.simplefilter("ignore")
            model = tv_models.get_model(architecture, weights=None, **dict(kwargs or {})).eval()
            model(torch.zeros(1, 3, size, size))
    except NotImplementedError:  # an operation without a meta kernel: cannot tell
        return None
    except (RuntimeError, AssertionError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        fixed = getattr(model, "image_size", None)  # ViTs: the side is a constructor argument
        if fixed is not None:
            return f"{architecture} takes {fixed} × {fixed} images only (its image_size)", fixed
        return f"{architecture} cannot take {size} × {size} images ({reason})", None
    return None
