"""What watches the loop from outside the step: the progress printer and the divergence guard (発散).

Neither runs inside the per-step loop; both act once per epoch (the guard also once per call).
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch._validation import check_finite
from nnscratch.callbacks import Callback
from nnscratch.training.history import DivergenceError
from nnscratch.training.trainer import Trainer

__all__ = ["ProgressPrinter", "DivergenceGuard"]


class ProgressPrinter(Callback):
    """``verbose=True``: one line per epoch (エポック) — its metrics, learning rate and seconds."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs, trainer):
        width = len(str(self.epochs))
        parts = [f"epoch {epoch:>{width}}/{self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if name in logs:
                parts.append(f"{name} {logs[name]:.4f}")
        parts.append(f"lr {logs['lr']:.3g}")
        parts.append(f"{trainer.history.epoch_time[-1]:.2f}s")
        print("  ".join(parts), flush=True)


class DivergenceGuard:
    """The last good parameters of a run, and the checks that roll back to them.

    Divergence: a NaN/inf loss, non-finite parameters, or an epoch loss above ``factor`` × the first
    epoch's raises :class:`DivergenceError` with the network restored to its parameters at the end of
    the last good epoch. With ``keep_start=True`` it also keeps the optimizer's state and the step
    count, so that :meth:`reject_x` can put everything back as it was when the call began.
    """

    def __init__(self, trainer: Trainer, factor: float, keep_start: bool) -> None:
        self.trainer = trainer
        self.factor = factor
        self.snapshot = {k: p.copy() for k, p in trainer.net.params.items()}
        history = trainer.history
        self.ref_loss = history.loss[0] if history.loss else None
        self.start_state = None
        if keep_start:
            meta, arrays = trainer.optimizer.state_dict()
            self.start_state = (dict(meta), {k: a.copy() for k, a in arrays.items()}, trainer.steps)

    def check(self, epoch: int, last_loss: float, epoch_loss: float, lr: float) -> None:
        """After an epoch: its last batch loss, its mean loss and the parameters must be sane."""
        if not math.isfinite(last_loss):
            self._diverge(epoch, last_loss, lr, "the loss became")
        if self.ref_loss is None:
            self.ref_loss = epoch_loss
        ref = self.ref_loss
        if ref > 0 and epoch_loss > self.factor * ref:
            what = f"the loss exploded (above {self.factor:g} × the first epoch's {ref:.4g}) to"
            self._diverge(epoch, epoch_loss, lr, what)
        if not all(np.isfinite(p).all() for p in self.trainer.net.params.values()):
            self._diverge(epoch, math.inf, lr, "the parameters overflowed, the loss")

    def commit(self) -> None:
        """The epoch was good: its parameters are the ones to go back to."""
        for k, p in self.trainer.net.params.items():
            np.copyto(self.snapshot[k], p)

    def restore(self) -> None:
        for k, p in self.trainer.net.params.items():
            np.copyto(p, self.snapshot[k])

    def reject_x(self, x: np.ndarray) -> None:
        """A gathered batch held NaN/inf: put the parameters, the optimizer and the step count back as
        they were when train() was called, then raise the input error naming the first bad element."""
        self.restore()
        meta, arrays, steps = self.start_state
        self.trainer.optimizer.load_state_dict(meta, arrays)
        self.trainer.steps = steps
        check_finite("x", x)
        raise AssertionError("unreachable: a batch of x was not finite but x is")  # pragma: no cover

    def _diverge(self, epoch: int, loss: float, lr: float, what: str) -> None:
        self.restore()
        trainer = self.trainer
        last = trainer.history.epochs
        where = f"after epoch {last}" if last else "from before training"
        raise DivergenceError(
            f"training diverged in epoch {epoch}: {what} {loss:.4g} with learning rate lr={lr:g}; the "
            f"network keeps its last finite parameters ({where}) — try a smaller learning rate, e.g. "
            f"lr={lr / 10:g}",
            epoch=epoch,
            loss=loss,
            lr=lr,
            history=trainer.history,
        )
