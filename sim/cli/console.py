"""Console tables of ``chartsim``: summary, comparison, precision, metrics list (staffing: sim.cli.staffing).

Every table reads the metric registry (:mod:`sim.runs.registry`) for which metrics
to show, their units and their number format (``registry.fmt``: dollars to
cents, shares as %, never scientific notation), so the console matches the
report and the workbook.

Each table is a :class:`Fit`: it lays itself out for the width it is printed
at — all columns when they fit, fewer when not, then a narrower name column
with a longer name on a line of its own, and in a very narrow terminal one
block per row — so a metric or variant name is never cut or wrapped
mid-word, in an 80-column terminal or in a file (80 columns, or
``COLUMNS``, when stdout is not a terminal). A count-like metric (``Metric.count``) never shows a negative lower
confidence bound: it is shown as 0 with a footnote, as is a share's bound
beyond 0 % or 100 %.

Names reach the terminal from scenario files and run folders, which may come
from anyone: every name is passed through :func:`terminal_safe`, and the
consoles :func:`make_console` returns do the same to every string they are
given, so a name can never send the terminal a control sequence.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.errors import MarkupError
from rich.markup import escape
from rich.padding import Padding
from rich.progress import ProgressColumn, Task
from rich.table import Table
from rich.text import Text

from sim.runs.registry import (
    METRICS,
    OPTIONAL_METRICS,
    fmt,
    interval,
    metrics_for,
    missing,
    notes_for,
    scenario_metrics,
    type_metric,
    unit_label,
)

WIDTH = 80  # columns when stdout is not a terminal and COLUMNS is not set
GAP = 2  # spaces between table columns
MIN_NAME = 16  # narrowest a name column is squeezed to (longer names get a line of their own)
Cell = str | Text
# C0 controls (ESC, BEL, CR, backspace…), DEL, C1 controls (U+009B is a one-character CSI), the
# line and paragraph separators, and the bidirectional marks and overrides that reorder a line.
_OTHERS = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
UNSAFE_INLINE = re.compile(rf"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # keeps tab and newline


def terminal_safe(text: object, lines: bool = False) -> str:
    """``text`` fit to show on a terminal: each control character written as an escape such as ``\\x1b``.

    A name holding ESC could recolour the terminal, retitle its window or
    move the cursor over earlier output; BEL rings; a bidirectional override
    makes a name read backwards. Escaped, the name stays visible and can be
    told apart from the one it pretends to be. A name is one line, so newlines
    and tabs are escaped too, unless ``lines`` keeps them (a message of our own).
    """
    pattern = UNSAFE_INLINE if lines else UNSAFE
    return pattern.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(text))


def markup_safe(text: object) -> str:
    """``text`` to put inside a Rich markup string: control characters escaped and ``[`` not read as a tag."""
    return escape(terminal_safe(text))


def _safe_text(text: Text) -> Text:
    """A styled cell with its control characters escaped (the style of the whole cell is kept)."""
    return text if not UNSAFE.search(text.plain) else Text(terminal_safe(text.plain), style=text.style)


class SafeConsole(Console):
    """A console that escapes control characters in every string it prints (see :func:`terminal_safe`).

    Messages are written as f-strings that hold names; escaping here covers
    every one of them. Markup (``[bold]``) is left as it is: a name belongs in
    markup through :func:`markup_safe`. One that was not, and breaks the markup
    (``[/]``), is printed without markup rather than ending the command.
    """

    def print(self, *objects: object, **kwargs: object) -> None:  # type: ignore[override]
        safe = [terminal_safe(o, lines=True) if isinstance(o, str) else o for o in objects]
        try:
            super().print(*safe, **kwargs)  # type: ignore[arg-type]
        except MarkupError:
            super().print(*safe, **{**kwargs, "markup": False})  # type: ignore[arg-type]


def make_console(stderr: bool = False) -> Console:
    """A console as wide as the terminal; 80 columns (or ``COLUMNS``) when the output is a file or a pipe."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return SafeConsole(stderr=stderr)
    columns = os.environ.get("COLUMNS", "")
    return SafeConsole(stderr=stderr, width=int(columns) if columns.isdigit() and int(columns) > 0 else WIDTH)


# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Col:
    """One column: a name column (metric, variant) is left-aligned and never cut."""

    header: str
    name: bool = False


class Fit:
    """A table that fits the width it is printed at, without cutting or wrapping any cell.

    ``layouts`` lists the column sets to try, richest first (indices into
    ``columns``). The first whose natural width fits is drawn. Failing that,
    the leanest is drawn with its widest name column narrowed: a longer name
    gets a line of its own, its numbers on the line below. Failing that too
    (a very narrow terminal), each row becomes a block: its names on one
    line, then ``header value`` pairs wrapped between pairs, never inside one.
    """

    def __init__(
        self,
        title: str,
        columns: Sequence[Col],
        rows: Sequence[Sequence[Cell]],
        layouts: Sequence[Sequence[int]] | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        self.title = terminal_safe(title)
        self.columns = list(columns)
        self.rows = [[_safe_text(c) if isinstance(c, Text) else Text(terminal_safe(c)) for c in r] for r in rows]
        self.layouts = [list(x) for x in layouts] if layouts else [list(range(len(self.columns)))]
        self.notes = [terminal_safe(n) for n in notes]

    # -- planning

    def widths(self, keep: Sequence[int]) -> list[int]:
        """Natural width of each kept column: its header or its widest cell."""
        return [max([cell_len(self.columns[i].header)] + [r[i].cell_len for r in self.rows]) for i in keep]

    def natural(self, layout: int) -> int:
        keep = self.layouts[layout]
        return sum(self.widths(keep)) + GAP * (len(keep) - 1)

    def squeeze(self, layout: int, width: int) -> tuple[int, int] | None:
        """(column position, width) narrowing the widest name column so ``layout`` fits; None if it cannot."""
        keep = self.layouts[layout]
        w = self.widths(keep)
        names = [j for j, i in enumerate(keep) if self.columns[i].name]
        if not names:
            return None
        j = max(names, key=lambda k: w[k])
        room = width - (self.natural(layout) - w[j])
        return (j, room) if room >= max(MIN_NAME, cell_len(self.columns[keep[j]].header)) else None

    def plan(self, width: int, layouts: Sequence[int] | None = None) -> tuple[int | None, tuple[int, int] | None]:
        """(layout, squeeze) for ``width``: the richest natural fit, else the leanest squeezed, else (None, None)."""
        order = list(range(len(self.layouts))) if layouts is None else list(layouts)
        for i in order:
            if self.natural(i) <= width:
                return i, None
        lean = order[-1]
        squeeze = self.squeeze(lean, width)
        return (lean, squeeze) if squeeze is not None else (None, None)

    # -- drawing

    def render(self, layout: int | None, squeeze: tuple[int, int] | None, width: int) -> RenderResult:
        if self.title:
            yield Text(self.title, style="bold")
        if layout is None:
            yield from self._blocks(width)
        else:
            yield from self._table(self.layouts[layout], squeeze)
        for note in self.notes:
            yield Text(note, style="dim")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.render(*self.plan(options.max_width), options.max_width)

    def _line(self, keep: Sequence[int], w: Sequence[int], cells: Sequence[Text]) -> Text:
        line = Text(no_wrap=True)
        for j, (i, cell) in enumerate(zip(keep, cells)):
            if j:
                line.append(" " * GAP)
            pad = " " * max(0, w[j] - cell.cell_len)
            last = j == len(keep) - 1
            if self.columns[i].name:
                line.append_text(cell)
                if not last:
                    line.append(pad)
            else:
                line.append(pad)
                line.append_text(cell)
        return line

    def _table(self, keep: Sequence[int], squeeze: tuple[int, int] | None) -> RenderResult:
        w = self.widths(keep)
        if squeeze is not None:
            w[squeeze[0]] = squeeze[1]
        yield self._line(keep, w, [Text(self.columns[i].header, style="bold") for i in keep])
        yield Text("─" * (sum(w) + GAP * (len(keep) - 1)), style="dim")
        for row in self.rows:
            cells = [row[i] for i in keep]
            if squeeze is not None and cells[squeeze[0]].cell_len > w[squeeze[0]]:
                yield Text.assemble(cells[squeeze[0]], no_wrap=True)  # the long name alone, its numbers below
                cells[squeeze[0]] = Text("")
            yield self._line(keep, w, cells)

    def _blocks(self, width: int) -> RenderResult:
        names = [i for i, c in enumerate(self.columns) if c.name]
        values = [i for i, c in enumerate(self.columns) if not c.name]
        for row in self.rows:
            yield Text("  ").join(row[i] for i in names) if names else Text("")
            line = Text("   ")
            for i in values:
                pair = Text.assemble(Text(self.columns[i].header, style="dim"), " ", row[i])
                if line.cell_len > 3 and line.cell_len + 3 + pair.cell_len > width:
                    yield line
                    line = Text("   ")
                line.append_text(Text("   ") if line.cell_len > 3 else Text(""))
                line.append_text(pair)
            if line.cell_len > 3:
                yield line


class Fits:
    """Several tables with the same columns (one per variant), drawn alike: the richest layout that fits them all."""

    def __init__(self, head: Sequence[RenderableType], fits: Sequence[Fit], tail: Sequence[RenderableType] = ()) -> None:
        self.head, self.fits, self.tail = list(head), list(fits), list(tail)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.head
        width = options.max_width
        if self.fits:
            n = len(self.fits[0].layouts)
            common = [i for i in range(n) if all(f.natural(i) <= width for f in self.fits)]
            for f in self.fits:
                if common:
                    yield from f.render(common[0], None, width)
                else:
                    yield from f.render(*f.plan(width, [n - 1]), width)
        yield from self.tail


# ---------------------------------------------------------------- numbers


def _present(frame, names: Iterable[str]) -> list[str]:
    have = set(frame["metric"])
    return [m for m in names if m in have]


# ---------------------------------------------------------------- run


def summary_table(results, variant: str = "base") -> Fit:
    """The headline metrics of one variant: mean, 95 % CI, sd and percentiles across replications."""
    s = results.summary.loc[results.summary["variant"] == variant].set_index("metric")
    name = results.scenario.name if variant == "base" else variant
    title = f"{name} — {results.reps} replications, seed {results.seed}"
    cols = [Col("metric", name=True), Col("unit"), Col("mean"), Col("95% CI"), Col("sd"),
            Col("p5"), Col("p50"), Col("p95")]
    rows, marks = [], set()
    for metric in [m.name for m in scenario_metrics(results.scenario) if m.headline]:
        if metric not in s.index or missing(s.at[metric, "mean"]):
            continue
        r = s.loc[metric]
        ci, m = interval(float(r["ci_low"]), float(r["ci_high"]), metric)
        marks |= m
        rows.append([metric, unit_label(metric), fmt(r["mean"], metric), ci, fmt(r["sd"], metric),
                     fmt(r["p5"], metric), fmt(r["p50"], metric), fmt(r["p95"], metric)])
    notes = [*notes_for(marks),
             "mean over replications with its 95% CI (Student t); sd and percentiles (where shown) across "
             "replications; every metric: summary.csv (chartsim metrics explains each)"]
    layouts = [range(8), [0, 2, 3, 4, 5, 6, 7], [0, 2, 3, 5, 7], [0, 2, 3]]
    return Fit(title, cols, rows, layouts, notes)


def comparison_table(results) -> Fits:
    """Each variant against the base: headline metrics, difference and its (Bonferroni-adjusted) CI."""
    c = results.comparison
    how = "paired, common random numbers" if results.streams == "common" else "Welch, independent streams"
    level = float(c["confidence"].iloc[0]) if "confidence" in c and len(c) else 0.95
    heading = Text(f"Variants against the base ({how}; {level:.1%} intervals, Bonferroni-adjusted)", style="bold")
    names = _present(c, [m.name for m in scenario_metrics(results.scenario) if m.headline])
    parts: list[Fit] = []
    cols = [Col("metric", name=True), Col("base"), Col("variant"), Col("difference"), Col(f"{level:.1%} CI"),
            Col("differs")]
    for variant in dict.fromkeys(c["variant"]):
        v = c.loc[c["variant"] == variant].set_index("metric")
        rows = []
        for metric in names:
            if metric not in v.index:
                continue
            r = v.loc[metric]
            ci, _ = interval(float(r["ci_low"]), float(r["ci_high"]), metric, signed=True)
            differs = Text("yes", style="bold red") if bool(r["significant"]) else Text("no")
            rows.append([metric, fmt(r["base_mean"], metric), fmt(r["variant_mean"], metric),
                         fmt(r["difference"], metric, signed=True), ci, differs])
        parts.append(Fit(str(variant), cols, rows, [range(6), [0, 1, 3, 4, 5], [0, 3, 4, 5]]))
    tail = Text("difference = variant − base (shares in percentage points); every metric: comparison.csv",
                style="dim")
    return Fits([heading], parts, [tail])


def precision_table(results) -> Fits:
    """Replications each metric needed to reach the precision asked for, one table per variant."""
    p = results.precision
    assert p is not None
    has_rule = "criterion" in p
    cols = [Col("metric", name=True), Col("reps needed"), Col("mean"), Col("half-width"), Col("relative"),
            Col("rule"), Col("converged")]
    full = [i for i in range(7) if has_rule or i != 5]
    layouts = [full, [i for i in full if i != 5], [i for i in full if i not in (4, 5)]]
    fits = []
    for variant in sorted(dict.fromkeys(p["variant"]), key=lambda v: v != "base"):  # the base first
        rows = []
        for _, r in p.loc[p["variant"] == variant].iterrows():
            metric = str(r["metric"])
            needed = "–" if missing(r["reps_needed"]) else str(int(r["reps_needed"]))
            rel = "–" if missing(r["relative_half_width"]) else f"{r['relative_half_width']:.2%}"
            rule = str(r["criterion"]) if has_rule and not missing(r["criterion"]) else ""
            ok = Text("yes") if bool(r["converged"]) else Text("no", style="bold red")
            rows.append([metric, needed, fmt(r["mean"], metric), fmt(r["half_width"], metric), rel, rule, ok])
        fits.append(Fit(str(variant), cols, rows, layouts))
    head = Text("Replications to precision (95% CI half-width)", style="bold")
    return Fits([head], fits)


def metrics_table(kinds: Sequence[str] = (), sections: Sequence[str] = ()) -> MetricsList:
    """Every metric: name, unit, which direction is better, meaning (``chartsim metrics``).

    Without chart types: the general list, a ``<type>`` placeholder and every optional section's metrics.
    """
    if kinds:
        return MetricsList(metrics_for(kinds, sections))
    optional = [m for ms in OPTIONAL_METRICS.values() for m in ms]
    return MetricsList([METRICS[0], type_metric("<type>"), *METRICS[1:], *optional])


class MetricsList:
    """The metrics list: a table whose meaning column wraps between words, or two lines per metric when narrow."""

    title = "Metrics (names usable in --target, --metric and comparisons)"
    notes = ("* shown in the console summary of chartsim run; every metric is in summary.csv",
             "better: the direction that is better for the department (– where neither is)")

    def __init__(self, metrics: Sequence) -> None:
        self.metrics = list(metrics)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        names = [("* " if m.headline else "  ") + terminal_safe(m.name) for m in self.metrics]
        fixed = max(map(cell_len, names)) + max(cell_len(m.unit or "–") for m in self.metrics) + len("better") + 3 * GAP
        yield Text(self.title, style="bold")
        if fixed + 40 <= options.max_width:  # else two lines per metric reads better
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), expand=True)
            table.add_column("metric", no_wrap=True)
            table.add_column("unit", no_wrap=True)
            table.add_column("better", no_wrap=True)
            table.add_column("meaning", ratio=1)
            for name, m in zip(names, self.metrics):
                table.add_row(name, m.unit or "–", m.better or "–", terminal_safe(m.meaning))
            yield table
        else:
            for name, m in zip(names, self.metrics):
                how = f"{m.unit or 'no unit'}; " + (f"{m.better} is better" if m.better else "no better direction")
                yield Text.assemble(Text(name, style="bold"), "  ", Text(f"({how})", style="dim"))
                yield Padding(Text(terminal_safe(m.meaning)), (0, 0, 0, 4))
        for note in self.notes:
            yield Text(note, style="dim")


class RateColumn(ProgressColumn):
    """Replications per second, for the progress bar."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")
