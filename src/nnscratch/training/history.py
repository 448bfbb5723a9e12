"""A training run's record (学習履歴) and the error raised when training diverges (発散)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnscratch import _display

__all__ = ["History", "DivergenceError", "DivergenceWarning"]


class DivergenceWarning(RuntimeWarning):
    """The run finished, but its loss ended far above where it started or kept rising (発散の兆候):
    usually a learning rate too large. The message suggests a smaller one; it is also kept in
    ``History.warnings``. "Far above": more than 10 × the loss of a network that has learned nothing
    (−Σ p_k log p_k for classes of frequencies p_k; ½ Σ mean(d²) for regression).

    >>> import warnings, nnscratch
    >>> x, d = nnscratch.datasets.load("xor")
    >>> net = nnscratch.Network("2-8-2", hidden="sigmoid", output="softmax", seed=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DivergenceWarning)
    ...     h = nnscratch.train(net, x, d, lr=500, epochs=30, seed=0)
    >>> print(h.warnings[0])                          # doctest: +ELLIPSIS
    the loss ended at ..., far above the ... of a network that has learned nothing; ... try lr=50
    """


class DivergenceError(ValueError):
    """Training diverged (発散): the loss became NaN/inf or exploded — usually a learning rate too large.

    ``epoch``, ``loss`` and ``lr`` describe where it happened; ``history`` holds the completed epochs.

    >>> import nnscratch
    >>> net = nnscratch.Network("2-4-1", seed=0)
    >>> try:
    ...     nnscratch.train(net, [[0.0, 1.0], [1.0, 0.0]], [[1e3], [-1e3]], lr=10.0, epochs=5, seed=0)
    ... except nnscratch.DivergenceError as err:
    ...     print(err.epoch, err.lr)
    2 10.0
    """

    def __init__(self, message: str, *, epoch: int | None, loss: float, lr: float, history: History | None):
        super().__init__(message)
        self.epoch = epoch
        self.loss = loss
        self.lr = lr
        self.history = history


def _count(name: str, value: object, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        kind = "a non-negative integer or None" if allow_none else "a non-negative integer"
        raise ValueError(f"history: {name!r}: expected {kind}, got {value!r}")
    return int(value)


@dataclass(eq=True)
class History:
    """Per-epoch record of a training run: each attribute is a list with one value per epoch (エポック).

    ``loss`` / ``accuracy`` are means over the epoch's batches (each before its update),
    ``val_loss`` / ``val_accuracy`` are measured on the validation data at the epoch's end (empty without
    ``validation_data``; the accuracies are empty for regression), ``lr`` is the learning rate used.
    ``steps`` counts optimizer updates; ``stopped_epoch`` / ``best_epoch`` are set by early stopping.
    ``warnings`` holds one line per problem seen at the end of a run (a loss that ended far above where
    it started, or kept rising), each with a suggested learning rate.
    Two runs with the same seed compare equal (``epoch_time`` and ``warnings`` are left out).

    In a notebook a history shows a table of its epochs and, with the lab installed, its curves.

    >>> import nnscratch
    >>> net = nnscratch.Network([2, 4, 1], hidden="tanh", output="sigmoid", seed=0)
    >>> h = nnscratch.train(net, [[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [1], [1], [0]], lr=0.5,
    ...                     epochs=3, seed=0)
    >>> len(h.loss), h.epochs, h.steps
    (3, 3, 3)
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    steps: int = 0
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    epoch_time: list[float] = field(default_factory=list, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)

    _LISTS = ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time")

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.loss)

    def __len__(self) -> int:
        return self.epochs

    def __getitem__(self, name: str) -> list[float]:
        if name not in self._LISTS:
            raise KeyError(f"history: no metric {name!r}; expected one of {', '.join(self._LISTS)}")
        return getattr(self, name)

    def as_dict(self) -> dict:
        """A JSON-ready dict (lists of floats, counts) — :meth:`from_dict` reverses it."""
        out: dict = {name: list(getattr(self, name)) for name in self._LISTS}
        out.update(steps=self.steps, stopped_epoch=self.stopped_epoch, best_epoch=self.best_epoch)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """The history :meth:`as_dict` described; a wrong-typed entry is a ValueError naming it.

        The lists are numbers, at most one per epoch (a metric a resumed run added has fewer), the
        counts non-negative integers or None.
        """
        if not isinstance(data, dict):
            raise ValueError(f"history: expected a dict of per-epoch lists, got {type(data).__name__}")
        h = cls()
        for name in cls._LISTS:
            values = data.get(name, [])
            if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            ):
                raise ValueError(f"history: {name!r}: expected a list of numbers, got {values!r}")
            setattr(h, name, [float(v) for v in values])
        for name in ("accuracy", "val_loss", "val_accuracy", "lr", "epoch_time"):
            if len(getattr(h, name)) > h.epochs:  # fewer: a metric added by a resumed run
                raise ValueError(
                    f"history: {name!r}: expected at most one value per epoch ({h.epochs}), got "
                    f"{len(getattr(h, name))}"
                )
        h.steps = _count("steps", data.get("steps", 0))
        h.stopped_epoch = _count("stopped_epoch", data.get("stopped_epoch"), allow_none=True)
        h.best_epoch = _count("best_epoch", data.get("best_epoch"), allow_none=True)
        warnings = data.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise ValueError(f"history: 'warnings': expected a list of strings, got {warnings!r}")
        h.warnings = list(warnings)
        return h

    def __repr__(self) -> str:
        parts = [f"epochs={self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name}={values[-1]:.6g}")
        parts.append(f"steps={self.steps}")
        if self.stopped_epoch is not None:
            parts.append(f"stopped_epoch={self.stopped_epoch}")
        if self.warnings:
            parts.append(f"warnings={len(self.warnings)}")
        return f"History({', '.join(parts)})"

    _SHOWN = 12  # epochs in the notebook table; a longer run shows its first and last ones

    def _repr_html_(self) -> str:
        """Jupyter: a table of the epochs (accuracy as a percentage), the warnings and the curves."""
        cols = [c for c in ("loss", "accuracy", "val_loss", "val_accuracy", "lr") if getattr(self, c)]
        n = self.epochs
        shown = list(range(n)) if n <= self._SHOWN else [*range(6), None, *range(n - 5, n)]
        formats = {c: "{:.2%}" if c.endswith("accuracy") else _display.number_format(getattr(self, c), 4)
                   for c in cols}
        rows = []
        for i in shown:
            if i is None:
                rows.append(["…"] * (len(cols) + 1))
                continue
            cells = [str(i + 1)]
            for c in cols:
                values = getattr(self, c)
                v = values[i] if i < len(values) else None
                cells.append("" if v is None else formats[c].format(v))
            rows.append(cells)
        caption = f"History: {n} epochs, {self.steps:,} steps"
        if self.stopped_epoch is not None:
            caption += f", stopped at epoch {self.stopped_epoch}"
        html = _display.table(["epoch", *cols], rows, right=range(len(cols) + 1), caption=caption)
        html += "".join(f'<div style="color:#b00">⚠ {_display.escape(w)}</div>' for w in self.warnings)
        return html + _display.image(_display.picture("history", self), "learning curves")
