"""The peers' own test suites, run against repgeom through re-export shims.

For each peer in :data:`PEERS` whose source checkout is named by its environment variable,
the peer's test files are copied to a temporary folder (with the few declared textual
patches) and run by ``python -m pytest`` in a subprocess whose ``PYTHONPATH`` holds only
``tests/peers/shims``: ``import netrep`` / ``import DSA`` / ``import repsim`` load the shims,
which re-export repgeom's names and contain nothing else (:func:`test_shims_only_reexport`),
and a generated ``conftest.py`` aborts the run if any shim module resolves anywhere else (an
installed peer, say). Every test must then pass, except those the peer fails on itself
(each peer's ``own_failures``, with where that list comes from). Without the variable the
peer's test is skipped with the reason.

    REPGEOM_PEER_NETREP=/path/to/netrep REPGEOM_PEER_DSA=/path/to/DSA \\
        .venv/bin/python -m pytest tests/peers -s

Adding a peer is one :class:`Peer` entry.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SHIMS = Path(__file__).resolve().parent / "shims"


@dataclass(frozen=True)
class Peer:
    """One peer project whose own tests run against repgeom.

    Attributes
    ----------
    name : str
        The top-level package its tests import (the shim package of that name).
    env_var : str
        Names the peer's source checkout.
    revision : str
        The revision the expectations below were measured on.
    test_files : tuple of str
        Test files under ``test_dir`` to run (empty: the whole folder).
    shim_modules : tuple of str
        Modules that must resolve into :data:`SHIMS`.
    own_failures : frozenset of str
        Node ids (``tests/file.py::test[...]``) the peer fails on itself, or test functions
        (``tests/file.py::test``: any of its cases).
    own_failures_source : str
        Where ``own_failures`` comes from.
    not_run : mapping of str → str
        Test files of the peer deliberately not run, with the reason.
    min_collected : int
        At least this many tests must be collected (guards against tests silently lost).
    threads : int
        OMP / MKL / OpenBLAS threads, and ``torch.set_num_threads``, in the subprocess.
    patches : mapping of str → tuple of (str, str)
        Textual replacements in the temporary copy of a test file; each must apply.
    timeout_s : int
    test_dir : str
    """

    name: str
    env_var: str
    revision: str
    test_files: tuple[str, ...]
    shim_modules: tuple[str, ...]
    own_failures: frozenset[str]
    own_failures_source: str
    not_run: Mapping[str, str] = field(default_factory=dict)
    min_collected: int = 1
    threads: int = 1
    patches: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    timeout_s: int = 3600
    test_dir: str = "tests"


#: netrep @ 0186b8a passes all 155 of its tests on itself (Python 3.12, this project's venv,
#: ``PYTHONPATH=<netrep checkout> python -m pytest tests``).
NETREP_OWN_FAILURES: frozenset[str] = frozenset()

#: dsa-metric fails 4 of the 6 cases of test_simdist_convergent and 3 of the 6 of
#: test_transposed_q_same on itself (its gradient search stops above the tests' tolerance), and
#: passes the other 46 of its 53 tests in about 7 minutes: the report of dsa-metric 2.0.2 run
#: on itself in issue #22. Not re-measured here (the checkout's package imports omegaconf,
#: pykoopman's dependencies etc., absent from this environment), so the entries name the test
#: functions: every case of them counts as expected (see :func:`expected_failure`).
DSA_OWN_FAILURES: frozenset[str] = frozenset(
    {
        "tests/simdist_test.py::test_simdist_convergent",
        "tests/simdist_test.py::test_transposed_q_same",
    }
)

#: The repsim modules its tests import, all of them shims.
REPSIM_SHIM_MODULES = (
    "repsim",
    "repsim.kernels",
    "repsim.metrics",
    "repsim.metrics.generalized_shape_metrics",
    "repsim.geometry",
    "repsim.geometry.curvature",
    "repsim.geometry.hypersphere",
    "repsim.geometry.optimize",
    "repsim.geometry.trig",
    "repsim.pairwise",
    "repsim.stats",
    "repsim.util",
)

#: repsim @ ecd0a54 on itself (this project's venv: torch 2.x, scikit-learn 1.9; one thread;
#: ``torch.qr`` → ``torch.linalg.qr`` in its test helper; a 240 s per-test limit, since
#: ``test_inner_product[ShapeMetric[0.00][30][euclidean].100]`` loops forever there): 393 of 428
#: pass. Its 35 failures: shape metrics' tangent geometry (alpha < 1 breaks it, as repsim's own
#: docstring says, and float32 round-off), and two float32 invariance checks at 1e-3.
REPSIM_OWN_FAILURES_SOURCE = (
    "repsim @ ecd0a54 run on itself with its own tests/ (torch.qr patched, one thread): "
    "393 passed, 35 failed"
)
REPSIM_OWN_FAILURES: frozenset[str] = frozenset(
    {
        "tests/test_geometry.py::test_contains[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_curvature[ShapeMetric[1.00][30][euclidean].100]",
        "tests/test_geometry.py::test_geodesic[ShapeMetric[0.00][15][angular].100]",
        "tests/test_geometry.py::test_geodesic[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_geodesic[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[0.00][15][angular].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[0.00][30][angular].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[0.50][15][angular].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[1.00][15][angular].100]",
        "tests/test_geometry.py::test_inner_product[ShapeMetric[1.00][30][angular].100]",
        "tests/test_geometry.py::test_log_exp_maps[ShapeMetric[0.00][15][angular].100]",
        "tests/test_geometry.py::test_log_exp_maps[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_log_exp_maps[ShapeMetric[0.00][30][angular].100]",
        "tests/test_geometry.py::test_log_exp_maps[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.00][15][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.00][30][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.50][15][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.50][15][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.50][30][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[0.50][30][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[1.00][15][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[1.00][15][euclidean].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[1.00][30][angular].100]",
        "tests/test_geometry.py::test_parallel_transport[ShapeMetric[1.00][30][euclidean].100]",
        "tests/test_geometry.py::test_projection_by_binary_search[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_projection_by_binary_search[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_projection_by_tangent_iteration[ShapeMetric[0.00][15][euclidean].100]",
        "tests/test_geometry.py::test_projection_by_tangent_iteration[ShapeMetric[0.00][30][euclidean].100]",
        "tests/test_geometry.py::test_projection_by_tangent_iteration[ShapeMetric[1.00][30][angular].100]",
        "tests/test_invariances.py::test_affine_invariance[Stress.Linear.100]",
        "tests/test_invariances.py::test_scale_invariance[AngularCKA.unb.SqExp[10.000].100]",
    }
)

PEERS: dict[str, Peer] = {
    "netrep": Peer(
        name="netrep",
        env_var="REPGEOM_PEER_NETREP",
        revision="ahwillia/netrep @ 0186b8a",
        test_files=(
            "test_metrics.py",
            "test_multiprocessing.py",
            "test_multiset.py",
            "test_stochastic.py",
        ),
        shim_modules=("netrep", "netrep.metrics", "netrep.multiset", "netrep.utils"),
        own_failures=NETREP_OWN_FAILURES,
        own_failures_source="netrep @ 0186b8a run on itself here: 155 passed",
        not_run={
            "test_utils.py": "netrep's private linear-algebra helpers (whiten, fwht, "
            "structured random orthogonal matrices, kernel centring, Bures helpers), not part "
            "of repgeom's API",
            "test_stochastic_process.py": "GPStochasticMetric (Gaussian-process stochastic "
            "shape metric), which repgeom does not provide",
        },
        min_collected=68,
    ),
    "DSA": Peer(
        name="DSA",
        env_var="REPGEOM_PEER_DSA",
        revision="mitchellostrow/DSA @ 8cbddcf (dsa-metric 2.0.1 in its pyproject)",
        test_files=("dmd_test.py", "simdist_test.py", "dsa_test.py"),
        shim_modules=("DSA", "DSA.dmd", "DSA.simdist", "DSA.dsa"),
        own_failures=DSA_OWN_FAILURES,
        own_failures_source="issue #22: dsa-metric 2.0.2 run on itself, 46 of 53 pass",
        not_run={
            "pykoopman_test.py": "the vendored pykoopman package",
            "test_sweeps.py": "dsa-metric's hyper-parameter sweepers",
            "test_wasserstein_optimization.py": "gradients through dsa-metric's internals",
        },
        min_collected=53,
    ),
    "repsim": Peer(
        name="repsim",
        env_var="REPGEOM_PEER_REPSIM",
        revision="wrongu/repsim @ ecd0a54",
        test_files=(),
        shim_modules=REPSIM_SHIM_MODULES,
        own_failures=REPSIM_OWN_FAILURES,
        own_failures_source=REPSIM_OWN_FAILURES_SOURCE,
        min_collected=428,
        threads=1,
        patches={"test_invariances.py": (("torch.qr(", "torch.linalg.qr("),)},
    ),
}

_GUARD = '''"""Generated by repgeom's peer harness: the peer's modules must be repgeom's shims."""

import importlib
import pathlib

import torch

torch.set_num_threads({threads})
SHIMS = pathlib.Path({shims!r})
for name in {modules!r}:
    path = pathlib.Path(importlib.import_module(name).__file__).resolve()
    if SHIMS not in path.parents:
        raise ImportError(f"{{name}} resolves to {{path}}, not to the shim under {{SHIMS}}")
'''

_OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS) (\S+)")
_FINAL = re.compile(r"^=*\s*\d+ \w+.* in [\d.]+s( \([\d:]+\))?( =+)?$")
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


@dataclass
class PeerRun:
    """A peer suite's result: outcome per node id and the summary counts."""

    outcomes: dict[str, str]
    counts: Counter
    returncode: int
    output: str

    @property
    def collected(self) -> int:
        keys = ("passed", "failed", "skipped", "xfailed", "xpassed")
        return sum(self.counts[k] for k in keys)


def parse_pytest_output(output: str, returncode: int) -> PeerRun:
    """Outcomes (from ``-rA``'s short summary) and counts (from the final line)."""
    outcomes: dict[str, str] = {}
    for line in output.splitlines():
        match = _OUTCOME.match(line)
        if match:
            outcomes[match.group(2)] = match.group(1)
    counts: Counter = Counter()
    finals = [line for line in output.splitlines() if _FINAL.search(line)]
    if finals:
        for number, kind in _SUMMARY.findall(finals[-1]):
            counts["error" if kind.startswith("error") else kind] += int(number)
    return PeerRun(outcomes, counts, returncode, output)


def prepare_peer_tests(peer: Peer, source: Path, workdir: Path) -> list[str]:
    """Copy the peer's tests into ``workdir`` (patched), write the guard ``conftest.py`` and an
    empty ``pytest.ini``; returns the pytest arguments naming the files to run."""
    tests = workdir / peer.test_dir
    shutil.copytree(source / peer.test_dir, tests)
    for name, replacements in peer.patches.items():
        path = tests / name
        text = path.read_text()
        for old, new in replacements:
            if old not in text:
                raise AssertionError(f"{peer.name}: patch {old!r} does not apply to {name}")
            text = text.replace(old, new)
        path.write_text(text)
    (workdir / "pytest.ini").write_text("[pytest]\n")
    (workdir / "conftest.py").write_text(
        _GUARD.format(threads=peer.threads, shims=str(SHIMS), modules=peer.shim_modules)
    )
    files = peer.test_files or ("",)
    return [str(Path(peer.test_dir) / f) for f in files]


def run_peer(peer: Peer, source: Path, workdir: Path) -> PeerRun:
    """Run the peer's tests against repgeom (shims first on ``PYTHONPATH``)."""
    targets = prepare_peer_tests(peer, source, workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    threads = str(peer.threads)
    env.update(
        PYTHONPATH=str(SHIMS),
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"]
    command += ["--tb=short", *targets]
    proc = subprocess.run(
        command,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=peer.timeout_s,
    )
    return parse_pytest_output(proc.stdout + proc.stderr, proc.returncode)


def expected_failure(node: str, own_failures: frozenset[str]) -> bool:
    """Whether ``node`` is one of the peer's own failures: listed itself, or a case
    (``name[params]``) of a listed test function."""
    return any(node == entry or node.startswith(entry + "[") for entry in own_failures)


def _shim_files() -> list[Path]:
    return sorted(SHIMS.rglob("*.py"))


@pytest.mark.parametrize("path", _shim_files(), ids=lambda p: str(p.relative_to(SHIMS)))
def test_shims_only_reexport(path: Path) -> None:
    """A shim holds a docstring and ``from repgeom... import ...`` lines, nothing else."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        assert isinstance(node, ast.ImportFrom), f"{path}: {ast.dump(node)[:80]}"
        assert node.module and node.module.split(".")[0] == "repgeom", f"{path}: {node.module}"


def test_parse_pytest_output() -> None:
    out = (
        "PASSED tests/test_a.py::test_x[1]\n"
        "FAILED tests/test_a.py::test_y - AssertionError\n"
        "ERROR tests/test_b.py - ImportError: no\n"
        "=========== 1 failed, 1 passed, 2 skipped, 1 error in 0.52s ===========\n"
    )
    run = parse_pytest_output(out, 1)
    assert run.outcomes == {
        "tests/test_a.py::test_x[1]": "PASSED",
        "tests/test_a.py::test_y": "FAILED",
        "tests/test_b.py": "ERROR",
    }
    assert run.counts == Counter(passed=1, failed=1, skipped=2, error=1)
    assert run.collected == 4
    assert expected_failure("tests/t.py::test_y[1-a]", frozenset({"tests/t.py::test_y"}))
    assert not expected_failure("tests/t.py::test_yz", frozenset({"tests/t.py::test_y"}))
    quiet = parse_pytest_output("68 passed, 3 warnings in 61.20s (0:01:01)\n", 0)
    assert quiet.counts == Counter(passed=68)


@pytest.mark.parametrize("peer", list(PEERS.values()), ids=list(PEERS))
def test_peer_suite(peer: Peer, tmp_path: Path) -> None:
    """Every test of the peer that passes on the peer passes on repgeom."""
    value = os.environ.get(peer.env_var)
    if not value:
        pytest.skip(f"{peer.env_var} is not set (a source checkout of {peer.revision})")
    source = Path(value).expanduser().resolve()
    if not (source / peer.test_dir).is_dir():
        pytest.skip(f"{peer.env_var}={value}: no {peer.test_dir}/ folder there")
    if not (SHIMS / peer.name).is_dir():
        pytest.skip(f"no shim package {SHIMS / peer.name} yet")
    run = run_peer(peer, source, tmp_path)
    unexpected = sorted(
        node
        for node, outcome in run.outcomes.items()
        if outcome in ("FAILED", "ERROR") and not expected_failure(node, peer.own_failures)
    )
    fixed = sorted(
        node
        for node, outcome in run.outcomes.items()
        if outcome == "PASSED" and expected_failure(node, peer.own_failures)
    )
    print(
        f"\n{peer.name} ({peer.revision}) against repgeom: {dict(run.counts)}; "
        f"{len(unexpected)} unexpected failures; the peer's own failures passing here: {fixed}"
    )
    tail = run.output[-6000:]
    assert run.counts["error"] == 0 and not unexpected, f"{unexpected}\n{tail}"
    assert run.collected >= peer.min_collected, f"only {run.collected} collected\n{tail}"
    assert run.returncode in (0, 1), tail
