"""The learning lab: the step-by-step trace, the plots, notebook display and the course's exercises.

- ``nnscratch.trace`` (:mod:`nnscratch.lab.trace`) — every number of one training step, ja/en;
  :func:`trace_convolution` — one convolution (畳み込み) step by step: im2col, the filter matrix, their
  product, the reshape back;
- ``nnscratch.plot`` (:mod:`nnscratch.lab.plots`) — the course's figures;
- :func:`japanese_fonts` — Japanese text in your own matplotlib figures (:mod:`nnscratch.lab.fonts`);
- :mod:`nnscratch.lab.display` and :mod:`nnscratch.lab.live` — the pictures under a Network or History in
  a notebook, and the live view of ``train(verbose=True)``.
"""

from nnscratch.lab.fonts import japanese_fonts

__all__ = ["japanese_fonts"]  # and trace_convolution, on first use (below)


def __getattr__(name: str) -> object:
    if name == "trace_convolution":  # imported on first use: the lab's package stays cheap to import
        from nnscratch.lab.trace import trace_convolution

        return trace_convolution
    raise AttributeError(f"module 'nnscratch.lab' has no attribute {name!r}")
