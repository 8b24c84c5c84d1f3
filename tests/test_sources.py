"""The bundled scenarios cite their documented numbers from docs/sources.md, inside the repository."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import sim
from sim.report.inputs import SOURCES_DOC, inputs_table

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
SOURCES_MD = ROOT / "docs" / "sources.md"
CITATION = re.compile(r"docs/sources\.md#([A-Za-z0-9_-]+)")
ANCHOR = re.compile(r"""<a\s+id=["']([^"']+)["']""")


def anchors(markdown: str) -> set[str]:
    """The anchors a link into the file can name: explicit ``<a id=…>`` and heading slugs."""
    found = set(ANCHOR.findall(markdown))
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, re.M):
        found.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", heading.strip().lower())))
    return found


def is_documented(text: str) -> bool:
    """'documented: …', 'documented in part: …', 'documented in shape (…)' — not 'assumption: …'."""
    return text.strip().lower().startswith("documented")


def citation_problems(sources: dict[str, str], known: set[str]) -> list[str]:
    """What is wrong with a scenario's source texts: uncited documented values, unknown anchors."""
    problems = []
    for path, text in sources.items():
        cited = CITATION.findall(text)
        if is_documented(text) and not cited:
            problems.append(f"{path}: documented but cites no {SOURCES_DOC}#ID: {text!r}")
        problems += [f"{path}: {SOURCES_DOC}#{a} does not exist" for a in cited if a not in known]
    return problems


@pytest.fixture(scope="module")
def known() -> set[str]:
    return anchors(SOURCES_MD.read_text(encoding="utf-8"))


def test_bundled_scenarios_exist() -> None:
    assert len(BUNDLED) >= 5


def test_no_scenario_points_outside_the_repository() -> None:
    files = [p for p in SCENARIOS.rglob("*") if p.is_file()]
    assert files
    offenders = [p.name for p in files if "../shared" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_sources_md_is_self_contained_and_its_ids_unique() -> None:
    text = SOURCES_MD.read_text(encoding="utf-8")
    assert "shared/domain.md" not in text and "../shared" not in text
    ids = Counter(ANCHOR.findall(text))
    assert [i for i, n in ids.items() if n > 1] == []
    assert {"S1", "S2", "S14", "S21", "S22", "S30", "S31", "A1", "A13"} <= set(ids)
    assert "## Assumptions" in text


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_documented_sources_cite_sources_md(path: Path, known: set[str]) -> None:
    """Each file's own `sources:` texts, and the resolved scenario's (with `extends` merged)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    own = raw.get("sources") or {}
    assert own, f"{path.name} has no sources"
    assert citation_problems(own, known) == []
    assert citation_problems(sim.load_scenario(path).sources, known) == []


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_cited_anchor_exists(path: Path, known: set[str]) -> None:
    """Comments included: every docs/sources.md#ID anywhere in the file names an entry."""
    cited = CITATION.findall(path.read_text(encoding="utf-8"))
    assert cited
    assert sorted(set(cited) - known) == []


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_scenario_still_loads(path: Path) -> None:
    assert isinstance(sim.load_scenario(path), sim.Scenario)


def test_checker_catches_bad_citations(known: set[str]) -> None:
    assert citation_problems({"a": "documented: 15–20 min (docs/sources.md#S1)"}, known) == []
    assert citation_problems({"a": "assumption: 10 %"}, known) == []
    assert citation_problems({"a": "documented: 15–20 min (see ../shared/domain.md)"}, known)
    assert citation_problems({"a": "documented in shape (two breaks); times assumed"}, known)
    assert citation_problems({"a": "documented: x (docs/sources.md#S999)"}, known)
    assert citation_problems({"a": "assumption: y (docs/sources.md#no-such-anchor)"}, known)
    assert {"coding-time-per-chart-type", "assumptions", "S1", "A1"} <= known
    assert "S999" not in known


def test_report_inputs_say_where_the_sources_are() -> None:
    raw = sim.load_scenario(SCENARIOS / "baseline.yaml").model_dump(mode="json")
    last = inputs_table(raw)[-1]
    assert last.status == "reference" and SOURCES_DOC in last.source and "chartsim repository" in last.source
    raw["sources"] = {"arrivals.mix": "assumption: my own guess"}
    assert all(r.status != "reference" for r in inputs_table(raw))
