"""Compare every result store of two workflow runs: the same numbers, to a tolerance.

A redesign that claims "no number changes" runs the same config before and after and points
this script at both ``results/`` folders::

    .venv/bin/python benchmarks/compare_runs.py BEFORE/results AFTER/results [--atol 1e-10]

Every netCDF store present in both is compared variable by variable and coordinate by
coordinate (NaN equals NaN); trained weights (``.pt``) tensor by tensor. Renamed coordinates
are matched through ``--rename OLD=NEW`` (default: the ``kind`` → ``source`` label rename of the
representation coords). Attributes (provenance, creation times) are not compared. The report
lists, per file, the largest absolute difference and anything present on one side only; the
exit status is 1 when a number differs beyond ``--atol`` or a file is missing on one side.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

DEFAULT_RENAMES = {
    "rep_a_kind": "rep_a_source",
    "rep_b_kind": "rep_b_source",
    "rep_kind": "rep_source",
}


def _max_diff(a: Any, b: Any) -> float:
    """Largest absolute difference of two arrays (0 for equal non-numeric arrays, inf for a
    shape mismatch or unequal non-numeric values)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return float("inf")
    if not (np.issubdtype(a.dtype, np.number) and np.issubdtype(b.dtype, np.number)):
        return 0.0 if np.array_equal(a.astype(str), b.astype(str)) else float("inf")
    if a.size == 0:
        return 0.0
    a, b = a.astype(float), b.astype(float)
    both_nan = np.isnan(a) & np.isnan(b)
    if (np.isnan(a) ^ np.isnan(b)).any():
        return float("inf")
    return float(np.max(np.abs(np.where(both_nan, 0.0, a - b)), initial=0.0))


def compare_store(before: Path, after: Path, renames: dict[str, str]) -> dict[str, Any]:
    """Per variable and coordinate: the largest absolute difference, and names on one side."""
    with (
        xr.open_dataset(before, engine="netcdf4") as old,
        xr.open_dataset(after, engine="netcdf4") as new,
    ):
        old = old.load().rename({k: v for k, v in renames.items() if k in old.variables})
        new = new.load()
        diffs: dict[str, float] = {}
        for name in sorted(set(old.variables) & set(new.variables)):
            # align dims by name: a redesign may transpose a variable
            a = old[name]
            b = new[name].transpose(*a.dims) if set(new[name].dims) == set(a.dims) else new[name]
            diffs[str(name)] = _max_diff(a.values, b.values)
        return {
            "max_abs_diff": diffs,
            "only_before": sorted(map(str, set(old.variables) - set(new.variables))),
            "only_after": sorted(map(str, set(new.variables) - set(old.variables))),
        }


def compare_weights(before: Path, after: Path) -> dict[str, Any]:
    import torch

    old = torch.load(before, map_location="cpu", weights_only=False)["state_dict"]
    new = torch.load(after, map_location="cpu", weights_only=False)["state_dict"]
    diffs = {k: _max_diff(old[k].numpy(), new[k].numpy()) for k in sorted(set(old) & set(new))}
    return {
        "max_abs_diff": diffs,
        "only_before": sorted(set(old) - set(new)),
        "only_after": sorted(set(new) - set(old)),
    }


def compare_runs(before: Path, after: Path, renames: dict[str, str], atol: float) -> dict[str, Any]:
    files_before = {p.relative_to(before) for p in before.rglob("*") if p.suffix in (".nc", ".pt")}
    files_after = {p.relative_to(after) for p in after.rglob("*") if p.suffix in (".nc", ".pt")}
    report: dict[str, Any] = {
        "only_before": sorted(map(str, files_before - files_after)),
        "only_after": sorted(map(str, files_after - files_before)),
        "files": {},
    }
    for rel in sorted(files_before & files_after):
        compare = compare_weights if rel.suffix == ".pt" else compare_store
        args = () if rel.suffix == ".pt" else (renames,)
        result = compare(before / rel, after / rel, *args)
        worst = max(result["max_abs_diff"].values(), default=0.0)
        result["worst"] = worst
        result["equal"] = worst <= atol
        report["files"][str(rel)] = result
    report["atol"] = atol
    report["all_equal"] = (
        not report["only_before"]
        and not report["only_after"]
        and all(r["equal"] for r in report["files"].values())
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="results/ folder of the reference run")
    parser.add_argument("after", type=Path, help="results/ folder of the run to check")
    parser.add_argument("--atol", type=float, default=1e-10)
    parser.add_argument(
        "--rename", action="append", default=[], metavar="OLD=NEW", help="a renamed variable"
    )
    parser.add_argument("--json", type=Path, help="also write the full report here")
    args = parser.parse_args(argv)
    renames = dict(DEFAULT_RENAMES, **dict(r.split("=", 1) for r in args.rename))
    report = compare_runs(args.before, args.after, renames, args.atol)
    for rel, result in report["files"].items():
        extra = ""
        if result["only_before"] or result["only_after"]:
            extra = f"  (only before: {result['only_before']}, only after: {result['only_after']})"
        mark = "ok  " if result["equal"] else "DIFF"
        print(f"{mark} {rel}: max |Δ| = {result['worst']:.3g}{extra}")
        if not result["equal"]:
            worst = {k: v for k, v in result["max_abs_diff"].items() if v > args.atol}
            print(f"       beyond {args.atol:g}: {worst}")
    for side in ("only_before", "only_after"):
        if report[side]:
            print(f"files {side.replace('_', ' ')}: {report[side]}")
    n = len(report["files"])
    verdict = "all equal" if report["all_equal"] else "DIFFERENCES"
    print(f"{n} files compared, atol {args.atol:g}: {verdict}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0 if report["all_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
