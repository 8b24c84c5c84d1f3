"""The scenarios that come with chartsim, found by name wherever chartsim is installed.

In a source checkout they are the repository's ``scenarios/`` folder; the
wheel ships the same files as the package data ``sim.scenarios`` (see
pyproject.toml), read with :mod:`importlib.resources`. ``chartsim run
baseline`` names one; ``chartsim scenarios copy`` starts a user's own from
one, with the files it ``extends:`` copied alongside.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import yaml

from sim.scenario.errors import ScenarioError

SUFFIX = ".yaml"


def folder() -> Path:
    """The folder of bundled scenario files: the installed package data, else the checkout's ``scenarios/``."""
    packaged = resources.files("sim") / "scenarios"  # in a source checkout there is none: only a wheel has it
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "scenarios"


def names() -> list[str]:
    """Every bundled scenario's name (its file name without ``.yaml``), sorted."""
    return sorted(p.stem for p in folder().glob(f"*{SUFFIX}") if p.is_file())


def path(name: str) -> Path:
    """The file of the bundled scenario ``name``; a one-line ScenarioError naming the others if there is none."""
    file = folder() / f"{name}{SUFFIX}"
    if name in names():
        return file
    raise ScenarioError(f"{name}: no such file, and no bundled scenario of that name "
                        f"(bundled: {', '.join(names())}; list them with chartsim scenarios)")


def resolve(argument: Path | str) -> Path:
    """A scenario argument as a file: an existing path as given, else a bundled scenario's name (``baseline``)."""
    given = Path(argument)
    if given.exists() or given.suffix or len(given.parts) != 1:
        return given
    return path(given.name)


def description(name: str) -> str:
    """The first sentence of a bundled scenario's ``description`` (its own, or the one it extends)."""
    file = path(name)
    while True:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        text = " ".join(str(data.get("description") or "").split())
        if text or not data.get("extends"):
            break
        file = file.parent / str(data["extends"])
    first = text.split(". ")[0]
    return first if not first or first[-1] in ".?!" else first + "."


def copy(name: str, dest: Path, force: bool = False) -> list[Path]:
    """Copy bundled scenario ``name`` to ``dest``, with each file it extends and the CSV files they name; the files written.

    A file it extends that is already beside ``dest`` with the same content
    is left alone; one with other content is refused (``force`` overwrites
    both). The copy's own ``extends:`` keeps naming the file beside it.
    """
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"{name}{SUFFIX}"
    plan: list[tuple[Path, Path]] = [(path(name), dest)]
    source = plan[0][0]
    for _ in range(5):  # the loader follows extends: at most 5 deep
        parent = (yaml.safe_load(source.read_text(encoding="utf-8")) or {}).get("extends")
        if not parent:
            break
        source = source.parent / str(parent)
        plan.append((source, dest.parent / str(parent)))
    for src, out in list(plan):  # the CSV files each names (a starting state), beside it as named
        plan += [(src.parent / name, out.parent / name) for name in _named_files(src)]
    for _, out in plan[1:]:  # the copy would be overwritten by a file it needs, of the same name
        if out.resolve() == dest.resolve():
            raise ScenarioError(f"{dest}: {name} extends or names a file called {out.name}, which is copied beside "
                                "it; choose another name for the copy")
    for i, (src, out) in enumerate(plan):
        if out.exists() and not force and (i == 0 or out.read_bytes() != src.read_bytes()):
            why = "exists" if i == 0 else f"exists and differs from the bundled {src.name} that {name} needs"
            raise ScenarioError(f"{out}: {why}; choose another path or add --force")
    written = []
    if not dest.parent.is_dir():
        raise ScenarioError(f"{dest.parent}: no such folder")
    for src, out in plan:
        if not out.exists() or out.read_bytes() != src.read_bytes():
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
            written.append(out)
    return written


def _named_files(scenario: Path) -> list[str]:
    """The relative CSV paths a bundled scenario file names (sim.scenario.state)."""
    from sim.scenario.state import named_files

    return [name for name in named_files(yaml.safe_load(scenario.read_text(encoding="utf-8")) or {})
            if not Path(name).is_absolute() and ".." not in Path(name).parts]
