"""The columns of the metrics table while they are computed: a dict, made a DataFrame once."""

from __future__ import annotations

import pandas as pd


class MetricColumns(dict):
    """Metric columns by name, each aligned to the replications as a DataFrame column would be.

    Metrics are added one at a time, and a DataFrame pays for every column
    inserted (about as much as computing the metric over a task); the frame
    is made once, by :meth:`frame`, when all are in.
    """

    def __init__(self, index: pd.Index) -> None:
        super().__init__()
        self.index = index

    def __setitem__(self, name: str, value: object) -> None:
        if isinstance(value, pd.Series):  # aligned on the replications, as DataFrame.__setitem__ does
            if not value.index.equals(self.index):  # already in place: no reindex to pay for
                value = value.reindex(self.index)
        else:
            value = pd.Series(value, index=self.index)
        super().__setitem__(name, value)

    @property
    def columns(self) -> list[str]:
        return list(self)

    def table(self) -> pd.DataFrame:
        """The columns as a table: the replications' column first, then the metrics (``frame().reset_index()``)."""
        return pd.DataFrame({self.index.name: self.index.array, **{name: column.array for name, column in self.items()}})

    def frame(self) -> pd.DataFrame:
        """The columns as a DataFrame; each is in place already, so its values go in without alignment."""
        return pd.DataFrame({name: column.array for name, column in self.items()}, index=self.index)
