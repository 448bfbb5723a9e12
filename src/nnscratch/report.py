"""Tables of metrics as the command line and :meth:`nnscratch.Model.summary` print them."""

from __future__ import annotations

__all__ = ["format_table"]


def format_table(rows: list[tuple[str, dict]]) -> str:
    """One row per part (train, validation, test, …): loss, accuracy as a percentage (正解率), RMSE and
    R² where present, and the number of samples."""
    cols = [c for c in ("loss", "accuracy", "rmse", "r2") if any(c in m for _, m in rows)]
    head = ["", *cols, "samples"]
    body = []
    for name, m in rows:
        cells = [name]
        for c in cols:
            v = m.get(c)
            cells.append("-" if v is None else (f"{v:.2%}" if c == "accuracy" else f"{v:.4f}"))
        cells.append(f"{int(m.get('samples', 0)):,}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = []
    for r in [head, *body]:
        cells = zip(r, widths, strict=True)
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))
    return "\n".join(lines)
