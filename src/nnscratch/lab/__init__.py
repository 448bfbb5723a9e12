"""The learning lab: the step-by-step trace, the plots, notebook display and the course's exercises.

- ``nnscratch.trace`` (:mod:`nnscratch.lab.trace`) — every number of one training step, ja/en;
- ``nnscratch.plot`` (:mod:`nnscratch.lab.plots`) — the course's figures;
- :func:`japanese_fonts` — Japanese text in your own matplotlib figures (:mod:`nnscratch.lab.fonts`);
- :mod:`nnscratch.lab.display` and :mod:`nnscratch.lab.live` — the pictures under a Network or History in
  a notebook, and the live view of ``train(verbose=True)``.
"""

from nnscratch.lab.fonts import japanese_fonts

__all__ = ["japanese_fonts"]
