"""The scenarios the page offers: bundled, fitted and uploaded.

Bundled scenarios are the ``*.yaml`` files of the folders the server was
started with (by default the repository's ``scenarios/``); a file written by
``chartsim fit`` (its values carry ``# FITTED:`` comments) is listed as
fitted. An upload is written to the server's own folder and read by
``load_scenario`` like any file, so it is refused with the same one-line
error as ``chartsim check`` — only the server's folder is left out of it.
An upload's ``extends:`` may name only a scenario the page offers (bundled
or given with ``--scenarios``), by its file name: never a path, so an upload
cannot make the server read, or echo, any other file on its disk.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from sim.scenario import bundled
from sim.scenario.config import Scenario, load_scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import MAX_BYTES, YamlRefused

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
    """The bundled scenarios, wherever chartsim is installed (a wheel ships them as package data)."""
    return [bundled.folder()]


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

    def _offered(self) -> dict[str, Path]:
        """The files an upload may extend, by file name and by name without .yaml (never uploads)."""
        out: dict[str, Path] = {}
        for e in self.entries():
            if e.group != "uploaded":
                out.setdefault(e.path.name, e.path)
                out.setdefault(e.path.stem, e.path)
        return out

    def _parent(self, name: str) -> Path:
        """The offered scenario an upload's ``extends:`` names; anything else refused without echoing it."""
        offered = self._offered()
        if name in offered:
            return offered[name]
        names = sorted({p.name for p in offered.values()})
        shown = ", ".join(names[:12]) + (", …" if len(names) > 12 else "")
        raise YamlRefused(f"an uploaded scenario may extend only a scenario offered on this page, by its file name "
                          f"({shown or 'none offered'}); not a path or any other file")

    def _read(self, entry: Entry) -> Scenario:
        if entry.group != "uploaded":
            return load_scenario(entry.path)
        try:
            return load_scenario(entry.path, extends=self._parent)
        except ScenarioError as exc:  # the user's file name, not the server's folders
            text = str(exc).replace(str(entry.path), entry.label).replace(f"{entry.path.parent}/", "")
            for path in set(self._offered().values()):
                text = text.replace(str(path), path.name)
            raise ScenarioError(text) from None

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
