"""Loaders for a user's own stimuli, and the dispatcher the workflow calls.

- :func:`image_folder`: a folder of images; sub-folder names become categories.
- :func:`from_array`: a ``.npy`` array of images or a ``.nc`` stimuli store.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from skimage import io as skio

from repgeom import store
from repgeom.errors import ConfigError, InvalidInputError
from repgeom.stimuli.builtin import BUILTIN_KINDS, _dataset, _resize, _to_rgb01

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"})


def image_files(root: str | os.PathLike[str]) -> list[Path]:
    """Every image under ``root`` (recursively, by suffix), sorted by path: what
    :func:`image_folder` loads, and what the workflow tracks as the set's input files."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def image_folder(
    path: str | os.PathLike[str], *, size: int = 64, name: str = "folder"
) -> xr.Dataset:
    """Load every image under ``path`` (recursively), resized to ``size`` × ``size``.

    The ``stimulus_id`` is the path relative to ``path`` (without suffix); the ``category`` is
    the first sub-folder (or ``"none"`` for files at the top level). Files are sorted by path so
    the order is reproducible.
    """
    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"image folder {root} does not exist; set stimsets.<name>.path")
    files = image_files(root)
    if not files:
        raise ConfigError(
            f"image folder {root} holds no images with suffixes {sorted(IMAGE_SUFFIXES)}"
        )
    images, ids, cats = [], [], []
    for file in files:
        rel = file.relative_to(root)
        images.append(_resize(_to_rgb01(skio.imread(file)), size))
        ids.append(str(rel.with_suffix("")))
        cats.append(rel.parts[0] if len(rel.parts) > 1 else "none")
    return _dataset(images, ids, cats, name=name, source=str(root))


def from_array(path: str | os.PathLike[str], *, size: int = 64, name: str = "array") -> xr.Dataset:
    """Load stimuli from a ``.npy`` file or a ``.nc`` stimuli store.

    A ``.npy`` array may be (stimulus, y, x) gray, (stimulus, y, x, 3) or (stimulus, 3, y, x);
    integer arrays are scaled by their dtype's maximum, floats must lie in [0, 1]. Ids are
    ``img00000``... and the category ``"none"``. A ``.nc`` file must be a stimuli store.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"stimulus file {path} does not exist; set stimsets.<name>.path")
    if path.suffix == ".nc":
        ds = store.read(path, "stimuli")
        ds.attrs["stimset"] = name
        return ds
    if path.suffix != ".npy":
        raise ConfigError(f"stimulus file {path}: expected a .npy or .nc file")
    array = np.load(path, allow_pickle=False)
    if array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.moveaxis(array, 1, -1)
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] not in (1, 3)):
        raise InvalidInputError(
            f"{path}: array of shape {array.shape}; expected (stimulus, y, x), "
            "(stimulus, y, x, 3) or (stimulus, 3, y, x)"
        )
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InvalidInputError(f"{path}: the images hold NaN or inf values")
        if array.min() < 0 or array.max() > 1:
            raise InvalidInputError(
                f"{path}: float images range over [{array.min():.3g}, {array.max():.3g}]; "
                "scale them to [0, 1]"
            )
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    images = [_resize(_to_rgb01(img), size) for img in array]
    ids = [f"img{i:05d}" for i in range(len(array))]
    return _dataset(images, ids, ["none"] * len(ids), name=name, source=str(path))


def build_stimset(name: str, spec: Mapping[str, Any]) -> xr.Dataset:
    """Build the stimulus set ``name`` from its (validated) config entry ``spec``.

    ``spec["kind"]`` selects a built-in set (:data:`~repgeom.stimuli.BUILTIN_KINDS`),
    ``image_folder`` or ``array_file``; the remaining keys are that function's arguments.
    """
    params = {k: v for k, v in spec.items() if k != "kind"}
    kind = spec.get("kind")
    builders = {**BUILTIN_KINDS, "image_folder": image_folder, "array_file": from_array}
    if kind not in builders:
        raise ConfigError(
            f"stimsets.{name}.kind: {kind!r} is unknown; choose from {sorted(builders)}"
        )
    builder = builders[kind]
    accepted = set(inspect.signature(builder).parameters) - {"name"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ConfigError(
            f"stimsets.{name}: {unknown} do not apply to kind {kind!r}; "
            f"it accepts {sorted(accepted)}"
        )
    return builder(name=name, **params)
