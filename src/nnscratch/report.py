"""Plain-text tables and numbers as the command line and :meth:`nnscratch.Model.summary` print them:
the metrics table (loss, 正解率 as a percentage, RMSE and R², samples), aligned columns, previews."""

from __future__ import annotations

from nnscratch import _display

__all__ = ["format_table", "format_table_html", "format_columns", "format_number", "preview", "seconds"]


def seconds(t: float) -> str:
    """``0.19 s`` below ten seconds, ``12.3 s`` above."""
    return f"{t:.2f} s" if t < 10 else f"{t:.1f} s"


def format_number(v: float) -> str:
    """A predicted value or probability in a CSV cell (6 significant digits)."""
    return f"{v:.6g}"


def preview(names: list, k: int = 6) -> str:
    """All names when there are at most ``k``, else the first three, …, the last two."""
    names = [str(n) for n in names]
    return ", ".join(names) if len(names) <= k else f"{', '.join(names[:3])}, …, {', '.join(names[-2:])}"


def _aligned(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]


def _metric_cells(rows: list[tuple[str, dict]]) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in ("loss", "accuracy", "rmse", "r2") if any(c in m for _, m in rows)]
    body = []
    for name, m in rows:
        cells = [name]
        for c in cols:
            v = m.get(c)
            cells.append("-" if v is None else (f"{v:.2%}" if c == "accuracy" else f"{v:.4f}"))
        cells.append(f"{m.get('samples', 0):,}")
        body.append(cells)
    return ["", *cols, "samples"], body


def format_table(rows: list[tuple[str, dict]]) -> str:
    """The metrics table: one row per part (train, validation, test, evaluation), the columns that any
    row has (loss, accuracy as a percentage, rmse, r2) and the number of samples."""
    head, body = _metric_cells(rows)
    return "\n".join(_aligned([head, *body], right=set(range(1, len(head)))))


def format_table_html(rows: list[tuple[str, dict]], caption: str | None = None) -> str:
    """:func:`format_table` as an HTML table (what a notebook shows for a Model)."""
    head, body = _metric_cells(rows)
    return _display.table(head, body, right=range(1, len(head)), caption=caption)


def format_columns(rows: list[tuple[str, ...]], right: set[int]) -> str:
    """Rows of cells in aligned columns (``right``: the indices aligned right), trailing blanks cut."""
    return "\n".join(line.rstrip() for line in _aligned([list(r) for r in rows], right))
