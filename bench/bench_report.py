"""Benchmark: ``chartsim report`` and ``run … --report`` against the run they report on.

Each figure comes from fresh processes on this machine, measured in the same
invocation as the run it is compared with, with the process's peak memory:

- the README's department example, ``run scenarios/department.yaml --reps 30
  --seed 7 --workers 2 --report``: the whole command, and the run alone;
- ``report`` of that run folder (per-chart tables not written at this size):
  seconds as a ratio to the run, peak memory;
- ``report`` of ``run scenarios/department.yaml --reps 10 --workers 2``, where
  the per-chart tables are written by default (``charts.csv`` ≈ 100 MB):
  seconds as a ratio to that run, peak memory.

Reports are repeated (``--repeat``) and shown as a range: the machine is shared.
Run: python bench/bench_report.py [--repeat 3]
Reported as ratios on one machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench_run import measure

ROOT = Path(__file__).resolve().parents[1]
DEPARTMENT = str(ROOT / "scenarios" / "department.yaml")


def _span(values: list[float], fmt: str = "{:.2f}") -> str:
    low, high = min(values), max(values)
    return fmt.format(low) if fmt.format(low) == fmt.format(high) else f"{fmt.format(low)}–{fmt.format(high)}"


def _reports(folder: Path, repeat: int) -> tuple[list[float], list[float]]:
    seconds, peaks = [], []
    for _ in range(repeat):
        s, mb = measure("report", str(folder))
        seconds.append(s)
        peaks.append(mb)
    return seconds, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="times each report is made")
    args = parser.parse_args()
    rows: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp) / "example"
        whole, whole_mb = measure("run", DEPARTMENT, "--reps", "30", "--seed", "7", "--workers", "2", "--out",
                                  str(example), "--report")
        shutil.rmtree(example)
        run30, run30_mb = measure("run", DEPARTMENT, "--reps", "30", "--seed", "7", "--workers", "2", "--out",
                                  str(example))
        print(f"run department --reps 30 --workers 2 --report   {whole:6.1f} s, peak {whole_mb:4.0f} MB "
              f"(the run alone {run30:.1f} s, peak {run30_mb:.0f} MB; target ≤ 20 s, < 400 MB)")
        rows.update(example_report_s=whole, example_report_mb=whole_mb, run30_s=run30, run30_mb=run30_mb)
        seconds, peaks = _reports(example, args.repeat)
        ratios = [s / run30 for s in seconds]
        print(f"report of that folder                            {_span(seconds, '{:.1f}'):>9} s "
              f"({_span(ratios)}× the run), peak {_span(peaks, '{:.0f}')} MB (target ≤ 5 s, < 300 MB)")
        rows.update(report30_s=seconds, report30_vs_run=ratios, report30_mb=peaks)

        charts = Path(tmp) / "charts"
        run10, run10_mb = measure("run", DEPARTMENT, "--reps", "10", "--workers", "2", "--out", str(charts))
        mb = (charts / "charts.csv").stat().st_size / 1e6 if (charts / "charts.csv").is_file() else 0.0
        seconds, peaks = _reports(charts, args.repeat)
        ratios = [s / run10 for s in seconds]
        print(f"run department --reps 10 --workers 2             {run10:6.1f} s, peak {run10_mb:4.0f} MB "
              f"(charts.csv {mb:.0f} MB)")
        print(f"report of that folder                            {_span(seconds, '{:.1f}'):>9} s "
              f"({_span(ratios)}× the run), peak {_span(peaks, '{:.0f}')} MB (target ≤ 0.3×, < 300 MB)")
        rows.update(run10_s=run10, report10_s=seconds, report10_vs_run=ratios, report10_mb=peaks)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
