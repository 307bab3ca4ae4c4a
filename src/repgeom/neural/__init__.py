"""Neural data: the simulated V1 population of the default config, and a user's recordings
(the format, a writer and a checker: :mod:`repgeom.neural.recordings`)."""

from repgeom.neural.loaders import build_neural, load_responses
from repgeom.neural.recordings import (
    RecordingsError,
    check_recordings,
    load_recordings,
    write_recordings,
)
from repgeom.neural.simulate import V1Population, simulate_v1

__all__ = [
    "RecordingsError",
    "V1Population",
    "build_neural",
    "check_recordings",
    "load_recordings",
    "load_responses",
    "simulate_v1",
    "write_recordings",
]
