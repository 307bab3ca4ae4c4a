"""reuse_freed_memory: large blocks come from glibc's heap inside the block, from mmap after."""

import ctypes

import numpy as np
import pytest

from repgeom.models.allocator import _glibc, reuse_freed_memory


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mmapped_blocks() -> int:
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc 2.33+ (mallinfo2)")
    libc.mallinfo2.restype = _Mallinfo2
    return libc.mallinfo2().hblks


def test_large_blocks_come_from_the_heap_only_inside_the_block():
    size = 64 * 2**20  # far above glibc's largest mmap threshold (32 MB)
    before = _mmapped_blocks()
    with reuse_freed_memory():
        inside = np.ones(size, np.uint8)
        assert _mmapped_blocks() == before
        del inside
    after = np.ones(size, np.uint8)
    assert _mmapped_blocks() == before + 1  # mmap is back above the threshold
    del after
    below = np.ones(16 * 2**20, np.uint8)  # under the 32 MB threshold glibc would adapt to
    assert _mmapped_blocks() == before
    del below


def test_it_is_a_no_op_without_glibc(monkeypatch):
    monkeypatch.setattr("repgeom.models.allocator._glibc", lambda: None)
    with reuse_freed_memory():
        assert np.ones(10).sum() == 10
