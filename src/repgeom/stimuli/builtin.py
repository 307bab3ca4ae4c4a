"""Built-in stimulus sets that need no network: scikit-image's bundled photographs and LFW
subset, scikit-learn's digits, and synthetic gratings (still and drifting).

Only images that scikit-image ships inside its wheel are used; the pooch-backed ones (brain,
cells3d, eagle, ...) would try to download and are deliberately absent from
:data:`PHOTO_NAMES`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import skimage.data
import xarray as xr
from skimage.color import gray2rgb
from skimage.transform import resize

from repgeom import store
from repgeom.errors import ConfigError

#: Photographs bundled with scikit-image (offline). Category of a crop = its source image.
PHOTO_NAMES: tuple[str, ...] = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "rocket",
    "coins",
    "moon",
    "clock",
    "text",
    "page",
    "cell",
    "grass",
    "gravel",
    "brick",
    "colorwheel",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
)

#: Number of faces at the start of ``skimage.data.lfw_subset()`` (the rest are non-faces).
LFW_N_FACES = 100


def _to_rgb01(image: np.ndarray) -> np.ndarray:
    """Return an (H, W, 3) float array in [0, 1] from a gray, RGB or RGBA uint8/float image."""
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.float64)
    elif np.issubdtype(image.dtype, np.integer):
        image = image / np.iinfo(image.dtype).max
    image = image.astype(np.float64)
    if image.ndim == 2:
        image = gray2rgb(image)
    return np.clip(image[..., :3], 0.0, 1.0)


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an (H, W, 3) image to (size, size, 3) with anti-aliasing; float32 output (the
    stores' precision, and half the memory of large sets while they are built)."""
    return resize(image, (size, size, 3), anti_aliasing=True, mode="reflect").astype(np.float32)


def _dataset(
    images: np.ndarray,
    ids: Sequence[str],
    categories: Sequence[str],
    *,
    name: str,
    source: str,
    **coords: Sequence[float | str],
) -> xr.Dataset:
    """Wrap (stimulus, y, x, 3) or (stimulus, time, y, x, 3) images into a stimuli Dataset."""
    images = np.moveaxis(np.asarray(images, dtype=np.float32), -1, -3)  # channel before y, x
    dims = (store.STIMULUS, store.CHANNEL, store.Y, store.X)
    if images.ndim == 5:
        dims = (store.STIMULUS, store.TIME, store.CHANNEL, store.Y, store.X)
    ds = xr.Dataset(
        {"images": (dims, images)},
        coords={
            store.STIMULUS_ID: (store.STIMULUS, np.asarray(ids, dtype=str)),
            store.CATEGORY: (store.STIMULUS, np.asarray(categories, dtype=str)),
            store.CHANNEL: ["r", "g", "b"],
            **{k: (store.STIMULUS, np.asarray(v)) for k, v in coords.items()},
        },
    )
    ds.attrs.update(stimset=name, source=source)
    return ds


def photo_crops(
    *,
    size: int = 64,
    scales: Sequence[float] = (1.0, 0.6, 0.35),
    positions: int = 3,
    names: Sequence[str] = PHOTO_NAMES,
    name: str = "photos",
) -> xr.Dataset:
    """Square crops of scikit-image's bundled photographs at several scales and positions.

    For each photograph, each scale ``s`` takes squares of side ``s * min(H, W)`` centred on a
    ``positions × positions`` grid (one centred crop at ``s = 1``), resized to ``size``.
    Yields ``len(names) * (1 + (len(scales) - 1) * positions**2)`` stimuli when 1.0 is a scale.
    """
    unknown = sorted(set(names) - set(PHOTO_NAMES))
    if unknown:
        raise ConfigError(
            f"photos: unknown or not-offline images {unknown}; choose from {list(PHOTO_NAMES)}"
        )
    images, ids, cats, crop_scale = [], [], [], []
    for photo in names:
        full = _to_rgb01(getattr(skimage.data, photo)())
        height, width = full.shape[:2]
        for scale in scales:
            side = int(round(scale * min(height, width)))
            grid = 1 if side >= min(height, width) else positions
            tops = np.linspace(0, height - side, grid).round().astype(int)
            lefts = np.linspace(0, width - side, grid).round().astype(int)
            for i, top in enumerate(tops):
                for j, left in enumerate(lefts):
                    images.append(_resize(full[top : top + side, left : left + side], size))
                    ids.append(f"{photo}_s{scale:g}_r{i}c{j}")
                    cats.append(photo)
                    crop_scale.append(float(scale))
    return _dataset(images, ids, cats, name=name, source="skimage.data", scale=crop_scale)


def lfw_faces(*, size: int = 64, name: str = "faces") -> xr.Dataset:
    """scikit-image's bundled LFW subset: 100 faces then 100 non-faces, 25×25 gray, resized."""
    raw = skimage.data.lfw_subset()
    images = [_resize(_to_rgb01(img), size) for img in raw]
    ids = [f"lfw{i:03d}" for i in range(len(raw))]
    cats = ["face" if i < LFW_N_FACES else "nonface" for i in range(len(raw))]
    return _dataset(images, ids, cats, name=name, source="skimage.data.lfw_subset")


def digits(*, size: int = 64, n: int = 200, name: str = "digits") -> xr.Dataset:
    """The first ``n`` of scikit-learn's 1,797 handwritten 8×8 digits, upsampled to ``size``."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    if not 1 <= n <= len(bunch.images):
        raise ConfigError(f"digits: n={n} is out of range; choose 1..{len(bunch.images)}")
    images = [_resize(_to_rgb01(img / 16.0), size) for img in bunch.images[:n]]
    ids = [f"digit{i:04d}" for i in range(n)]
    cats = [str(t) for t in bunch.target[:n]]
    return _dataset(images, ids, cats, name=name, source="sklearn.datasets.load_digits")


def _grating(
    size: int, orientation_deg: float, cycles: float, phase: float, contrast: float = 1.0
) -> np.ndarray:
    """Sinusoidal grating in [0, 1]: 0.5 + 0.5·c·sin(2π f (x cosθ + y sinθ) + φ), f in
    cycles per image."""
    coords = np.arange(size) / size
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    theta = np.deg2rad(orientation_deg)
    wave = np.sin(2 * np.pi * cycles * (xx * np.cos(theta) + yy * np.sin(theta)) + phase)
    return 0.5 + 0.5 * contrast * wave


def gratings(
    *,
    size: int = 64,
    orientations: int = 8,
    spatial_frequencies: Sequence[float] = (2.0, 4.0, 8.0),
    phases: int = 4,
    name: str = "gratings",
) -> xr.Dataset:
    """Full-field sinusoidal gratings: ``orientations`` evenly spaced in [0°, 180°) ×
    ``spatial_frequencies`` (cycles per image) × ``phases`` evenly spaced in [0, 2π)."""
    images, ids, cats, oris, sfs = [], [], [], [], []
    for ori in np.arange(orientations) * 180.0 / orientations:
        for sf in spatial_frequencies:
            for k, phase in enumerate(np.arange(phases) * 2 * np.pi / phases):
                images.append(gray2rgb(_grating(size, ori, sf, phase)))
                ids.append(f"grating_o{ori:g}_f{sf:g}_p{k}")
                cats.append(f"ori{ori:g}")
                oris.append(float(ori))
                sfs.append(float(sf))
    return _dataset(
        images, ids, cats, name=name, source="synthetic", orientation=oris, spatial_frequency=sfs
    )


def drifting_gratings(
    *,
    size: int = 32,
    orientations: int = 8,
    spatial_frequencies: Sequence[float] = (2.0, 4.0),
    n_frames: int = 16,
    cycles_per_clip: float = 2.0,
    name: str = "drifting",
) -> xr.Dataset:
    """Clips of gratings drifting perpendicular to their bars: the phase advances by
    ``2π · cycles_per_clip / n_frames`` each frame. Dims (stimulus, time, channel, y, x)."""
    clips, ids, cats, oris = [], [], [], []
    step = 2 * np.pi * cycles_per_clip / n_frames
    for ori in np.arange(orientations) * 180.0 / orientations:
        for sf in spatial_frequencies:
            frames = [gray2rgb(_grating(size, ori, sf, t * step)) for t in range(n_frames)]
            clips.append(frames)
            ids.append(f"drift_o{ori:g}_f{sf:g}")
            cats.append(f"ori{ori:g}")
            oris.append(float(ori))
    return _dataset(clips, ids, cats, name=name, source="synthetic", orientation=oris)


def translating_photos(
    *,
    size: int = 32,
    names: Sequence[str] = ("astronaut", "camera", "chelsea", "coffee", "rocket", "coins"),
    directions: int = 4,
    n_frames: int = 16,
    travel: float = 0.5,
    name: str = "translating",
) -> xr.Dataset:
    """Clips of a window sliding over a photograph in ``directions`` evenly spaced directions,
    covering ``travel`` × the window side over ``n_frames`` frames."""
    clips, ids, cats = [], [], []
    for photo in names:
        full = _to_rgb01(getattr(skimage.data, photo)())
        height, width = full.shape[:2]
        side = int(min(height, width) / (1 + travel))
        shift = min(height, width) - side
        cy, cx = (height - side) / 2, (width - side) / 2
        for k in range(directions):
            angle = 2 * np.pi * k / directions
            frames = []
            for t in np.linspace(-0.5, 0.5, n_frames):
                top = int(round(cy + t * shift * np.sin(angle)))
                left = int(round(cx + t * shift * np.cos(angle)))
                frames.append(_resize(full[top : top + side, left : left + side], size))
            clips.append(frames)
            ids.append(f"{photo}_dir{k}")
            cats.append(photo)
    return _dataset(clips, ids, cats, name=name, source="skimage.data")


#: Kinds that produce clips (a ``time`` dim); all others are still images.
CLIP_KINDS = frozenset({"drifting_gratings", "translating_photos"})

#: Built-in kinds by config name.
BUILTIN_KINDS = {
    "photos": photo_crops,
    "faces": lfw_faces,
    "digits": digits,
    "gratings": gratings,
    "drifting_gratings": drifting_gratings,
    "translating_photos": translating_photos,
}
