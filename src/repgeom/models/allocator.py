"""Keep freed memory in the process for reuse while models run (glibc's malloc only).

glibc serves every request above its mmap threshold (at most 32 MB) with a fresh ``mmap`` and
hands it back to the kernel on ``free``. A forward pass allocates and frees activations of
up to hundreds of MB per batch (ResNet-50's ``layer1`` output at 224 px, batch 32, is 103 MB),
so each batch faults every page of them in again: the kernel zeroes them, and on virtual
machines that return free memory to the host each fault costs the hypervisor's work too.
With ``mmap`` off (``M_MMAP_MAX = 0``) and no trimming of the heap's top
(``M_TRIM_THRESHOLD``), freed blocks go back to the heap and the next batch reuses the same
pages. Measured on the 2-core VM this project is developed on with
``benchmarks/bench_extract.py`` (ResNet-50 block outputs of 2,000 stimuli at 224 px, batch 32,
every layer kept in RAM; its mode ``raw-reuse`` at commit 81bf6e3, before the forward graph
was prepared too): 162 s instead of 298 s, system time 105 s instead of 235 s. jemalloc
or tcmalloc preloaded (Intel's advice for CPU inference) do the same; this needs no preload.
Elsewhere (macOS, musl) :func:`reuse_freed_memory` does nothing.
"""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Iterator
from contextlib import contextmanager

# mallopt parameters (malloc/malloc.h) and glibc's values (malloc/malloc.c)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4
DEFAULT_MMAP_MAX = 65_536
#: Where glibc's dynamic mmap threshold ends once large blocks have been freed (its ceiling,
#: 32 MB on 64-bit), and the trim threshold it pairs with it (twice that). Any ``mallopt``
#: call switches the dynamic adjustment off for good, so afterwards these are set outright.
ADAPTED_MMAP_THRESHOLD = 32 * 2**20
ADAPTED_TRIM_THRESHOLD = 2 * ADAPTED_MMAP_THRESHOLD
#: Largest C int: trim the heap's top only above 2 GB of free memory there.
NO_TRIM = 2**31 - 1


def _glibc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    libc = ctypes.CDLL(None)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within the block, large blocks come from the heap and freed ones stay there for reuse.

    Afterwards ``mmap`` is back on, with the thresholds glibc's own adjustment reaches in a
    process that has freed large blocks (mmap above 32 MB, trim above 64 MB), and the heap's
    free memory is returned (``malloc_trim``). Blocks allocated inside and freed later go back
    to the heap, not to the system (a long-lived caller keeps that memory for reuse). It
    overrides ``MALLOC_*_`` settings; not reentrant across threads: use it around a whole
    extraction."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, NO_TRIM)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_MAX, DEFAULT_MMAP_MAX)
        libc.mallopt(M_MMAP_THRESHOLD, ADAPTED_MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, ADAPTED_TRIM_THRESHOLD)
        libc.malloc_trim(0)
