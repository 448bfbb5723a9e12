"""The lab's half of notebook display: the pictures the lower layers ask for by name (表示).

Importing this module registers, with :mod:`nnscratch._display`:

- ``"network"`` — the diagram of a :class:`~nnscratch.Network` (the course's P13, ``nnscratch.plot.network``)
  under its layer table;
- ``"history"`` — the learning curves of a :class:`~nnscratch.History` (``nnscratch.plot.training_curves``)
  under its epoch table;
- ``"progress"`` — for ``train(verbose=True)`` in a notebook: the live view
  (:class:`nnscratch.lab.live.LiveProgress`: a ``tqdm.auto`` bar and a loss curve updated in place);
  outside a notebook it answers ``None`` and the training prints plain lines.

The package root imports this module the first time a notebook asks for one of them, so nothing here
costs anything in a script or on the command line. ``LANG`` is the language of those pictures' labels
(``"ja"`` by default, ``"en"``), set with :func:`set_language`.
"""

from __future__ import annotations

import sys
from typing import Any

from nnscratch import _display
from nnscratch.lab.plots._common import LANGS, png_bytes

__all__ = ["LANG", "set_language", "in_notebook"]

LANG = "ja"
_DPI = 80  # pictures under a table: small enough to sit beside it


def set_language(lang: str) -> None:
    """The language of the pictures a notebook shows under a Network or History: ``"ja"`` or ``"en"``.

    >>> import nnscratch.lab.display as display
    >>> display.set_language("en"); display.LANG
    'en'
    >>> display.set_language("ja")
    """
    global LANG
    if lang not in LANGS:
        raise ValueError(f"lang: expected 'ja' or 'en', got {lang!r}")
    LANG = lang


def in_notebook() -> bool:
    """True inside a Jupyter (or Colab) kernel: an IPython shell with a kernel behind it.

    Checked without importing IPython when no kernel did (a script pays nothing).
    """
    if "ipykernel" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _network_png(net: Any) -> bytes | None:
    if getattr(net, "sizes", None) is None:  # a stack of layers (a conv net): its table shows alone
        return None
    from nnscratch.lab.plots.diagram import network

    return png_bytes(network(net, lang=LANG), dpi=_DPI)


def _history_png(history: Any) -> bytes | None:
    if not history.loss:
        return None
    from nnscratch.lab.plots.training import training_curves

    return png_bytes(training_curves(history, lang=LANG), dpi=_DPI)


def _progress(epochs: int) -> Any:
    if not in_notebook():
        return None
    from nnscratch.lab.live import LiveProgress

    return LiveProgress(epochs, lang=LANG)


_display.register("network", _network_png)
_display.register("history", _history_png)
_display.register("progress", _progress)
