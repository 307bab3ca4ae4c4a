"""Stimulus sets: built-in offline sets and loaders for a user's images.

Every set is returned as an ``xarray.Dataset`` with an ``images`` variable of dims
(stimulus, channel, y, x), or (stimulus, time, channel, y, x) for clips, float32 in [0, 1],
three channels, and ``stimulus_id`` / ``category`` coordinates.
"""

from repgeom.stimuli.builtin import (
    BUILTIN_KINDS,
    CLIP_KINDS,
    PHOTO_NAMES,
    digits,
    drifting_gratings,
    gratings,
    lfw_faces,
    photo_crops,
    translating_photos,
)
from repgeom.stimuli.loaders import build_stimset, from_array, image_folder

__all__ = [
    "BUILTIN_KINDS",
    "CLIP_KINDS",
    "PHOTO_NAMES",
    "build_stimset",
    "digits",
    "drifting_gratings",
    "from_array",
    "gratings",
    "image_folder",
    "lfw_faces",
    "photo_crops",
    "translating_photos",
]
