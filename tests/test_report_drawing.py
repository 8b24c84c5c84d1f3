"""Drawing the report's figures: the PNGs are matplotlib's pixels, and two processes make the same report as one."""

from __future__ import annotations

import base64
import io
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import sim
import sim.report.aside as aside
from sim.report import build_report, figure_steps, load_run, plots_for
from sim.report.figures import DPI, Plot, new_figure, to_png
from sim.report.plots import forest
from sim.runs.write import write_run
from sim.scenario.config import parse_scenario
from sim.scenario.whatifs import set_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-week run with two what-ifs: every figure applies."""
    raw = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(mode="json")
    raw.update(name="two weeks", days=14, warmup_days=2)
    set_path(raw, "coders.count", 3)
    raw["variants"] = {
        "four coders": {"description": "a fourth coder", "set": {"coders.count": 4}},
        "CAC": {"description": "outpatient 30 % faster", "set": {"chart_types.outpatient.coding_time.scale": 0.7}},
    }
    out = tmp_path_factory.mktemp("drawing") / "run"
    write_run(sim.run(parse_scenario(raw), reps=3, seed=5), out)
    return out


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_png_holds_the_pixels_savefig_would_write() -> None:
    """One draw (layout and render together) and an RGB PNG: the same image as ``savefig`` at the same dpi."""
    def figure():
        fig = new_figure(6, 3)
        axes = fig.subplots(1, 2)
        axes[0].errorbar([1, 2, 3], [3, 1, 2], xerr=[[0.2, 0.3, 0.1], [0.4, 0.1, 0.2]], fmt="o", capsize=3)
        axes[1].barh([0, 1], [5, 7], label="a bar")
        axes[1].set_yticks([0, 1], ["a long variant name", "base"])
        axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.suptitle("a title over both panels")
        return fig

    buf = io.BytesIO()
    figure().savefig(buf, format="png", dpi=DPI)
    ours = base64.b64decode(to_png(figure()))
    assert Image.open(io.BytesIO(ours)).mode == "RGB"
    np.testing.assert_array_equal(_pixels(ours), _pixels(buf.getvalue()))


def test_forest_draws_rows_with_and_without_an_interval() -> None:
    """Rows are drawn a colour at a time; a row without a CI is a dot, and the figure still reads the same."""
    comparison = pd.DataFrame({
        "variant": ["a", "b", "c", "a", "b", "c"],
        "metric": ["charts_per_coder_day"] * 3 + ["backlog_end"] * 3,
        "difference": [1.0, -0.5, 0.2, 0.01, 0.02, -0.03],
        "ci_low": [0.5, -1.0, np.nan, 0.0, 0.01, -0.05],
        "ci_high": [1.5, 0.1, np.nan, 0.02, 0.03, -0.01],
        "confidence": 0.95,
        "significant": [True, False, False, False, True, True],
    })
    plot = forest(comparison)
    assert plot.drawn and "3 of 6 variant effects" in plot.reading
    assert Image.open(io.BytesIO(base64.b64decode(plot.png))).size[0] > 500


def test_forest_panels_share_one_variant_axis_named_on_the_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variants stand in one order on every panel, named once a row, also when a comparison is untidy.

    Unlike the comparisons a run writes, this one lists each metric's variants in another order and one
    variant lacks a metric (a variant that turns a section on reports metrics the others do not): the
    panels still share one axis in the order variants first appear, named in the left column only.
    """
    import sim.report.plots as plots

    comparison = pd.DataFrame({
        "variant": ["a", "b", "c", "c", "a", "b", "a"],
        "metric": ["charts_per_coder_day"] * 3 + ["backlog_end"] * 3 + ["cost_per_chart"],
        "difference": [1.0, -0.5, 0.2, 0.01, 0.02, -0.03, 0.05],
        "ci_low": [0.5, -1.0, 0.1, 0.0, 0.01, -0.05, 0.01],
        "ci_high": [1.5, 0.1, 0.3, 0.02, 0.03, -0.01, 0.09],
        "confidence": 0.95,
        "significant": [True, False, True, False, True, True, True],
    })
    drawn = []
    monkeypatch.setattr(plots, "to_png", lambda fig: drawn.append(fig) or "")
    forest(comparison)
    axes = [ax for ax in drawn[0].axes if ax.get_visible()]
    assert len(axes) == 3
    first = axes[0]
    for ax in axes:
        assert ax.get_shared_y_axes().joined(first, ax) and list(ax.get_yticks()) == [2, 1, 0]
        names = [t.get_text() for t in ax.get_yticklabels() if t.get_visible()]
        # a on top: the order variants first appear in; named once a row, in the left column
        assert names == (["a", "b", "c"] if ax.get_subplotspec().is_first_col() else [])

def test_two_processes_make_the_same_report_as_one(folder: Path, tmp_path: Path) -> None:
    """Every figure, in the same order, with the same pixels; the same page and workbook."""
    alone = [p.png for p in plots_for(load_run(folder))]
    build_report(folder, processes=2)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert all(png in page for png in alone if png)
    steps = figure_steps(load_run(folder))
    assert [p.png for p in aside.draw_steps(steps, processes=2)] == alone
    two = pd.read_excel(folder / "results.xlsx", sheet_name=None)
    build_report(folder, processes=1)
    assert (folder / "report.html").read_text(encoding="utf-8") == page
    one = pd.read_excel(folder / "results.xlsx", sheet_name=None)
    assert one.keys() == two.keys() and all(one[name].equals(two[name]) for name in one)


def _steps(parent: int, aside_does=None) -> list:
    """Five figures titled by the process that drew them; in the child each first does ``aside_does``."""
    def step(i: int):
        def draw() -> list[Plot]:
            if os.getpid() != parent and aside_does is not None:
                aside_does()
            return [Plot(key=str(i), title=str(os.getpid()))]
        return draw
    return [step(i) for i in range(5)]


def test_the_child_takes_figures_while_this_process_is_busy() -> None:
    """While this process writes the workbook the child takes the next figures; the order is the reading order."""
    got = aside.draw_steps(_steps(os.getpid()), processes=2, meanwhile=lambda: time.sleep(1))
    assert [p.key for p in got] == ["0", "1", "2", "3", "4"]
    assert {p.title for p in got} - {str(os.getpid())}  # some were drawn aside


@pytest.mark.parametrize("trouble", ["fails", "dies", "stalls"])
def test_figures_the_child_does_not_deliver_are_drawn_here(trouble: str, tmp_path: Path, monkeypatch) -> None:
    """A child that raises, exits or stops answering costs time, never a figure or the order of the figures."""
    monkeypatch.setattr(aside, "PATIENCE", (0.0, 1.0))
    took = tmp_path / "the child took a figure"
    does = {"fails": lambda: 1 / 0, "dies": lambda: os._exit(3), "stalls": lambda: time.sleep(120)}[trouble]
    got = aside.draw_steps(_steps(os.getpid(), lambda: (took.touch(), does())), processes=2,
                           meanwhile=lambda: time.sleep(0.5))
    assert took.exists()
    assert [p.key for p in got] == ["0", "1", "2", "3", "4"] and {p.title for p in got} == {str(os.getpid())}


def test_a_figure_that_fails_raises_as_it_would_in_one_process() -> None:
    def broken() -> list[Plot]:
        raise ValueError("this figure cannot be drawn")

    steps = [lambda: [Plot(key="a", title="a")], broken, lambda: [Plot(key="c", title="c")]]
    with pytest.raises(ValueError, match="cannot be drawn"):
        aside.draw_steps(steps, processes=2)


def test_meanwhile_runs_once_with_or_without_a_child() -> None:
    ran: list[int] = []
    steps = [lambda: [Plot(key="a", title="a")], lambda: [Plot(key="b", title="b")]]
    for processes in (1, 2):
        assert [p.key for p in aside.draw_steps(steps, processes, meanwhile=lambda: ran.append(os.getpid()))] == [
            "a", "b"]
    assert ran == [os.getpid(), os.getpid()]


def test_without_shared_memory_every_figure_is_drawn_here(monkeypatch) -> None:
    """A container with no /dev/shm (no shared counter to be had) still gets its report, from one process."""
    def no_shared_memory(self, *args, **kwargs):
        raise FileNotFoundError("/dev/shm")

    monkeypatch.setattr(type(aside.multiprocessing.get_context("fork")), "Value", no_shared_memory)
    got = aside.draw_steps(_steps(os.getpid()), processes=2, meanwhile=lambda: time.sleep(0.5))
    assert [p.key for p in got] == ["0", "1", "2", "3", "4"] and {p.title for p in got} == {str(os.getpid())}
