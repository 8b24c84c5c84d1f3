"""The scenarios the page offers: bundled, fitted and uploaded.

Bundled scenarios are the ``*.yaml`` files of the folders the server was
started with (by default the repository's ``scenarios/``); a file written by
``chartsim fit`` (its values carry ``# FITTED:`` comments) is listed as
fitted. An upload is written to the server's own folder and read by
``load_scenario`` like any file, so it is refused with the same one-line
error as ``chartsim check`` — only the server's folder is left out of it.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from sim.scenario.config import Scenario, load_scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import MAX_BYTES

FITTED_MARK = "# FITTED:"
MAX_UPLOADS = 50  # uploads kept; the oldest is forgotten first


@dataclass(frozen=True)
class Entry:
    """One scenario the page can start from."""

    id: str
    label: str
    group: str  # bundled | fitted | uploaded
    path: Path


def default_folders() -> list[Path]:
    """The repository's scenarios/ folder (beside the package), else ./scenarios."""
    here = Path(__file__).resolve().parents[2] / "scenarios"
    return [here if here.is_dir() else Path("scenarios")]


def _safe_name(name: str) -> str:
    """An uploaded file's name reduced to a plain file name (no folders, no odd characters)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "scenario.yaml").name).strip("._") or "scenario.yaml"
    return base[:80]


class Catalog:
    """Scenario files by id; uploads are kept in ``upload_dir``."""

    def __init__(self, folders: list[Path], upload_dir: Path) -> None:
        self.upload_dir = upload_dir
        self._entries: dict[str, Entry] = {}
        self._uploads: list[str] = []
        self._lock = threading.Lock()
        for folder in folders:
            files = [folder] if folder.is_file() else sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
            for path in files:
                try:
                    fitted = FITTED_MARK in path.read_text(encoding="utf-8", errors="replace")[:MAX_BYTES]
                except OSError:
                    continue
                group = "fitted" if fitted else "bundled"
                key = f"{group}:{path.stem}"
                while key in self._entries:
                    key += "_"
                self._entries[key] = Entry(key, path.stem, group, path)

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries.values())

    def get(self, key: str) -> Entry | None:
        with self._lock:
            return self._entries.get(key)

    def load(self, key: str) -> Scenario:
        """The scenario of an entry; a ScenarioError (one line) if it is unknown or no longer valid."""
        entry = self.get(key)
        if entry is None:
            raise ScenarioError(f"scenario: no scenario called {key!r} here; pick one from the list or upload a file")
        return self._read(entry)

    def _read(self, entry: Entry) -> Scenario:
        try:
            return load_scenario(entry.path)
        except ScenarioError as exc:
            if entry.group == "uploaded":  # the user's file name, not the server's folder
                text = str(exc).replace(str(entry.path), entry.label).replace(f"{entry.path.parent}/", "")
                raise ScenarioError(text) from None
            raise

    def upload(self, filename: str, data: bytes) -> tuple[Entry, Scenario]:
        """Check an uploaded file as the loader checks any file; kept and listed only when valid."""
        name = _safe_name(filename)
        if len(data) > MAX_BYTES:
            raise ScenarioError(f"{name}: the file is over {MAX_BYTES:,} bytes; a scenario must be at most "
                                f"{MAX_BYTES:,} bytes")
        token = secrets.token_hex(6)
        folder = self.upload_dir / token
        folder.mkdir(parents=True)
        path = folder / name
        path.write_bytes(data)
        entry = Entry(f"uploaded:{token}", name, "uploaded", path)
        try:
            scenario = self._read(entry)
        except ScenarioError:
            path.unlink(missing_ok=True)
            folder.rmdir()
            raise
        with self._lock:
            self._entries[entry.id] = entry
            self._uploads.append(entry.id)
            while len(self._uploads) > MAX_UPLOADS:
                self._entries.pop(self._uploads.pop(0), None)
        return entry, scenario
