"""The step-by-step trace: every number of one forward and backward pass, in the course's vocabulary.

``trace(net, x, d, lr)`` runs the network's own forward pass (順伝播), and given targets the error
(誤差), its own back-propagation (誤差逆伝播法) and given a learning rate the gradient-descent update
(勾配降下法), then reads what the layers cached — the total inputs u_l (総入力), the layer outputs z_l
(中間層出力), the output y (出力), the deltas ∂E/∂u_l and the gradients ∂E/∂W_l, ∂E/∂b_l — copying each.
Nothing is added to the training hot path: the trace only observes what ``Network`` already keeps.

Printing a :class:`Trace` uses the course's ``print_vec`` layout (a ``*** label ***`` line, the value,
a blank line) with Japanese labels (``lang="ja"``, the default) or English ones (``lang="en"``).

>>> import numpy as np, nnscratch
>>> net = nnscratch.Network.from_params(
...     {"W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), "b1": np.array([0.1, 0.2, 0.3]),
...      "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]), "b2": np.array([0.1, 0.2])},
...     hidden="relu", output="softmax")
>>> t = nnscratch.trace(net, [[1.0, 5.0]], d=[[0, 1]], lr=0.01)
>>> [round(v, 2) for v in t.u[0][0]]
[1.2, 2.5, 3.8]

Layout: ``labels`` (the printed labels in ja/en, ``print_vec``, ``format_vec``), ``record`` (the
:class:`Trace` record, its printout and JSON), ``observe`` (:func:`trace`, :func:`trace_layer`: running
the step and reading the layers' caches), ``presets`` (the course's exercises, :func:`course_example`)
``convolution`` (:func:`trace_convolution`: one convolution step by step — im2col, the filter matrix,
their product, the reshape back, and the backward pass with col2im) and ``stack`` (:class:`StackTrace`:
any other stack, a convolutional network for one, layer by layer).
"""

from __future__ import annotations

from nnscratch.lab.trace.convolution import ConvTrace, trace_convolution
from nnscratch.lab.trace.labels import LANGS, format_vec, print_vec
from nnscratch.lab.trace.labels import label as label  # one printed label; public before the split too
from nnscratch.lab.trace.observe import trace, trace_layer
from nnscratch.lab.trace.presets import PRESETS, course_example
from nnscratch.lab.trace.presets import Preset as Preset
from nnscratch.lab.trace.record import Trace
from nnscratch.lab.trace.stack import StackTrace

__all__ = ["Trace", "trace", "trace_layer", "course_example", "PRESETS", "print_vec", "format_vec", "LANGS",
           "ConvTrace", "trace_convolution", "StackTrace"]
