"""Private: the fast path. Fused BLAS products (:mod:`.blas`), the fast twin of the readable Affine
layer (:mod:`.affine`), the fused SGD/momentum step (:mod:`.step`) and the per-pass verification of
every array a user can reach before a prepared call uses it (:mod:`.guard`, :mod:`.fields`).

Nothing here is public API; the readable layers in :mod:`nnscratch.layers` are what the course
teaches, and the tests keep this package's results equal to theirs. It imports nothing above it:
the layers and the network it works on are passed in.
"""

from nnscratch._fast.affine import FastAffine
from nnscratch._fast.guard import Guard
from nnscratch._fast.step import fused_step

__all__ = ["FastAffine", "Guard", "fused_step"]
