"""Resume after a hard kill without ``snakemake --unlock`` by hand.

Snakemake locks a working directory (``.snakemake/locks/``) while it runs and removes the lock
when it ends; a run killed with SIGKILL (or a lost node, or a closed laptop lid at the wrong
time) leaves the lock behind, and every later run stops at it until someone runs
``--unlock``. Snakemake cannot tell a stale lock from a live one, so repgeom keeps a second,
kernel-held lock: the main process of every run of the workflow holds an exclusive
:func:`fcntl.flock` on ``.snakemake/repgeom-run.lock`` for as long as it lives. The kernel drops
it when the process dies, however it dies. A new run that obtains it therefore knows that no
other run of this working directory is alive, and removes Snakemake's leftover locks; a run that
cannot obtain it leaves everything as it is (Snakemake then reports the live run's lock).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger("repgeom")

#: The file whose flock the main process of a run holds, inside Snakemake's folder.
RUN_LOCK = "repgeom-run.lock"

#: Open lock files of this process (kept open, and so locked, until the process exits).
_HELD: dict[Path, int] = {}


def claim(snakemake_dir: str | os.PathLike[str] = ".snakemake") -> list[Path]:
    """Take this process's run lock on a working directory's Snakemake folder and, when no
    other run holds it, remove Snakemake's stale locks.

    Returns the stale lock files removed (empty when there were none, or when another run is
    alive, in which case its locks are left alone). Calling it again in the same process is a
    no-op.
    """
    folder = Path(snakemake_dir).resolve()
    if folder in _HELD:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / RUN_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # another run of this directory is alive: its locks are real
        os.close(fd)
        return []
    _HELD[folder] = fd
    stale = sorted((folder / "locks").glob("*.lock"))
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        log.warning(
            "removed %d stale Snakemake lock(s) in %s left by a run that was killed; "
            "resuming (no other run of this directory is alive)",
            len(stale),
            folder / "locks",
        )
    return stale


def release(snakemake_dir: str | os.PathLike[str] = ".snakemake") -> None:
    """Give up this process's run lock (a run releases it by exiting; tests call this)."""
    fd = _HELD.pop(Path(snakemake_dir).resolve(), None)
    if fd is not None:
        os.close(fd)
