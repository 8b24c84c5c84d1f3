"""Every bundled scenario writes the same run folder it wrote before.

The digests in ``tests/golden/run_digests.json`` are SHA-256 hashes of each
file a tiny ``chartsim run`` writes (seed 7, one or two replications), taken
before the package was regrouped (issue 20). The manifest's volatile fields
(wall time, library versions, machine) are left out. A changed digest means a
bundled scenario's numbers or files changed: intended changes regenerate them
with ``python tests/test_golden_runs.py --write`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "run_digests.json"
VOLATILE = ("wall_seconds", "versions", "machine")
REPS = {"baseline": 2, "inpatient_heavy": 2, "production": 2, "slow_queries": 1, "department": 1, "department_year": 1,
        "monday": 1, "department_plan": 1}


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file in a run folder, the manifest without its volatile fields."""
    out = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "manifest.json":
            manifest = {k: v for k, v in json.loads(data).items() if k not in VOLATILE}
            data = json.dumps(manifest, sort_keys=True).encode()
        out[path.relative_to(folder).as_posix()] = hashlib.sha256(data).hexdigest()
    return out


def run_folder(name: str, folder: Path) -> dict[str, str]:
    """Run one bundled scenario into ``folder`` as the CLI does and digest it."""
    scenario = ROOT / "scenarios" / f"{name}.yaml"
    # One worker, as the digests were taken: the manifest records the count, which --workers auto takes from the
    # machine (every other file is the same whatever the count: tests/test_reproducible.py)
    args = ["run", str(scenario), "--reps", str(REPS[name]), "--seed", "7", "--out", str(folder), "--workers", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return digests(folder)


def test_every_bundled_scenario_has_a_golden_run() -> None:
    """A scenario added to scenarios/ is guarded too: it needs its replications here and its digests."""
    bundled = {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert bundled == set(REPS) == set(json.loads(GOLDEN.read_text()))


@pytest.mark.parametrize("name", sorted(REPS))
def test_bundled_scenario_run_folder_unchanged(name: str, tmp_path: Path) -> None:
    """The run folder's files hash to the digests stored before the regroup."""
    expected = json.loads(GOLDEN.read_text())[name]
    assert run_folder(name, tmp_path / name) == expected


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = {name: run_folder(name, Path(tmp) / name) for name in sorted(REPS)}
    GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
