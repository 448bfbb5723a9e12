"""Networks: :class:`Sequential` (a stack of layers) and :class:`Network` (the multilayer perceptron
built from layer sizes, a preset of it)."""

from nnscratch._arch import MAX_PARAMETERS, parse_sizes
from nnscratch.network.mlp import Network
from nnscratch.network.sequential import Sequential

__all__ = ["Sequential", "Network", "parse_sizes", "MAX_PARAMETERS"]
