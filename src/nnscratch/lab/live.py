"""The live training view of ``train(verbose=True)`` in a notebook (学習の進み具合).

A progress bar (``tqdm.auto``: a widget in Jupyter) whose label carries the epoch's loss and accuracy
(as a percentage), and a loss curve (with the accuracy beside it for a classifier) that is redrawn in
place, through one IPython display handle, as the epochs finish. It is a callback: the training loop
runs exactly as without it, and it acts once per epoch only.

Redrawing costs a PNG (tens of milliseconds for this small figure), so it is throttled: at most one
redraw per ``interval`` seconds, and a redraw waits at least four times as long as the last one took
(drawing takes at most a fifth of the time); the last epoch is always drawn.
"""

from __future__ import annotations

import base64
import importlib.util
import sys
import time
from typing import Any

import numpy as np

from nnscratch import _display
from nnscratch.callbacks import Callback
from nnscratch.lab.plots._common import _new_figure, _style, _t, png_bytes

__all__ = ["LiveProgress", "progress_text"]


def progress_text(logs: dict[str, float]) -> str:
    """``loss 0.1234  accuracy 95.00%  val_loss …``: an epoch's numbers, accuracies as percentages."""
    parts = []
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if name in logs:
            value = logs[name]
            parts.append(f"{name} {value:.2%}" if name.endswith("accuracy") else f"{name} {value:.4f}")
    return "  ".join(parts)


def _bar(total: int, initial: int) -> Any:
    # tqdm.auto picks the Jupyter widget, which needs ipywidgets; without it tqdm.auto would warn, so
    # the text bar is chosen here directly, on stdout (the notebook shows it as one updating line)
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=initial, unit="epoch")
    from tqdm.std import tqdm

    return tqdm(total=total, initial=initial, unit="epoch", file=sys.stdout)


class LiveProgress(Callback):
    """A progress bar and a live loss curve for a notebook; made by ``train(verbose=True)`` there.

    ``epochs`` is the total the bar counts to; ``interval`` the least time between two redraws of the
    curve (seconds); ``lang`` the language of the curve's labels (``"ja"`` or ``"en"``). After the run
    ``redraws`` counts the pictures drawn and ``draw_seconds`` the time they took.
    """

    def __init__(self, epochs: int, *, interval: float = 0.5, lang: str = "ja") -> None:
        self.epochs = epochs
        self.interval = interval
        self.lang = lang
        self.redraws = 0
        self.draw_seconds = 0.0
        self._handle: Any = None
        self._bar: Any = None
        self._fig: Any = None

    def on_train_begin(self, trainer):
        from IPython.display import HTML, display

        done = trainer.history.epochs  # a resumed run starts where it stopped
        self._bar = _bar(self.epochs, done)
        self._handle = display(HTML(""), display_id=True)
        self._last_draw = time.perf_counter()  # a run shorter than ``interval`` is drawn once, at its end
        self._last_cost = 0.0

    def on_epoch_end(self, epoch, logs, trainer):
        self._bar.set_postfix_str(progress_text(logs), refresh=False)
        self._bar.update(1)
        # a redraw costs what the last one did; drawing may take at most a fifth of the time between
        # two redraws (the first draw, which imports matplotlib and loads the fonts, does not count)
        wait = max(self.interval, 4 * self._last_cost)
        if time.perf_counter() - self._last_draw >= wait:
            self._draw(trainer.history)

    def on_train_end(self, trainer):
        if trainer.history.loss:
            self._draw(trainer.history)
        self._bar.close()
        self._fig = None

    on_train_abort = on_train_end  # a diverged or interrupted run: its last epochs drawn, the bar closed

    def _draw(self, history) -> None:
        from IPython.display import HTML

        t0 = time.perf_counter()
        with _style(self.lang):
            if self._fig is None:
                self._fig = self._figure(bool(history.accuracy))
            self._update(history)
            png = png_bytes(self._fig, dpi=80)
            if self.redraws == 0:  # the layout is found once; computing it again was half of a redraw
                self._fig.set_layout_engine("none")
        # the numbers as a line above the curve: a saved notebook (or its HTML) shows the final state
        # even where the progress-bar widget is not rendered
        logs = {name: values[-1] for name in ("loss", "accuracy", "val_loss", "val_accuracy")
                if (values := getattr(history, name))}
        line = f"epoch {history.epochs}/{self.epochs}  {progress_text(logs)}"
        uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        warned = "".join(f'<div style="color:#b00">⚠ {_display.escape(w)}</div>' for w in history.warnings)
        self._handle.update(HTML(f'<div style="font-family:monospace">{_display.escape(line)}</div>'
                                 f'{warned}<img src="{uri}" alt="learning curves">'))
        self._last_draw = time.perf_counter()
        cost = self._last_draw - t0
        self._last_cost = cost if self.redraws else 0.0
        self.redraws += 1
        self.draw_seconds += cost

    def _figure(self, with_accuracy: bool) -> Any:
        """The figure drawn once; each redraw only changes its lines' data."""
        fig = _new_figure(7.2 if with_accuracy else 3.8, 2.8)
        axes = np.atleast_1d(fig.subplots(1, 2 if with_accuracy else 1))
        self._lines: dict[str, Any] = {}
        panels = [("loss", "val_loss", "loss")]
        if with_accuracy:
            panels.append(("accuracy", "val_accuracy", "accuracy"))
        for ax, (train_key, val_key, label) in zip(axes, panels, strict=False):
            (self._lines[train_key],) = ax.plot([], [], "-", color="tab:blue", lw=1.8,
                                                label=_t("train", self.lang))
            (self._lines[val_key],) = ax.plot([], [], "--", color="tab:orange", lw=1.8,
                                              label=_t("validation", self.lang))
            ax.set_xlabel(_t("epoch", self.lang))
            ax.set_title(_t(label, self.lang) + (" [%]" if label == "accuracy" else ""))
        self._axes = axes
        return fig

    def _update(self, history) -> None:
        loss = np.asarray(history.loss + history.val_loss, dtype=np.float64)
        # a loss over orders of magnitude (a rate too large, or a long run) is read on a log scale
        spread = loss.size and loss.min() > 0 and loss.max() / loss.min() > 100
        self._axes[0].set_yscale("log" if spread else "linear")
        for name, line in self._lines.items():
            values = np.asarray(getattr(history, name), dtype=np.float64)
            if name.endswith("accuracy"):
                values = 100 * values
            line.set_data(np.arange(1, values.size + 1), values)
        for ax in self._axes:
            ax.relim()
            ax.autoscale_view()
            ax.set_xlim(0.5, max(self.epochs, 2) + 0.5)
            handles = [h for h in ax.get_lines() if len(h.get_xdata())]
            ax.legend(handles=handles, loc="best")
