"""nnscratch: a from-scratch NumPy neural-network library and learning lab."""

from __future__ import annotations

from nnscratch import functions
from nnscratch.gradcheck import gradcheck
from nnscratch.network import Network

__version__ = "0.1.0"

__all__ = ["Network", "functions", "gradcheck", "__version__"]
