"""The workflow through snakemake-executor-plugin-slurm on a real one-node Slurm cluster.

``tests/slurm/local_slurm.sh`` installs (if needed) and starts Slurm with accounting on this
machine, runs the workflow with ``workflow/profiles/slurm`` and lists the jobs with ``sacct``.
It needs root and Debian's packages (or apt to install them); where that is impossible the
test is skipped, and says why.

The cluster lives in a private prefix under ``tmp_path`` (configs, munge key and socket,
MariaDB, state, logs). The test checks that the script cleans up after itself: no daemon
it started (``PREFIX/pids``) and no process carrying its run's tag is alive afterwards, and
nothing outside ``tmp_path`` -- /etc/slurm, /etc/munge, the system daemons' run, spool and
log folders, /var/tmp/repgeom-slurm -- was created or changed. The packages are installed
first (``--install-only``), before that snapshot: installing them creates their own folders,
which is not the run's doing. Whatever the outcome, the
test kills anything the script left running, so a failing run leaves nothing behind either.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "slurm" / "local_slurm.sh"
MICRO = REPO / "tests" / "slurm" / "micro.yaml"
#: sbatch jobs of the micro config (see its header).
MICRO_JOBS = 12
#: The script stops the workflow after 1500 s; setup and cleanup take about a minute.
TIMEOUT_S = 1800
#: What the script starts, in PREFIX/pids.
DAEMONS = {"munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd"}
#: The first line of every config file the script writes (and of older versions' leftovers).
MARK = "# written by repgeom tests/slurm/local_slurm.sh"
#: System config folders: no file in them may appear, vanish or change.
SYSTEM_TREES = ("/etc/slurm", "/etc/slurm-llnl", "/etc/munge")
#: The system daemons' run, state, spool and log folders: no entry may appear or vanish.
SYSTEM_DIRS = (
    "/run/munge",
    "/run/mysqld",
    "/run/slurm",
    "/var/lib/munge",
    "/var/log/munge",
    "/var/lib/slurm",
    "/var/log/slurm",
    "/var/spool/slurmd",
    "/var/spool/slurmctld",
)
#: Names the script (or its older versions) use outside the prefix.
OWN_NAMES = (("/tmp", "rgslurm."), ("/tmp", "repgeom-slurm"), ("/var/tmp", "repgeom-slurm"))
OLD_STATE = Path("/var/tmp/repgeom-slurm")

pytestmark = pytest.mark.workflow


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to install and start Slurm daemons"
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        return "neither Slurm nor apt-get (to install it) is available"
    return None


def _snapshot() -> dict[str, object]:
    """What the run must leave as it found it, outside ``tmp_path``."""
    snap: dict[str, object] = {}
    for root in SYSTEM_TREES:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                snap[path] = (st.st_mode, st.st_size, st.st_mtime_ns)
    for folder in SYSTEM_DIRS:
        snap[folder] = sorted(os.listdir(folder)) if os.path.isdir(folder) else None
    for folder, start in OWN_NAMES:
        snap[f"{folder}/{start}*"] = sorted(n for n in os.listdir(folder) if n.startswith(start))
    return snap


def _alive(pid: int, start_time: str) -> bool:
    """Whether process ``pid`` still runs and is the one started at ``start_time``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rfind(")") + 2 :].split()  # from field 3 (state) on
    return fields[0] not in "ZX" and fields[19] == start_time


def _tagged(tag: str) -> list[int]:
    """Processes whose environment carries the run's tag (daemons, job steps, the workflow)."""
    entry = f"REPGEOM_LOCAL_SLURM={tag}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if entry in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kill_leftovers(pids_file: Path, tag: str) -> list[str]:
    """Kill (SIGKILL) what the script left running; say what that was."""
    left = {}
    if pids_file.exists():
        for line in pids_file.read_text().splitlines():
            name, pid, start_time = line.split()
            if _alive(int(pid), start_time):
                left[int(pid)] = name
    for pid in _tagged(tag):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        left.setdefault(pid, cmdline.replace(b"\0", b" ")[:80].decode(errors="replace"))
    for pid in left:
        _kill(pid)
    return [f"{pid} ({name})" for pid, name in left.items()]


def _finish(proc: subprocess.Popen, tag: str, prefix: Path) -> str:
    """Stop a script that is still running (its EXIT trap cleans up on SIGTERM); its stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=180)[1]
    except subprocess.TimeoutExpired:  # no trap ran: do its work
        os.killpg(proc.pid, signal.SIGKILL)
        for pid in _tagged(tag):  # e.g. the workflow, which `timeout` runs in its own group
            _kill(pid)
        err = proc.communicate()[1]
        outside = prefix / "outside"
        for path in outside.read_text().split() if outside.exists() else []:
            if path.startswith("/tmp/rgslurm."):
                shutil.rmtree(path, ignore_errors=True)
        return err


@pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))
def test_workflow_runs_on_a_real_slurm_cluster_and_shows_in_sacct(tmp_path):
    work, prefix = tmp_path / "work", tmp_path / "slurm"
    tag = f"pytest.{os.getpid()}.{time.time_ns()}"
    env = {**os.environ, "PYTHON": sys.executable, "REPGEOM_LOCAL_SLURM": tag}
    install = subprocess.run(
        ["bash", str(SCRIPT), "--install-only"], capture_output=True, text=True, env=env
    )
    if install.returncode == 100:  # the script's code for "packages could not be installed"
        pytest.skip(f"Slurm could not be installed here: {install.stderr[-500:]}")
    assert install.returncode == 0, install.stderr[-4000:]
    before = _snapshot()
    old_state_existed = OLD_STATE.exists()
    started = time.time()
    proc = subprocess.Popen(
        ["bash", str(SCRIPT), str(MICRO), str(work), str(prefix)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    err, timed_out = "", False
    try:
        err = proc.communicate(timeout=TIMEOUT_S)[1]
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if proc.returncode is None:  # timed out, or the test was interrupted
            err = _finish(proc, tag, prefix)
        leftovers = _kill_leftovers(prefix / "pids", tag)

    # Cleanup: nothing the script started is still running ...
    assert not leftovers, f"still running after the script exited: {leftovers}\n{err[-2000:]}"
    assert not timed_out, f"no result within {TIMEOUT_S} s: {err[-4000:]}"
    assert proc.returncode == 0, err[-4000:]
    names = [line.split()[0] for line in (prefix / "pids").read_text().splitlines()]
    assert sorted(names) == sorted(DAEMONS)
    # ... and nothing is left outside tmp_path, nor anything of the system's changed.
    assert _snapshot() == before
    assert old_state_existed or not OLD_STATE.exists()
    for conf in Path("/etc/slurm").glob("*.conf"):
        written = conf.stat().st_mtime >= started and MARK in conf.read_text(errors="replace")
        assert not written, f"{conf} was written by the script"
    for path in (prefix / "outside").read_text().split():
        assert not Path(path).exists(), f"{path} (outside tmp_path) was left behind"
    assert not (prefix / "state").exists() and not (prefix / "run").exists()
    assert (prefix / "etc" / "slurm.conf").read_text().startswith(MARK)

    # The workflow: every sbatch job shows in sacct, under the profile's account.
    rows = [line.split("|") for line in (work / "sacct.txt").read_text().splitlines()]
    assert len(rows) == MICRO_JOBS
    assert {row[2] for row in rows} == {"repgeom"}  # the profile's account, from the env
    assert {row[3] for row in rows} == {"COMPLETED"}
    assert (work / "results/distances/grat/shape.nc").exists()
    assert (work / "figures/shape.png").stat().st_size > 1000
