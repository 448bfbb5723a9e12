"""Sweeps (ハイパーパラメータ探索): many runs of one RunSpec compared at once, on this machine's cores or
on a Dask cluster — ``nnscratch.sweep``.

>>> import nnscratch
>>> from nnscratch.sweep import LogUniform
>>> base = nnscratch.RunSpec(data="digits", epochs=20)
>>> result = nnscratch.sweep(base, grid={"lr": [1e-3, 1e-2, 1e-1], "optimizer": ["sgd", "adam"]},
...                          repeats=2, out="sweep-lr")                                  # doctest: +SKIP
>>> print(result.table())                                                               # doctest: +SKIP

Each trial is ``Model(spec).fit()`` of one spec; its seed fixes its result, so the rows are the same bit
for bit whatever runs them (this process, a local pool of any size, a Dask cluster). The rows are
appended to ``results.jsonl``/``results.csv`` in ``out`` as trials finish, the best trial's model is
saved as ``best.npz``, and the figures are ``nnscratch.plot.sweep_scores(result)`` and
``nnscratch.plot.sweep_curves(result)`` (the lab draws them; ``nnscratch sweep`` writes both).
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from nnscratch import datasets
from nnscratch.spec import RunSpec
from nnscratch.sweep.backends import backend_for, check_where
from nnscratch.sweep.plan import IntUniform, LogUniform, Trial, Uniform, make_trials
from nnscratch.sweep.progress import Progress
from nnscratch.sweep.results import (
    RESULTS_CSV,
    RESULTS_JSONL,
    ResultsFile,
    format_ranking,
    ranked,
    read_rows,
    score,
)
from nnscratch.sweep.worker import data_key

__all__ = ["sweep", "SweepResult", "LogUniform", "Uniform", "IntUniform", "BEST_MODEL", "FINISHED"]

BEST_MODEL = "best.npz"
FINISHED = ("ok", "diverging", "diverged")  # outcomes a trial's seed fixes; resume runs "failed" ones again


class SweepResult:
    """The rows of a sweep (trial order), what was swept, the best trial and its model.

    ``rows`` are dicts with the columns of ``results.csv`` plus ``history`` (the per-epoch curves);
    ``ranking()`` groups the repeats of each point, best first; ``table()`` formats it.
    """

    def __init__(self, rows: list[dict[str, Any]], swept: list[str], total: int, out: Path | None,
                 best_model: Any, interrupted: bool, seconds: float, backend: str) -> None:
        self.rows, self.swept, self.total, self.out = rows, swept, total, out
        self.best_model, self.interrupted = best_model, interrupted
        self.seconds, self.backend = seconds, backend

    @property
    def best(self) -> dict[str, Any] | None:
        """The best repeat of the best-ranked point (lowest mean validation loss over its repeats, so
        one lucky seed of an unstable setting does not win); only a trial that learned (status ``ok``)
        can be it: None when every trial was diverging, diverged or failed."""
        return best_row(self.rows, self.swept)

    def ranking(self) -> list[dict[str, Any]]:
        return ranked(self.rows, self.swept)

    def table(self, limit: int | None = None) -> str:
        """The ranked table: mean ± std over repeats of the final validation loss and accuracy."""
        return format_ranking(self.ranking(), self.swept, limit)

    def __repr__(self) -> str:
        swept = ", ".join(self.swept) or "nothing"
        return (f"SweepResult({len(self.rows)}/{self.total} trials, swept {swept}"
                f"{', interrupted' if self.interrupted else ''})")


def best_row(rows: list[dict[str, Any]], swept: list[str]) -> dict[str, Any] | None:
    """The lowest-scoring row that learned (status ``ok``) of the first point of :func:`ranked`, or None."""
    entries = ranked(rows, swept)
    if not entries or entries[0]["score"] == float("inf"):
        return None
    return min(entries[0]["rows"], key=score)


def _prepare_out(out: str | os.PathLike | None, resume: bool) -> Path | None:
    if out is None:
        if resume:
            raise ValueError("resume: needs out, the folder whose results.jsonl to continue")
        return None
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out: {os.fspath(out)!r} exists and is not a folder")
    existing = [n for n in (RESULTS_JSONL, RESULTS_CSV) if (folder / n).exists()]
    if resume and RESULTS_JSONL not in existing:
        raise ValueError(f"resume: no {RESULTS_JSONL} in {os.fspath(out)!r} to continue")
    if existing and not resume:
        raise ValueError(f"out: {os.fspath(out)!r} already holds {existing[0]}; resume it (resume=True, "
                         f"--resume) or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"out: the folder {os.fspath(out)!r} is not writable")
    return folder


def _load_data(trials: list[Trial]) -> dict[tuple, datasets.Dataset]:
    """Every data set the trials need, loaded once here (and shipped once to each worker)."""
    data = {}
    for trial in trials:
        key = data_key(trial.spec)
        if key not in data:
            s = trial.spec
            data[key] = datasets.load(s.data, target=s.target, task=s.task)
    return data


def sweep(base_spec: RunSpec | Mapping[str, Any] | None = None,
          grid: Mapping[str, Sequence[Any]] | None = None, random: Mapping[str, Any] | None = None, *,
          samples: int = 10, repeats: int = 1,
          cluster: str | None = None, workers: int | None = None, out: str | os.PathLike | None = None,
          resume: bool = False, seed: int = 0, progress: TextIO | None = None) -> SweepResult:
    """Run every trial of ``base_spec`` × ``grid`` × ``random`` (``samples`` draws) × ``repeats``.

    ``cluster``: None (a local process pool of ``workers``, default one per core; ``workers=1`` runs
    in this process), ``"tcp://HOST:PORT"`` (an existing Dask scheduler) or ``"local:N"`` (a Dask
    LocalCluster of N workers). ``out``: a folder for ``results.jsonl``, ``results.csv`` and
    ``best.npz`` (an existing results file is refused unless ``resume``, which skips the trials already
    there). ``seed`` seeds the random-search draws; repeat r of a point trains with ``seed + r`` of its
    spec. ``progress``: a stream for the live progress line (e.g. ``sys.stderr``).

    Ctrl-C stops the workers and returns what finished, with ``interrupted`` set (the rows are already
    on disk). Diverging, diverged and failed trials are rows, never the end of the sweep, and never the
    best trial.
    """
    if base_spec is None:
        base_spec = RunSpec()
    elif isinstance(base_spec, Mapping):
        base_spec = RunSpec.from_dict(base_spec)
    if progress is not None and not callable(getattr(progress, "write", None)):
        raise TypeError(f"progress: expected a text stream such as sys.stderr, or None, got {progress!r}")
    trials = make_trials(base_spec, grid, random, samples=samples, repeats=repeats, seed=seed)
    swept = list(dict.fromkeys([*(grid or {}), *(random or {})]))
    check_where(cluster, workers)
    data = _load_data(trials)  # every refusal comes before the folder is made
    folder = _prepare_out(out, resume)
    keys = {t.key for t in trials}
    previous = [r for r in read_rows(folder / RESULTS_JSONL) if r["key"] in keys] if resume else []
    kept = {r["key"]: r for r in previous if r.get("status") in FINISHED}
    todo = [t for t in trials if t.key not in kept]
    backend = backend_for(cluster, workers, len(todo)) if todo else None
    rows = {t.index: {**kept[t.key], "trial": t.index, "point": t.point, "repeat": t.repeat}
            for t in trials if t.key in kept}  # the resumed rows take this sweep's numbering
    started = time.perf_counter()
    models: dict[str, Any] = {}  # trial key -> model, for the best repeat of each point
    interrupted = _collect(backend, todo, data, folder, rows, models, Progress(progress, len(trials), swept))
    best, best_model = best_row(list(rows.values()), swept), None
    # a best trial that finished before a resume is trained again for its model, unless interrupted
    if best is not None and (best["key"] in models or (folder is not None and not interrupted)):
        best_model = _best_model(best, trials, models, data)
        if folder is not None:
            best_model.save(folder / BEST_MODEL)
    ordered = [rows[i] for i in sorted(rows)]
    return SweepResult(ordered, swept, len(trials), folder, best_model, interrupted,
                       time.perf_counter() - started, backend.name if backend else "nothing to run")


def _collect(backend, todo: list[Trial], data: dict, folder: Path | None, rows: dict[int, dict],
             models: dict[str, Any], bar: Progress) -> bool:
    """Run ``todo`` on ``backend``, appending each row to the results as it comes; keep the model of
    each point's best repeat so far. True when a Ctrl-C stopped it."""
    started = time.perf_counter()
    best_of_point: dict[int, dict[str, Any]] = {}
    for row in rows.values():
        if score(row) < score(best_of_point.get(row["point"], {})):
            best_of_point[row["point"]] = row
    results = None
    try:
        with ResultsFile(folder) if folder else _NoFile() as file:
            if rows:
                bar.update(list(rows.values()), 0.0)
            if backend is not None:
                results = backend.results(todo, data)
                for _, row, model in results:
                    file.append(row)
                    rows[row["trial"]] = row
                    p = row["point"]
                    if model is not None and score(row) < score(best_of_point.get(p, {})):
                        old = best_of_point.get(p)
                        if old is not None:
                            models.pop(old["key"], None)
                        best_of_point[p], models[row["key"]] = row, model
                    bar.update(list(rows.values()), time.perf_counter() - started)
    except KeyboardInterrupt:
        return True
    finally:
        if results is not None:
            results.close()
        if backend is not None:
            backend.close()
        bar.end()
    return False


def _best_model(best: dict[str, Any], trials: list[Trial], models: dict[str, Any], data: dict) -> Any:
    """The best trial's model: kept from its run, or (a trial finished before a resume) trained again
    here, which gives the same model, since the trial's seed fixes it."""
    if best["key"] in models:
        return models[best["key"]]
    from nnscratch.sweep.worker import run_trial

    trial = next(t for t in trials if t.key == best["key"])
    data = data if data_key(trial.spec) in data else _load_data([trial])
    return run_trial(trial, data[data_key(trial.spec)])[1]


class _NoFile:
    def __enter__(self) -> _NoFile:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def append(self, row: dict[str, Any]) -> None:
        pass


class _CallableModule(types.ModuleType):
    """``nnscratch.sweep(...)`` calls :func:`sweep`, while ``nnscratch.sweep.LogUniform`` and ``import
    nnscratch.sweep as sw`` still reach this module: the function and its package share one name."""

    def __call__(self, *args: Any, **kwargs: Any) -> SweepResult:
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
