"""nnscratch: a from-scratch NumPy neural-network library and learning lab.

The core (``Network``, ``functions``, ``gradcheck``) is imported at once; everything else is loaded
on first use so that ``import nnscratch`` stays fast.
"""

from __future__ import annotations

import importlib

from nnscratch import functions
from nnscratch.gradcheck import gradcheck
from nnscratch.network import Network

__version__ = "0.1.0"

# public name -> (module, attribute or None for the module itself), imported on first access
_LAZY = {
    "optim": ("nnscratch.optim", None),
    "train": ("nnscratch.training", "train"),
    "Trainer": ("nnscratch.training", "Trainer"),
    "History": ("nnscratch.training", "History"),
    "DivergenceError": ("nnscratch.training", "DivergenceError"),
    "callbacks": ("nnscratch.callbacks", None),
    "load": ("nnscratch.model", "load"),
    "Model": ("nnscratch.model", "Model"),
    "RunSpec": ("nnscratch.spec", "RunSpec"),
    "datasets": ("nnscratch.datasets", None),
    "trace": ("nnscratch.lab.trace", "trace"),
    "plot": ("nnscratch.lab.plots", None),
}

__all__ = ["Network", "functions", "gradcheck", "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attr is None else getattr(module, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnscratch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
