"""The workflow through snakemake-executor-plugin-slurm on a real one-node Slurm cluster.

``tests/slurm/local_slurm.sh`` installs (if needed) and starts Slurm with accounting on this
machine, runs the workflow with ``workflow/profiles/slurm`` and lists the jobs with ``sacct``.
It needs root and Debian's packages (or apt to install them); where that is impossible the
test is skipped, and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "slurm" / "local_slurm.sh"
MICRO = REPO / "tests" / "slurm" / "micro.yaml"
#: sbatch jobs of the micro config (see its header).
MICRO_JOBS = 10

pytestmark = pytest.mark.workflow


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to install and start Slurm daemons"
    if not (shutil.which("slurmctld") or shutil.which("apt-get")):
        return "neither Slurm nor apt-get (to install it) is available"
    return None


@pytest.mark.skipif(_why_not() is not None, reason=str(_why_not()))
def test_workflow_runs_on_a_real_slurm_cluster_and_shows_in_sacct(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(MICRO), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1500,
        env=env,
    )
    if proc.returncode == 100:  # the script's code for "packages could not be installed"
        pytest.skip(f"Slurm could not be installed here: {proc.stderr[-500:]}")
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = [line.split("|") for line in (tmp_path / "sacct.txt").read_text().splitlines()]
    assert len(rows) == MICRO_JOBS
    assert {row[2] for row in rows} == {"repgeom"}  # the profile's account, from the env
    assert {row[3] for row in rows} == {"COMPLETED"}
    assert (tmp_path / "results/distances/grat/shape.nc").exists()
    assert (tmp_path / "figures/shape.png").stat().st_size > 1000
