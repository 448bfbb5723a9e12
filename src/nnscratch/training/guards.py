"""What watches the loop from outside the step: the progress printer, the divergence guard (発散) and
the end-of-run check of the loss's trend (a run that went wrong without a NaN).

None runs inside the per-step loop; they act once per epoch or once per call.
"""

from __future__ import annotations

import math

import numpy as np

from nnscratch._validation import check_finite
from nnscratch.callbacks import Callback
from nnscratch.training.history import DivergenceError
from nnscratch.training.trainer import Trainer

__all__ = ["ProgressPrinter", "DivergenceGuard", "baseline_loss", "trend_warnings"]


class ProgressPrinter(Callback):
    """``verbose=True`` outside a notebook: one line per epoch (エポック) — its loss, accuracy (正解率, as
    a percentage), learning rate and seconds."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs, trainer):
        width = len(str(self.epochs))
        parts = [f"epoch {epoch:>{width}}/{self.epochs}"]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if name in logs:
                value = logs[name]
                parts.append(f"{name} {value:.2%}" if name.endswith("accuracy") else f"{name} {value:.4f}")
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


_RISING = 5  # epochs in a row whose loss rose: "keeps rising"
_FAR = 10.0  # "far above": this many times the loss of a network that has learned nothing


def baseline_loss(net, d: np.ndarray) -> float:
    """The loss of a network that has learned nothing, where an untrained one stands, from the targets
    alone (no forward pass): −Σ_k p_k log p_k for softmax + cross entropy and Σ_k H(p_k) for sigmoid
    outputs (predicting the class frequencies p), ½ Σ_k mean(d_k²) for MSE (predicting 0, what a
    network with zero-mean weights and zero biases outputs on average)."""
    if net.loss_name == "cross_entropy":
        p = np.bincount(d, minlength=net.n_out or 0) / d.size if d.ndim == 1 else d.mean(axis=0)
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())
    if net.loss_name == "binary_cross_entropy":
        p = np.clip(d.mean(axis=0, dtype=np.float64), 1e-12, 1 - 1e-12)
        return float(-(p * np.log(p) + (1 - p) * np.log(1 - p)).sum())
    return float(0.5 * np.square(d, dtype=np.float64).mean(axis=0).sum())


def trend_warnings(history, baseline: float) -> list[str]:
    """One line per sign of a run that went wrong without a NaN: the loss ended more than ``_FAR`` ×
    ``baseline`` (the loss of a network that has learned nothing, see :func:`baseline_loss`), or it rose
    in each of the last ``_RISING`` epochs to well above its best. Each suggests a tenth of the largest
    rate the run used."""
    loss = history.loss
    if len(loss) < 3 or not history.lr:
        return []
    lr = max(history.lr)  # the largest rate of the run is the likely culprit (a schedule may lower it)
    advice = f"the learning rate lr={lr:g} is probably too large; try lr={lr / 10:g}"
    last = loss[-1]
    out = []
    if baseline > 0 and last > _FAR * baseline:
        out.append(f"the loss ended at {last:.4g}, far above the {baseline:.4g} of a network that has "
                   f"learned nothing; {advice}")
    elif len(loss) > _RISING:
        tail = loss[-_RISING - 1:]
        if all(b > a for a, b in zip(tail[:-1], tail[1:], strict=True)) and last > 1.5 * min(loss):
            out.append(
                f"the loss rose in each of the last {_RISING} epochs ({tail[0]:.4g} → {last:.4g}); {advice}"
            )
    return out
