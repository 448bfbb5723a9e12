"""nnscratch: a from-scratch NumPy neural-network library and learning lab.

Every public name is loaded on first use, so ``import nnscratch`` imports nothing heavy: the command
line starts by importing this package and must be able to turn a Ctrl-C that arrives while NumPy is
being imported into one line and exit status 130 (it imports NumPy inside its own handler).
"""

from __future__ import annotations

import importlib
import sys
import types

# public name -> (module, attribute or None for the module itself), imported on first access
_LAZY = {
    "Network": ("nnscratch.network", "Network"),
    "Sequential": ("nnscratch.network", "Sequential"),
    "presets": ("nnscratch.presets", None),
    "layers": ("nnscratch.layers", None),
    "functions": ("nnscratch.functions", None),
    "gradcheck": ("nnscratch.gradcheck", "gradcheck"),
    "optim": ("nnscratch.optim", None),
    "train": ("nnscratch.training", "train"),
    "Trainer": ("nnscratch.training", "Trainer"),
    "History": ("nnscratch.training", "History"),
    "DivergenceError": ("nnscratch.training", "DivergenceError"),
    "DivergenceWarning": ("nnscratch.training", "DivergenceWarning"),
    "callbacks": ("nnscratch.callbacks", None),
    "load": ("nnscratch.model", "load"),
    "Model": ("nnscratch.model", "Model"),
    "RunSpec": ("nnscratch.spec", "RunSpec"),
    "datasets": ("nnscratch.datasets", None),
    "trace": ("nnscratch.lab.trace", "trace"),
    "plot": ("nnscratch.lab.plots", None),
    "sweep": ("nnscratch.sweep", None),  # a callable module: nnscratch.sweep(...) runs a sweep
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name == "__version__":  # pyproject.toml's, read once on first use (nnscratch._version)
        from nnscratch._version import version

        globals()[name] = version()
        return globals()[name]
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        if name != "gradcheck":  # the submodule of that name would shadow the function (see below)
            globals()[name] = value
        return value
    raise AttributeError(f"module 'nnscratch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """``nnscratch.gradcheck`` is the function, although a submodule has the same name: importing a
    submodule binds it as an attribute of its package, which this property turns away."""

    @property
    def gradcheck(self):
        return __getattr__("gradcheck")

    @gradcheck.setter
    def gradcheck(self, value: object) -> None:
        pass


sys.modules[__name__].__class__ = _Package

# The composition root: objects of the low layers ask nnscratch._display for pictures and the live
# training view by name; the lab paints them, imported only when a notebook first asks (see
# docs/architecture.md, "Display in notebooks").
from nnscratch import _display  # noqa: E402  (after the package is set up; imports nothing heavy)

_display.provide(lambda: importlib.import_module("nnscratch.lab.display"))
