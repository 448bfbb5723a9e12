"""Notebook display for objects of every layer, without a low layer importing the lab (表示).

An object a learner looks at (``Network``, ``History``, ``Model``, a summary) gives Jupyter a
``_repr_html_`` built with :func:`table` from the object's own numbers; ``text/plain`` stays its
ordinary ``repr``, so a terminal shows what it always did. Pictures need matplotlib, which only the lab
(the top layer) may use, so a low-layer object asks this module for them by name:

- the lab registers its painters on import (:func:`register`, in ``nnscratch.lab.display``);
- the package root wires in, with :func:`provide`, how to import the lab when a painter is first asked
  for; this module never names the lab itself, so the import arrows still point upwards only;
- :func:`picture` returns a PNG as a ``data:`` URI for an ``<img>``, or ``None`` when the lab cannot draw
  (matplotlib missing): the table is shown without the picture.

:func:`live_progress` is the same door for ``train(verbose=True)``: a notebook gets the lab's live view
(progress bar and loss curve), anything else gets ``None`` and the caller prints plain lines.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "Text", "register", "provide", "picture", "live_progress", "table", "number_format", "image", "escape",
]

_PAINTERS: dict[str, Callable[..., Any]] = {}
_loader: Callable[[], object] | None = None
_loaded = False


def register(name: str, painter: Callable[..., Any]) -> None:
    """Make ``painter`` the one that answers :func:`picture` (or :func:`live_progress`) for ``name``."""
    _PAINTERS[name] = painter


def provide(loader: Callable[[], object]) -> None:
    """``loader()`` imports the module that registers the painters; called once, on first need."""
    global _loader
    _loader = loader


def _painter(name: str) -> Callable[..., Any] | None:
    global _loaded
    if name not in _PAINTERS and not _loaded and _loader is not None:
        _loaded = True  # one attempt: a missing optional dependency is not retried on every display
        try:
            _loader()
        except ImportError:
            return None
    return _PAINTERS.get(name)


def picture(name: str, obj: object, **options: Any) -> str | None:
    """The PNG the painter ``name`` draws of ``obj``, as a ``data:image/png;base64,…`` URI, or None
    when nothing can draw it (the lab's matplotlib is not installed)."""
    painter = _painter(name)
    if painter is None:
        return None
    try:
        png = painter(obj, **options)
    except ImportError:
        return None
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def live_progress(epochs: int) -> Any:
    """The lab's live training view (a callback) when running in a notebook, else None."""
    painter = _painter("progress")
    return None if painter is None else painter(epochs)


def escape(text: object) -> str:
    """``text`` safe inside HTML (names may come from a user's file)."""
    return html.escape(str(text), quote=True)


_TABLE_STYLE = "border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0"
_CELL = "padding:2px 10px;border-bottom:1px solid #ddd;text-align:{align};font-family:{font}"


def table(head: Sequence[str], rows: Iterable[Sequence[object]], right: Iterable[int] = (),
          caption: str | None = None) -> str:
    """An HTML table: numbers in the ``right`` columns aligned right in a fixed-width font."""
    right = set(right)

    def cell(tag: str, i: int, value: object) -> str:
        align, font = ("right", "monospace") if i in right else ("left", "inherit")
        return f'<{tag} style="{_CELL.format(align=align, font=font)}">{escape(value)}</{tag}>'

    out = [f'<table style="{_TABLE_STYLE}">']
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>')
    if head:
        out.append("<tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>")
    for r in rows:
        out.append("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def number_format(values: Iterable[float], decimals: int = 6) -> str:
    """One format for a column of numbers, so that their decimal points line up: ``decimals`` fixed
    decimals, or ``{:.4e}`` when a non-zero value is below 10^−decimals or from 1e5 up (NaN, inf ignored).

    >>> number_format([0.5, 12.25]), number_format([3e-9, 1.0])
    ('{:.6f}', '{:.4e}')
    """
    sizes = [abs(v) for v in values if v == v and abs(v) != float("inf") and v != 0]
    if sizes and (max(sizes) >= 1e5 or min(sizes) < 10.0**-decimals):
        return "{:.4e}"
    return f"{{:.{decimals}f}}"


def image(uri: str | None, alt: str) -> str:
    """An ``<img>`` of a :func:`picture` URI, or nothing when there is no picture."""
    return "" if uri is None else f'<img src="{uri}" alt="{escape(alt)}" style="max-width:100%">'


class Text(str):
    """A multi-line text (a summary, a table) that a notebook shows as its lines, not as a quoted string
    full of ``\\n``: ``repr`` is the text itself, HTML a ``<pre>`` block. It is a ``str`` in every other
    way (compares, concatenates and prints as one)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<pre style="line-height:1.3;font-family:monospace">{escape(self)}</pre>'
