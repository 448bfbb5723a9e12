"""Private: the twin. A stack of the library's dense layers (or a convolutional stack:
:mod:`.convnet`, :mod:`.conv`, :mod:`.pooling`) compiled into fused, buffer-reusing passes
(:mod:`.runner`) and the optimizers' rules in buffer-reusing forms
(:mod:`.updates`): prepared BLAS products (:mod:`.blas`), a fused affine (:mod:`.affine`) over buffered
layers (:mod:`.dense`, :mod:`.activations`, :mod:`.outputs`), the fused SGD/momentum step
(:mod:`.step`) and the per-pass verification of every array a user can reach before a prepared call
uses it (:mod:`.guard`, :mod:`.fields`).

Nothing here is public API; the readable layers in :mod:`nnscratch.layers` are what the course
teaches, and they do not know this package: it knows them (``compile``), and the tests keep its
results equal to theirs. ``NNSCRATCH_ACCEL=0`` turns it off.
"""

from nnscratch._accel.affine import FastAffine
from nnscratch._accel.convnet import ConvRunner
from nnscratch._accel.guard import Guard
from nnscratch._accel.runner import ENV, DenseRunner, compile
from nnscratch._accel.step import fused_step
from nnscratch._accel.updates import linear_rule

__all__ = ["FastAffine", "Guard", "fused_step", "linear_rule", "compile", "DenseRunner", "ConvRunner", "ENV"]
