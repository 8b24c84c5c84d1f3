"""Benchmark: what a manager waits for on the what-if page, with worker processes and without.

The page's application (``sim.serve.app.create_app``) is driven as the page
drives it (its own origin and session token), in this process: a what-if
run of the department, submitted and polled until done. Timed for
``--processes 1`` (simulated in the server's thread, as before the page had
worker processes) and for the machine's CPUs (``chartsim serve``'s default);
the first run of a server includes starting its workers, so each server's
first and later runs are shown apart. The tables of both are checked equal.

Run: python bench/bench_page.py [--reps 10] [--runs 3]
Reported as ratios on one machine, never asserted in tests.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from sim.cli.serve import default_processes
from sim.serve.app import create_app

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "http://127.0.0.1:8050"


def _client(processes: int, work_dir: Path) -> TestClient:
    client = TestClient(create_app([ROOT / "scenarios"], work_dir=work_dir, processes=processes), base_url=ORIGIN)
    client.__enter__()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert token is not None
    client.headers.update({"Origin": ORIGIN, "X-CSRF-Token": token.group(1)})
    return client


def _what_if(client: TestClient, reps: int) -> tuple[float, str]:
    """Seconds from Run to results of a department what-if (coders +1), and its summary as CSV text."""
    started = time.perf_counter()
    answer = client.post("/runs", data={"scenario": "bundled:department", "reps": str(reps), "coders.count": "4"})
    job_id = answer.json()["id"]
    while (state := client.get(f"/runs/{job_id}").json())["status"] in ("queued", "running"):
        time.sleep(0.05)
    if state["status"] != "done":
        raise SystemExit(f"the run ended {state['status']}: {state['error']}")
    seconds = time.perf_counter() - started
    return seconds, client.app.state.jobs.get(job_id).result.results.summary.to_csv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="replications of the department and its what-if")
    parser.add_argument("--runs", type=int, default=3, help="what-if runs per server")
    args = parser.parse_args()
    times: dict[int, list[float]] = {}
    summaries = set()
    with tempfile.TemporaryDirectory() as tmp:
        for processes in (1, default_processes()):
            client = _client(processes, Path(tmp) / str(processes))
            try:
                for _ in range(args.runs):
                    seconds, summary = _what_if(client, args.reps)
                    times.setdefault(processes, []).append(seconds)
                    summaries.add(summary)
            finally:
                client.__exit__(None, None, None)
    if len(summaries) != 1:
        raise SystemExit("the runs' summaries differ")
    one = min(times[1][1:] or times[1])
    print(f"department what-if, {args.reps} replications of the scenario and of its change, same tables every run")
    for processes, seconds in times.items():
        later = min(seconds[1:] or seconds)
        print(f"--processes {processes:<3} first run {seconds[0]:5.1f} s, later runs {later:5.1f} s "
              f"({one / later:.2f}× one process)")


if __name__ == "__main__":
    main()
