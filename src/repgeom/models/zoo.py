"""Build torchvision classification models by name, untrained or from local weights.

repgeom never downloads: pretrained weights come from a file the user names, or from the
torch hub cache where torchvision itself would have put them
(``$TORCH_HOME/hub/checkpoints/<file name of the weights URL>``).
"""

from __future__ import annotations

import difflib
import os
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
    """
    check_architecture(architecture)
    torch.manual_seed(seed)
    model = tv_models.get_model(architecture, weights=None, **dict(kwargs or {}))
    if weights not in UNTRAINED:
        path = Path(weights)
        if path.suffix not in (".pt", ".pth") and not path.exists():
            path = cached_weights_path(architecture, str(weights))
            if not path.exists():
                raise WeightsNotFoundError(
                    f"{architecture} weights {weights!r} are not in the torch cache: expected "
                    f"{path}. repgeom never downloads; fetch them on a connected machine "
                    f"(torchvision.models.get_model({architecture!r}, weights={weights!r})) "
                    "and copy the file there, or set weights to a local .pth file"
                )
        elif not path.exists():
            raise WeightsNotFoundError(f"weights file {path} does not exist; fix its path")
        try:
            model.load_state_dict(_load_state_dict(path))
        except RuntimeError as exc:
            raise ConfigError(
                f"{path} does not fit {architecture}: {str(exc).splitlines()[0]}"
            ) from exc
    return model.eval()
