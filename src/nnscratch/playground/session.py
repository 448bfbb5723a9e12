"""The playground's engine (学習エンジン): one run, trained by the library itself in a background thread.

A :class:`Session` turns :class:`~nnscratch.playground.settings.Settings` into the library's run: a
:class:`~nnscratch.RunSpec`, a :class:`~nnscratch.Model` prepared on the data (scaling and target
encoding fitted on the training part, the untrained network), and a :class:`~nnscratch.Trainer` whose
steps walk the batches of :mod:`nnscratch.training.batches` exactly as :func:`nnscratch.train` does —
so a run left unchanged for whole epochs has the weights ``Model(spec).fit(data)`` would give, bit for
bit (the reproduction script relies on it).

The training controls change the trainer in place (the learning rate, the weight-decay hook, the batch
mode; a new optimizer starts its own state); only new data or a new network rebuild. A step whose loss
is NaN or inf is not applied (:meth:`Trainer.step`'s rule); the session then stops, keeps the weights of
the last step whose loss was finite, and reports ``diverged`` with the step number.

Threads: the worker thread takes :attr:`lock` for a few milliseconds of steps at a time; everything the
page is shown is computed outside it, on a copy of the network taken under it (:mod:`.views`).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from nnscratch import optim
from nnscratch._validation import check_inputs
from nnscratch.datasets import Dataset
from nnscratch.model import Model
from nnscratch.playground.data import generate
from nnscratch.playground.settings import SPEEDS, Settings
from nnscratch.playground.views import Plane
from nnscratch.preprocessing import split
from nnscratch.training import Trainer
from nnscratch.training.batches import Batches

__all__ = ["Session"]

_CHUNK_SECONDS = 0.005  # steps run under the lock at a time: a frame waits at most this long for a copy


class Session:
    """One playground run: ``apply(changes)``, ``play()``, ``pause()``, ``step()``, ``epoch()``,
    ``reset()``; the worker thread trains while playing. ``close()`` ends the thread."""

    def __init__(self, settings: Settings | None = None, upload: Dataset | None = None) -> None:
        self.lock = threading.Lock()
        self.settings = settings or Settings()
        self.upload = upload
        self.version = 0  # counts rebuilds: the page redraws the points when it changes
        self.diverged: dict | None = None
        self.changes: list[tuple[int, str, object]] = []  # live changes after step 0 (for the script)
        self._running = threading.Event()
        self._free = threading.Event()  # cleared while a picture is being made (see hold)
        self._free.set()
        self._closed = False
        self._pace = (time.perf_counter(), 0)
        with self.lock:
            self._build()
        self._thread = threading.Thread(target=self._work, name="nnscratch-playground", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ building the run

    def _build(self) -> None:
        """The data, the Model prepared on it, the trainer and the batches (called under the lock)."""
        s = self.settings
        if s.data == "csv" and self.upload is None:
            raise ValueError("data: 'csv' needs an uploaded file first; choose a file, or a generated set")
        data = self.upload if s.data == "csv" else generate(s.data, s.samples, s.noise, s.data_seed)
        s = self.settings = s.fit_task(data.task, data.n_classes)
        self.data = data
        self.model = Model(s.run_spec(data.name))
        prepared = self.model.prepare(data)
        raw_train, _, raw_test = split(data, 0.0, s.test_ratio, s.data_seed)  # as prepare() split it
        self.raw = {"train": raw_train, "test": raw_test}
        self.net = net = self.model.network
        # the arrays as train() makes them, so the steps match Model.fit's bit for bit
        x, _ = check_inputs(prepared["train"][0], net.sizes[0], net.dtype, finite=False)
        self.parts = {"train": (x, net.check_d(prepared["train"][1], len(x)))}
        xt, dt = prepared["test"]
        self.parts["test"] = (xt, net.check_d(dt, len(xt)) if len(xt) else dt)
        self.trainer = Trainer(net, s.optimizer, s.lr, weight_decay=s.weight_decay)
        self._backup = [{k: p.copy() for k, p in net.params.items()} for _ in range(2)]
        self.rng = np.random.default_rng(s.seed)
        self._new_batches()
        self.plane = Plane(self.model, self.raw, net.dtype)
        self.curve: list[list] = []
        self.epochs = 0
        self.diverged = None
        self.changes = []
        self.version += 1

    def _new_batches(self) -> None:
        x, d = self.parts["train"]
        self.batches = Batches(x, d, None, self.settings.batch_size(), True)
        self.per_epoch = math.ceil(self.batches.n / self.batches.size)
        self._epoch_iter = None
        self._in_epoch = 0

    @property
    def steps(self) -> int:
        return self.trainer.steps

    # ------------------------------------------------------------ controls

    def apply(self, given: dict) -> Settings:
        """Change controls (a dict of :class:`Settings` fields); returns the settings in force.

        Data and network changes rebuild the run; training controls keep the weights."""
        new = Settings.checked(given, self.settings)
        if new.data == "csv" and self.upload is None:  # refused before the run is touched: it goes on
            raise ValueError("data: 'csv' needs an uploaded file first; choose a file, or a generated set")
        with self.lock:
            old = self.settings
            if new.resets(old):
                self.settings = new
                try:
                    self._build()
                except (ValueError, TypeError):
                    self.settings = old
                    self._build()
                    raise
                self._running.clear()
                return self.settings
            self.settings = new
            self._live(old, new)
        if new.speed != old.speed:
            self._pace = (time.perf_counter(), 0)
        return new

    def use_upload(self, data: Dataset) -> Settings:
        """Train on an uploaded (already checked) CSV from now on: a new run on it."""
        with self.lock:
            old, old_upload = self.settings, self.upload
            self.upload, self.settings = data, replace(old, data="csv")
            try:
                self._build()
            except (ValueError, TypeError):
                self.upload, self.settings = old_upload, old
                self._build()
                raise
        self._running.clear()
        return self.settings

    def _live(self, old: Settings, new: Settings) -> None:
        """Training controls changed under the lock: the weights stay."""
        t = self.trainer
        for name in ("optimizer", "lr", "batch", "weight_decay"):
            if getattr(old, name) != getattr(new, name) and t.steps:
                self.changes.append((t.steps, name, getattr(new, name)))
        if new.optimizer != old.optimizer:
            steps = t.steps
            self.trainer = Trainer(self.net, new.optimizer, new.lr, weight_decay=new.weight_decay)
            self.trainer.steps = steps
        else:
            t.lr = new.lr
            if new.weight_decay != old.weight_decay:
                hooks = t.optimizer.hooks
                hooks[:] = [h for h in hooks if not isinstance(h, optim.WeightDecay)]
                if new.weight_decay:
                    t.optimizer.add_hook(optim.WeightDecay(new.weight_decay))
        if new.batch != old.batch:
            self._new_batches()

    def play(self) -> None:
        if self.diverged is None:
            self._pace = (time.perf_counter(), 0)
            self._running.set()

    def pause(self) -> None:
        self._running.clear()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Pause the worker between two steps while the page's picture is made: the frame then takes
        its few milliseconds at once instead of waiting for the interpreter's lock behind the steps."""
        self._free.clear()
        try:
            yield
        finally:
            self._free.set()

    @property
    def running(self) -> bool:
        return self._running.is_set()

    def reset(self) -> None:
        """New weights (the same seed gives the same ones), step 0."""
        with self.lock:
            self._build()
        self._running.clear()

    def step(self, n: int = 1) -> int:
        """Up to ``n`` steps now (fewer when the loss diverges); returns how many were applied."""
        with self.lock:
            return self._steps(n, math.inf)

    def epoch(self) -> int:
        """The steps to the end of the current epoch (a whole epoch at an epoch boundary)."""
        with self.lock:
            return self._steps(self.per_epoch - self._in_epoch, math.inf)

    # ------------------------------------------------------------ the steps

    def _steps(self, limit: int, deadline: float) -> int:
        """Run up to ``limit`` steps (under the lock), stopping at ``deadline`` or a divergence."""
        if self.diverged is not None:
            return 0
        trainer, params, backup = self.trainer, self.net.params, self._backup
        step, isfinite, clock, free = trainer._step, math.isfinite, time.perf_counter, self._free.is_set
        done = 0
        with np.errstate(over="ignore", invalid="ignore"):
            while done < limit:
                if self._epoch_iter is None:
                    self._epoch_iter = self.batches.epoch(self.rng)
                xb, db, _, _ = next(self._epoch_iter)
                keep = backup[trainer.steps & 1]
                for k, p in params.items():
                    np.copyto(keep[k], p)
                loss = step(xb, db)
                if not isfinite(loss):
                    self._diverge(loss)
                    break
                done += 1
                self._in_epoch += 1
                if self._in_epoch == self.per_epoch:
                    self.epochs += 1
                    self._in_epoch = 0
                    self._epoch_iter = None
                if not done & 15 and (clock() > deadline or not free()):
                    break
            if self.diverged is None and not all(np.isfinite(p).all() for p in params.values()):
                # the chunk ended right after an update that overflowed: what the next step would find
                self._diverge(math.nan)
        return done

    def _diverge(self, loss: float) -> None:
        """The step after ``trainer.steps`` gave a non-finite loss (and was not applied): keep the last
        weights whose loss was finite, restart the optimizer's state, stop."""
        t, failed = self.trainer, self.trainer.steps + 1
        kept = t.steps
        if not all(np.isfinite(p).all() for p in self.net.params.values()) and t.steps:
            kept = t.steps - 1  # the last update made the weights themselves NaN/inf: undo it
            for k, p in self.net.params.items():
                np.copyto(p, self._backup[kept & 1][k])
        s = self.settings
        self.trainer = Trainer(self.net, s.optimizer, s.lr, weight_decay=s.weight_decay)
        self.trainer.steps = kept
        self.diverged = {"step": failed, "value": "nan" if math.isnan(loss) else "inf", "kept": kept,
                         "lr": s.lr}
        self._running.clear()

    def _work(self) -> None:
        _lower_priority()
        while True:
            self._running.wait(0.5)
            self._free.wait(0.5)
            if self._closed:
                return
            if not self._running.is_set():
                continue
            rate = SPEEDS[self.settings.speed]
            limit = 1 << 30
            if rate is not None:
                start, done = self._pace
                limit = int((time.perf_counter() - start) * rate) - done
                if limit <= 0:
                    time.sleep(min(0.01, 1.0 / rate))
                    continue
            with self.lock:
                if self._running.is_set():
                    n = self._steps(limit, time.perf_counter() + _CHUNK_SECONDS)
                    start, done = self._pace
                    self._pace = (start, done + n)
            time.sleep(0.001)  # let a frame or a control take the lock (and the GIL) between chunks

    def close(self) -> None:
        self._closed = True
        self._running.set()
        self._thread.join(timeout=5)


def _lower_priority() -> None:
    """On Linux a thread has its own nice value: the training thread yields the CPU to the server's
    thread and the browser, so the page stays smooth on a busy machine (the steps still take the rest)."""
    if sys.platform.startswith("linux") and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
