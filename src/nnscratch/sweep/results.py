"""The results of a sweep on disk and in a table (結果の集計).

- ``results.jsonl``: one JSON object per finished trial, appended as it finishes (its curves too, so
  the plots can be drawn again later); ``resume`` reads it back;
- ``results.csv``: the same rows without the curves, for a spreadsheet;
- :func:`ranked`: the points ordered by their mean validation loss over the repeats, with mean ± std
  (標本標準偏差, ddof = 1) of the final losses and accuracies; diverging, diverged and failed trials
  counted. Only a trial that learned (status ``ok``) can make a point the best: a point whose trials all
  warned of divergence (``diverging``) shows their numbers but ranks after every point that learned.

Each row is flushed and synced as it is written: a Ctrl-C or a crash keeps every finished row.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nnscratch.report import format_columns
from nnscratch.spec import FIELDS
from nnscratch.sweep.worker import METRICS, STATUSES

__all__ = ["COLUMNS", "ResultsFile", "read_rows", "ranked", "format_ranking", "score", "describe_values"]

RESULTS_CSV = "results.csv"
RESULTS_JSONL = "results.jsonl"
COLUMNS = ("trial", "key", "point", "repeat", *FIELDS, "status", *METRICS, "message")


def _cell(v: Any) -> str:
    """A CSV cell: empty for None, sizes as 64-32, tables as JSON."""
    if v is None:
        return ""
    if isinstance(v, list):
        return "-".join(map(str, v)) if all(isinstance(x, int) for x in v) else ",".join(map(str, v))
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return str(v)


class ResultsFile:
    """Appends rows to ``results.jsonl`` and ``results.csv`` in ``folder`` (created with its header)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.jsonl = self.folder / RESULTS_JSONL
        self.csv = self.folder / RESULTS_CSV
        new_csv = not self.csv.exists() or self.csv.stat().st_size == 0
        self._json = open(self.jsonl, "a", encoding="utf-8")
        self._csv = open(self.csv, "a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._csv)
        if new_csv:
            self._writer.writerow(COLUMNS)
            self._csv.flush()

    def append(self, row: dict[str, Any]) -> None:
        self._json.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
        self._writer.writerow([_cell(row.get(c)) for c in COLUMNS])
        for f in (self._json, self._csv):
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        self._json.close()
        self._csv.close()

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``results.jsonl`` (a last line cut short by a crash is skipped)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                if f.read().strip():  # only the very last line may be half-written
                    raise ValueError(f"resume: {os.fspath(path)!r} line {n} is not a JSON row") from None
                break
            if not isinstance(row, dict) or "key" not in row or "status" not in row:
                raise ValueError(f"resume: {os.fspath(path)!r} line {n} is not a sweep result row")
            if row["status"] == "ok" and row.get("message"):
                row["status"] = "diverging"  # written before 0.2.0: an ok row's only message was its warning
            rows.append(row)
    return rows


def final_loss(row: dict[str, Any]) -> float:
    """A finished trial's final validation loss (the training loss when there is no validation part),
    whatever its status; +inf when it has none."""
    v = row.get("final_val_loss")
    if v is None:
        v = row.get("final_train_loss")
    return math.inf if v is None else float(v)


def score(row: dict[str, Any]) -> float:
    """What ranks a trial: its final validation loss (the training loss when there is no validation
    part); +inf for a trial that did not learn: diverging (its divergence warning fired), diverged or
    failed."""
    if row.get("status") != "ok":  # also an empty row: no trial yet
        return math.inf
    return final_loss(row)


def describe_values(row: dict[str, Any], swept: Sequence[str]) -> str:
    """``optimizer=adam lr=0.003`` — the swept fields of a row."""
    return " ".join(f"{name}={_show(row.get(name))}" for name in swept) or "(base spec)"


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return _cell(v) if v is not None else "-"


def _mean_std(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    m = sum(values) / len(values)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, s


def ranked(rows: Iterable[dict[str, Any]], swept: Sequence[str]) -> list[dict[str, Any]]:
    """One entry per point (the rows that differ only in their repeat's seed), best first.

    Each entry: ``values`` (the swept fields), ``rows``, ``n``, the count of each status (``ok``,
    ``diverging``, ``diverged``, ``failed``), ``score`` (the mean score of the repeats that learned, +inf
    without one) and ``val_loss``, ``val_accuracy``, ``train_loss`` as (mean, std) over the repeats that
    learned, or, at a point where none did, over the diverging ones (shown, never ranked before a point
    that learned); None when there are none.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        point = json.dumps([row.get(n) for n in swept], sort_keys=True, default=str)
        groups.setdefault(point, []).append(row)
    keyed = []
    for members in groups.values():
        ok = [r for r in members if r.get("status") == "ok"]
        shown = ok or [r for r in members if r.get("status") == "diverging"]
        entry = {"values": {n: members[0].get(n) for n in swept}, "rows": members, "n": len(members),
                 **{s: sum(r.get("status") == s for r in members) for s in STATUSES}}
        for name, column in (("val_loss", "final_val_loss"), ("val_accuracy", "final_val_accuracy"),
                             ("train_loss", "final_train_loss")):
            entry[name] = _mean_std([r[column] for r in shown if r.get(column) is not None])
        finished = [score(r) for r in ok if math.isfinite(score(r))]
        entry["score"] = sum(finished) / len(finished) if finished else math.inf
        losses = [final_loss(r) for r in shown if math.isfinite(final_loss(r))]
        shown_loss = sum(losses) / len(losses) if losses else math.inf
        # the points that learned first, by score; then the diverging ones by their loss; at the same
        # mean, a point with any repeat that did not learn ranks after those whose repeats all did
        keyed.append(((entry["score"], shown_loss, entry["n"] - entry["ok"]), len(keyed), entry))
    return [entry for *_, entry in sorted(keyed, key=lambda k: k[:2])]


def _pm(stat: tuple[float, float] | None, percent: bool = False) -> str:
    if stat is None:
        return "-"
    m, s = stat
    return f"{m:.2%} ± {s:.2%}" if percent else f"{m:.4f} ± {s:.4f}"


def format_ranking(entries: list[dict[str, Any]], swept: Sequence[str], limit: int | None = None) -> str:
    """The ranked table: rank, the swept fields, val loss and accuracy (mean ± std), train loss, and how
    many repeats learned (ok), were diverging, diverged or failed: ``2/2 ok``, ``1/2 ok, 1 diverging``,
    ``1/1 diverging``."""
    has_acc = any(e["val_accuracy"] is not None for e in entries)
    head = ["#", *swept, "val_loss", *(["val_acc"] if has_acc else []), "train_loss", "runs"]
    body = []
    for i, e in enumerate(entries[:limit] if limit else entries, 1):
        counts = [(e[s], s) for s in STATUSES if e.get(s)]
        runs = ", ".join(f"{c}/{e['n']} {s}" if i == 0 else f"{c} {s}" for i, (c, s) in enumerate(counts))
        cells = [str(i), *(_show(e["values"][n]) for n in swept), _pm(e["val_loss"])]
        if has_acc:
            cells.append(_pm(e["val_accuracy"], percent=True))
        body.append([*cells, _pm(e["train_loss"]), runs])
    right = {0, *range(len(swept) + 1, len(head) - 1)}
    return format_columns([tuple(head), *map(tuple, body)], right)
