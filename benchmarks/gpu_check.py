"""The GPU paths, proven in one prepared run (issue #19): the driver of ``gpu_check.sh``.

``gpu_check.sh`` runs each part in its own process under its own ``timeout``::

    python benchmarks/gpu_check.py part NAME --device cuda --size full --json WORK/NAME.json

A part (``gpu_check_parts.py``) writes its JSON after every stage, so a part stopped by its
timeout still leaves what it measured. After each part ``line`` prints its one-line summary;
at the end ``merge`` gathers every part (with its exit code, time limit and log tail) into
``OUT/gpu_check.json`` and prints the table. ``--size tiny --device cpu`` (``gpu_check.sh
--cpu``) runs the same functions with the same parameters at a size that takes seconds.

This module imports nothing heavy at the top: ``line`` and ``merge`` start in a blink.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

#: The parts in the order gpu_check.sh runs them (the shell script holds their time limits).
PARTS = ("gpu_tests", "rdm", "encoding", "dsa", "extract", "shape")
#: Exit codes of ``timeout``: 124 when it stopped the part, 137 when it had to kill it.
TIMEOUT_CODES = (124, 137)


class Report:
    """One part's JSON, rewritten after every stage (a timeout keeps what was measured)."""

    def __init__(self, path: Path, part: str, device: str, size: str) -> None:
        self.path = path
        self.started = time.perf_counter()
        self.data: dict[str, Any] = {
            "part": part,
            "status": "running",
            "device": device,
            "size": size,
            "stages": [],
            "checks": [],
            "headline": "",
        }

    def update(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()

    def stage(self, name: str, **fields: Any) -> None:
        """Record a finished stage (and the part's wall time so far)."""
        self.data["stages"].append(name)
        self.update(**fields)

    def check(self, name: str, value: Any, limit: str, ok: bool | None) -> None:
        """A comparison with its target; ``ok=None``: the target does not apply (CPU mode)."""
        self.data["checks"].append({"name": name, "value": value, "limit": limit, "ok": ok})
        self.save()

    def save(self) -> None:
        self.data["wall_s"] = round(time.perf_counter() - self.started, 2)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=_jsonable))
        tmp.replace(self.path)


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays, paths and anything else as plain JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def run_part(args: argparse.Namespace) -> int:
    import gpu_check_parts

    report = Report(Path(args.json), args.name, args.device, args.size)
    report.save()
    deadline = time.monotonic() + args.timeout
    try:
        getattr(gpu_check_parts, f"part_{args.name}")(report, args.device, args.size, deadline)
    except Exception as error:  # recorded in the JSON, then the next part runs
        report.update(
            status="failed",
            error=f"{type(error).__name__}: {error}",
            traceback=traceback.format_exc()[-4000:],
        )
        print(f"[{args.name}] failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    checks = [c["ok"] for c in report.data["checks"]]
    report.update(status="missed" if False in checks else "ok")
    return 0


def save_images(args: argparse.Namespace) -> int:
    import gpu_check_parts

    gpu_check_parts.save_images(args.size, args.path)
    return 0


# -- summaries --------------------------------------------------------------------------------


def _read_run(work: Path, name: str) -> dict[str, Any]:
    """The part's JSON with the shell's record of the run (exit code, limit, seconds)."""
    path = work / f"{name}.json"
    data: dict[str, Any] = {"part": name, "status": "missing", "checks": [], "headline": ""}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            data["error"] = f"unreadable JSON: {error}"
    run = work / f"{name}.run"
    if run.exists():
        rc, limit, seconds = run.read_text().split()
        data.update(rc=int(rc), limit_s=int(limit), process_s=int(seconds))
        if int(rc) in TIMEOUT_CODES:
            data["status"] = "timeout"
            data["error"] = f"stopped at its limit of {limit} s after {data.get('stages')}"
        elif int(limit) <= 0:
            data["status"] = "skipped"
            data["error"] = "no time left in the budget"
        elif int(rc) != 0 and data.get("status") in ("running", "missing", "ok"):
            data["status"] = "failed"
    log = work / f"{name}.log"
    if data.get("status") not in ("ok", "missed") and log.exists():
        data["log_tail"] = log.read_text(errors="replace")[-3000:]
    return data


def _line(data: dict[str, Any]) -> str:
    seconds = data.get("process_s", data.get("wall_s", "?"))
    limit = data.get("limit_s", "?")
    text = f"[{data['part']}] {data['status']:<7} {seconds:>4} s of {limit:>3} s  "
    text += data.get("headline") or ""
    if data.get("error"):
        text += f"  error: {data['error']}"[:300]
    return text


def print_line(args: argparse.Namespace) -> int:
    print(_line(_read_run(Path(args.work), args.name)), flush=True)
    return 0


def merge(args: argparse.Namespace) -> int:
    work, out = Path(args.work), Path(args.out)
    names = [n for n in PARTS if (work / f"{n}.run").exists()] or list(PARTS)
    parts = {name: _read_run(work, name) for name in names}
    first = next((p for p in parts.values() if "environment" in p), {})
    report = {
        "check": "gpu_check (issue #19): every GPU path in one prepared run",
        "mode": args.mode,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "budget_s": args.budget,
        "total_s": args.total,
        "device_name": first.get("device_name"),
        "environment": first.get("environment"),
        "summary": {
            name: {k: p.get(k) for k in ("status", "process_s", "limit_s", "headline")}
            for name, p in parts.items()
        },
        "parts": parts,
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / "gpu_check.json"
    path.write_text(json.dumps(report, indent=1, default=_jsonable))
    rows = [("part", "status", "s", "limit", "result")]
    for name, p in parts.items():
        headline = p.get("headline") or p.get("error") or ""
        rows.append(
            (
                name,
                p["status"],
                str(p.get("process_s", "")),
                str(p.get("limit_s", "")),
                headline[:150],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"\ngpu_check ({args.mode}, {report['device_name']}), {args.total} s in all")
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
    print(f"wrote {path}")
    bad = [n for n, p in parts.items() if p["status"] not in ("ok", "missed")]
    return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    part = sub.add_parser("part", help="run one part and write its JSON")
    part.add_argument("name", choices=PARTS)
    part.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    part.add_argument("--size", default="full", choices=("full", "tiny"))
    part.add_argument("--json", required=True)
    part.add_argument("--timeout", type=float, default=600, help="the part's limit in seconds")
    images = sub.add_parser("images", help="build the extraction part's stimuli into a file")
    images.add_argument("--size", default="full", choices=("full", "tiny"))
    images.add_argument("--path", required=True)
    line = sub.add_parser("line", help="one part's summary line")
    line.add_argument("--work", required=True)
    line.add_argument("--name", required=True)
    mrg = sub.add_parser("merge", help="gather the parts into OUT/gpu_check.json")
    mrg.add_argument("--work", required=True)
    mrg.add_argument("--out", required=True)
    mrg.add_argument("--mode", default="gpu")
    mrg.add_argument("--budget", type=int, default=0)
    mrg.add_argument("--total", type=int, default=0)
    args = parser.parse_args()
    commands = {"part": run_part, "images": save_images, "line": print_line, "merge": merge}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
