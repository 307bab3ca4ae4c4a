"""Replay reference cases: run a case's setup (with the peer tool's imports replaced by
repgeom's), bind its inputs, evaluate its call, and compare with its expectation."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import numpy as np
from scipy.linalg import orthogonal_procrustes


def bind_inputs(case: dict, folder: Path) -> dict[str, Any]:
    """Variables of ``inputs.bind``: a key binds an array; a list of keys binds a list, or a
    ``(means, covs)`` tuple for a stochastic X/Y; ``nets`` binds a list of such tuples."""
    data = np.load(folder / case["inputs"]["file"])
    names: dict[str, Any] = {}
    for var, spec in case["inputs"]["bind"].items():
        if isinstance(spec, str):
            names[var] = data[spec]
        elif spec and isinstance(spec[0], list):
            names[var] = [tuple(data[k] for k in pair) for pair in spec]
        elif var in ("X", "Y") and len(spec) == 2 and "stochastic" in case["_source"]:
            names[var] = tuple(data[k] for k in spec)
        else:
            names[var] = [data[k] for k in spec]
    return names


def evaluate(case: dict, folder: Path, replacements: dict[str, str]) -> Any:
    namespace: dict[str, Any] = {}
    setup, call = case["setup"], case["call"]
    for old, new in replacements.items():
        setup, call = setup.replace(old, new), call.replace(old, new)
    exec(setup, namespace)  # noqa: S102 - the reference's own setup line
    namespace.update(bind_inputs(case, folder))
    return eval(call, namespace)  # noqa: S307 - the reference's own call


def expected_exception(case: dict) -> type[BaseException] | None:
    exp = case["expected"]
    if isinstance(exp, dict) and "raises" in exp:
        return getattr(builtins, exp["raises"])
    return None


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, str) and value == "inf":
        return np.array(np.inf)
    return np.asarray(value, dtype=float)


def check(case: dict, got: Any) -> None:
    """Assert ``got`` meets the case's expectation and tolerance."""
    tol = case["tolerance"]
    atol, rtol = tol.get("abs", 0.0), tol.get("rel", 0.0)
    expected = case["expected"]
    if tol.get("compare") == "up to a common orthogonal matrix":
        eX, eY = (_as_array(e) for e in expected)
        tX, tY = (np.asarray(g, float) for g in got)
        assert tX.shape == eX.shape and tY.shape == eY.shape
        Q, _ = orthogonal_procrustes(np.vstack([tX, tY]), np.vstack([eX, eY]))
        np.testing.assert_allclose(
            np.vstack([tX, tY]) @ Q, np.vstack([eX, eY]), rtol=rtol, atol=atol
        )
        return
    if isinstance(got, tuple):
        got = [np.asarray(g, float) for g in got]
    got, exp = np.asarray(got, dtype=float), _as_array(expected)
    assert got.shape == exp.shape, f"shape {got.shape} != expected {exp.shape}"
    if tol.get("upper_bound"):
        assert np.all(got <= exp + atol + rtol * np.abs(exp)), f"{got} above the bound {exp}"
        return
    finite = np.isfinite(exp)
    np.testing.assert_array_equal(got[~finite], exp[~finite])
    np.testing.assert_allclose(got[finite], exp[finite], rtol=rtol, atol=atol)
