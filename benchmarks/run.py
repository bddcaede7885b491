"""Run the benchmark files, each in its own process; print one table of medians and ratios.

Usage: python benchmarks/run.py [--json PATH] [--quick] [NAME ...]   (NAME: retry, cache, ...)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import Bench, Result

HERE = Path(__file__).resolve().parent


def load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def human(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def render(results: list[Result]) -> str:
    rows = [("package", "case", "implementation", "median", "ours faster by", "target")]
    for r in results:
        ratio = "" if r.ours_faster_by is None else f"{r.ours_faster_by:.2f}×"
        target = ""
        if r.target_ns is not None:
            verdict = "met" if r.median_ns <= r.target_ns else "MISSED"
            target = f"≤ {human(r.target_ns)} {verdict}"
        rows.append((r.package, r.case, r.implementation, human(r.median_ns), ratio, target))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def run_in_own_process(path: Path, *, quick: bool) -> list[Result]:
    """One benchmark file in a fresh interpreter: what one file configures (logging, event
    loops, monkeypatched peers) can never leak into the next file's figures."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        command = [sys.executable, __file__, "--worker", str(path), "--json", str(out)]
        subprocess.run([*command, *(["--quick"] if quick else [])], check=True)
        return [Result(**row) for row in json.loads(out.read_text(encoding="utf-8"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmark files to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--quick", action="store_true", help="shorter batches, rougher figures")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        bench = Bench(args.worker.stem.removeprefix("bench_"), quick=args.quick)
        load(args.worker).run(bench)  # type: ignore[attr-defined]
        rows = [dataclasses.asdict(r) for r in bench.results]
        args.json.write_text(json.dumps(rows), encoding="utf-8")
        return 0
    files = sorted(HERE.glob("bench_*.py"))
    if args.names:
        files = [HERE / f"bench_{name}.py" for name in args.names]
    results: list[Result] = []
    for path in files:
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        results += run_in_own_process(path, quick=args.quick)
    print(render(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "results": [dataclasses.asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
