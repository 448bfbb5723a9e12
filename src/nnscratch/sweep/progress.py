"""The live progress line of a sweep: trials done/total, diverging, diverged and failed, the best so far,
the time.

On a terminal it is one line redrawn in place (``\\r`` … erase to the end of the line); written to a
file or a pipe it is one plain line per finished trial, so a log reads top to bottom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TextIO

from nnscratch.sweep.results import describe_values, ranked

__all__ = ["Progress"]


class Progress:
    """``Progress(stream, total, swept)``; ``update(rows, elapsed)`` after each trial, ``end()`` once."""

    def __init__(self, stream: TextIO | None, total: int, swept: Sequence[str]) -> None:
        self.stream, self.total, self.swept = stream, total, list(swept)
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._drawn = False

    def line(self, rows: list[dict[str, Any]], elapsed: float) -> str:
        width = len(str(self.total))
        parts = [f"sweep {len(rows):>{width}}/{self.total}"]
        bad = {s: sum(r.get("status") == s for r in rows) for s in ("diverging", "diverged", "failed")}
        parts += [f"{n} {s}" for s, n in bad.items() if n]
        entries = ranked(rows, self.swept)
        if entries and math.isfinite(entries[0]["score"]):
            best = entries[0]
            what = "val_loss" if best["val_loss"] is not None else "loss"
            parts.append(f"best {what} {best['score']:.4f} ({describe_values(best['rows'][0], self.swept)})")
        parts.append(f"{elapsed:.1f}s")
        return "  ".join(parts)

    def update(self, rows: list[dict[str, Any]], elapsed: float) -> None:
        if self.stream is None:
            return
        text = self.line(rows, elapsed)
        self.stream.write("\r" + text + "\033[K" if self.tty else text + "\n")
        self.stream.flush()
        self._drawn = True

    def end(self) -> None:
        if self.stream is not None and self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
