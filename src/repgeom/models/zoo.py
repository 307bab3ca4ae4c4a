"""Build models: torchvision classification models by name, or a user's own from a factory,
untrained or from local weights.

An architecture is a torchvision name (``resnet18``) or a factory: ``path/to/net.py:make_net``
(a Python file and a function in it) or ``mypkg.nets:make_net`` (an importable module), called
with the model entry's ``kwargs`` under the model's seed; it must return a ``torch.nn.Module``.

repgeom never downloads: pretrained weights come from a file the user names, or from the
torch hub cache where torchvision itself would have put them
(``$TORCH_HOME/hub/checkpoints/<file name of the weights URL>``).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import re
import sys
import warnings
from collections.abc import Callable, Mapping
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


def is_factory(architecture: str) -> bool:
    """Whether an architecture names a user's factory (``file.py:function`` or
    ``module:function``) rather than a torchvision model."""
    return ":" in str(architecture)


def factory_file(architecture: str) -> Path | None:
    """The Python file of a ``file.py:function`` factory (None for a module or torchvision)."""
    if not is_factory(architecture):
        return None
    source = str(architecture).rsplit(":", 1)[0]
    return Path(source) if source.endswith(".py") else None


def load_factory(architecture: str) -> Callable[..., nn.Module]:
    """The function a factory architecture names.

    Raises
    ------
    UnknownModelError
        If the file or module is missing, fails to import, or has no such function.
    """
    source, _, name = str(architecture).rpartition(":")
    path = factory_file(architecture)
    if path is not None and not path.is_file():
        raise UnknownModelError(f"model factory {architecture!r}: no file {path}")
    key = "" if path is None else f"repgeom_factory_{file_sha256(path)[:16]}"
    try:
        if path is None:
            module = importlib.import_module(source)
        elif key in sys.modules:  # imported once per process and file content
            module = sys.modules[key]
        else:
            spec = importlib.util.spec_from_file_location(key, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[key] = module
            spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: any import error is theirs to fix
        sys.modules.pop(key, None)
        raise UnknownModelError(
            f"model factory {architecture!r}: importing {source} failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    factory = getattr(module, name, None)
    if not callable(factory):
        found = [n for n in dir(module) if callable(getattr(module, n)) and not n.startswith("_")]
        close = difflib.get_close_matches(name, found, n=3)
        raise UnknownModelError(
            f"model factory {architecture!r}: {source} has no function {name!r}"
            + (f"; did you mean {close}?" if close else "")
        )
    return factory


def _construct(architecture: str, kwargs: Mapping[str, Any] | None) -> nn.Module:
    """An untrained model of ``architecture`` (torchvision or a factory) with ``kwargs``."""
    if not is_factory(architecture):
        return tv_models.get_model(architecture, weights=None, **dict(kwargs or {}))
    factory = load_factory(architecture)
    try:
        model = factory(**dict(kwargs or {}))
    except Exception as exc:  # the user's code: report what it raised, and where
        raise ConfigError(
            f"model factory {architecture!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(model, nn.Module):
        raise ConfigError(
            f"model factory {architecture!r} returned {type(model).__name__}, not a torch.nn.Module"
        )
    return model


def check_architecture(name: str) -> None:
    """Raise :class:`UnknownModelError` with the closest names if ``name`` is unknown (for a
    factory: if its file, module or function is missing)."""
    if is_factory(name):
        load_factory(name)
        return
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
    if is_factory(architecture):
        raise ConfigError(
            f"weights {weights!r}: a factory model ({architecture}) loads its weights from a "
            "local .pt/.pth state dict; give that file's path"
        )
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
    """Return a torchvision model, or a factory's, in eval mode.

    Parameters
    ----------
    architecture : str
        A name from :func:`architectures`, e.g. ``"resnet18"``, or a factory
        (``path/to/net.py:make_net``, ``mypkg.nets:make_net``; see the module).
    weights : str or path, optional
        ``None``/``"untrained"``: random initialisation under ``torch.manual_seed(seed)``.
        A path to a ``.pt``/``.pth`` state dict. Or a torchvision weights name
        (``"DEFAULT"``, ``"IMAGENET1K_V1"``) looked up in the torch hub cache.
    seed : int
        Seed of the random initialisation (also used when weights are loaded, for any layer
        the state dict does not cover).
    kwargs : mapping, optional
        Extra constructor arguments (e.g. ``num_classes``, ``image_size`` for ViTs; a
        factory's arguments).

    Raises
    ------
    UnknownModelError
        For an unknown architecture, or a factory whose file, module or function is missing.
    WeightsNotFoundError
        If the weights file is absent; the message names the expected path.
    ConfigError
        If the file fails its hash check (:func:`verify_weights`) or does not fit, or a
        factory raises or returns something that is not an ``nn.Module``.
    """
    check_architecture(architecture)
    torch.manual_seed(seed)
    model = _construct(architecture, kwargs)
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
            model = _construct(architecture, kwargs).eval()
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
