"""What runs in a worker: one trial in, one result row (and its trained model) out.

A worker — a process of the local pool or a Dask worker — receives the data sets once (the pool's
initializer, or Dask's scattered copy that every task on that worker shares) and then trials only, each
a small :class:`~nnscratch.sweep.plan.Trial`. A trial never raises: a diverged run is a row with status
``"diverged"`` (the epoch and the loss where it happened), a run that finished with its loss far above
where it started or rising to the end (a :class:`~nnscratch.training.DivergenceWarning`, kept in
``History.warnings``: 発散傾向) a row with status ``"diverging"`` and that warning as its message, any
other error a row with status ``"failed"`` and the message; the sweep goes on.
"""

from __future__ import annotations

import math
import os
import signal
import time
import warnings
from typing import Any

from nnscratch.datasets import Dataset
from nnscratch.model import Model
from nnscratch.spec import FIELDS, RunSpec
from nnscratch.sweep.plan import Trial
from nnscratch.training import DivergenceError, DivergenceWarning, History

__all__ = ["run_trial", "init_worker", "data_key", "METRICS", "STATUSES"]

# ok: it learned; diverging: it finished, but its divergence warning fired (it never ranks as the best);
# diverged: stopped by a NaN/inf or exploding loss; failed: any other error
STATUSES = ("ok", "diverging", "diverged", "failed")
# the numbers of a row, after the trial's place and spec fields
METRICS = ("final_train_loss", "final_train_accuracy", "final_val_loss", "final_val_accuracy",
           "best_train_loss", "best_train_accuracy", "best_val_loss", "best_val_accuracy", "best_epoch",
           "epochs", "seconds", "diverged_epoch", "diverged_loss")

_DATA: dict[tuple, Dataset] = {}  # this worker's data sets, by data_key


def data_key(spec: RunSpec) -> tuple:
    """What names one loaded data set: the spec's data, target column and task."""
    return (spec.data, spec.target, spec.task)


def init_worker(threads: int, data: dict[tuple, Dataset], ignore_interrupts: bool = True) -> None:
    """A pool worker's start: its BLAS threads, its copy of the data; Ctrl-C is the parent's to handle
    (it stops the pool), so a worker does not die half-way through writing its result."""
    from nnscratch._accel.threads import set_blas_threads

    if ignore_interrupts:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_blas_threads(threads)
    _DATA.update(data)


def _number(v: Any) -> float | None:
    """A metric as a JSON-ready float, None when absent or not finite."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def spec_values(spec: RunSpec) -> dict[str, Any]:
    """The spec's fields, JSON-ready (tuples as lists)."""
    return {name: list(v) if isinstance(v, tuple) else v
            for name, v in ((n, getattr(spec, n)) for n in FIELDS)}


def _curves(history: History | None) -> dict[str, list[float | None]]:
    if history is None:
        return {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
    names = ("loss", "val_loss", "accuracy", "val_accuracy")
    return {k: [_number(v) for v in getattr(history, k)] for k in names}


def _best(curves: dict[str, list[float | None]]) -> dict[str, Any]:
    """The best epoch's numbers: the lowest losses, the highest accuracies, the epoch of the lowest
    validation loss (the training numbers are epoch means over the batches, as History records them)."""
    def low(key: str) -> float | None:
        values = [v for v in curves[key] if v is not None]
        return min(values) if values else None

    def high(key: str) -> float | None:
        values = [v for v in curves[key] if v is not None]
        return max(values) if values else None

    val = [(v, i) for i, v in enumerate(curves["val_loss"]) if v is not None]
    return {"best_train_loss": low("loss"), "best_train_accuracy": high("accuracy"),
            "best_val_loss": low("val_loss"), "best_val_accuracy": high("val_accuracy"),
            "best_epoch": min(val)[1] + 1 if val else None}


def base_row(trial: Trial) -> dict[str, Any]:
    """The trial's place and its spec's fields: the first columns of its row."""
    return {"trial": trial.index, "key": trial.key, "point": trial.point, "repeat": trial.repeat,
            **spec_values(trial.spec), "status": "failed", "message": "",
            **dict.fromkeys(METRICS)}


def failed_row(trial: Trial, message: str) -> dict[str, Any]:
    """The row of a trial that never returned (its worker died, the cluster went away)."""
    row = base_row(trial)
    row.update(message=" ".join(message.split())[:500], history=_curves(None))
    return row


def run_trial(trial: Trial, data: Dataset | None = None) -> tuple[dict[str, Any], Model | None]:
    """Train the trial's model on ``data`` (or this worker's copy); its row and, when it finished, the
    model (its held-out rows dropped: only the network and its preprocessing travel back)."""
    started = time.perf_counter()
    row = base_row(trial)
    model: Model | None = Model(trial.spec)
    try:
        if data is None:
            data = _DATA[data_key(trial.spec)]
        with warnings.catch_warnings():  # a loss that ends far above its start is the row's message
            warnings.simplefilter("ignore", DivergenceWarning)
            model.fit(data, name=trial.spec.data)
    except DivergenceError as exc:
        curves = _curves(exc.history)
        row.update(status="diverged", message=" ".join(str(exc).split())[:500], epochs=len(curves["loss"]),
                   diverged_epoch=exc.epoch, diverged_loss=_number(exc.loss) or str(float(exc.loss)),
                   **_best(curves))
        model = None
    except Exception as exc:  # noqa: BLE001 - any failure of one trial is its row, not the sweep's end
        curves = _curves(None)
        row.update(status="failed", message=f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500])
        model = None
    else:
        curves = _curves(model.history)
        train, val = model.metrics.get("train", {}), model.metrics.get("validation", {})
        row.update(status="ok", final_train_loss=_number(train.get("loss")),
                   final_train_accuracy=_number(train.get("accuracy")),
                   final_val_loss=_number(val.get("loss")), final_val_accuracy=_number(val.get("accuracy")),
                   epochs=model.history.epochs, **_best(curves))
        if model.history.warnings:  # e.g. "the loss ended far above …; try lr=…"
            row.update(status="diverging", message=" ".join(model.history.warnings)[:500])
        if row["final_val_loss"] is None and row["final_train_loss"] is None:
            row.update(status="diverged", message="the final loss is not a finite number")
        model._held_out = None  # the test rows stay where the data are
    row["seconds"] = round(time.perf_counter() - started, 4)
    row["history"] = curves
    row["worker"] = os.getpid()
    return row, model
