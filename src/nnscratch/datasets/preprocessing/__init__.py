"""What stands between raw rows and the network (前処理), in one place: feature scaling, target
encoding, splits. Imported as :mod:`nnscratch.preprocessing` (a Model's pieces) and from
:mod:`nnscratch.datasets` (the course's helpers); this package is the one home of the code.

- :mod:`~nnscratch.datasets.preprocessing.scaling` — :class:`Standardizer` (標準化 x' = (x − μ) / σ per
  column, fitted on the training part only) and :class:`Preprocessor` (``"standardize"``, ``"scale"``
  x' = x / s for pixels, or ``"none"``: :data:`KINDS`);
- :mod:`~nnscratch.datasets.preprocessing.encoding` — :class:`TargetEncoder` (class names ↔ indices
  0..K−1, or the regression target's y' = (y − μ) / σ), :func:`one_hot`, :func:`from_arrays`;
- :mod:`~nnscratch.datasets.preprocessing.splits` — :func:`train_test_split`,
  :func:`train_val_test_split` (stratified for classes) and :func:`split` (a data set's parts).

It lives inside ``datasets`` because it builds and reads :class:`~nnscratch.datasets.Dataset`\\ s:
``datasets`` re-exports its helpers and ``nnscratch.preprocessing`` re-exports it all, so imports
run one way (``preprocessing`` → ``datasets``) with no circle.
"""

from nnscratch.datasets.preprocessing.encoding import TargetEncoder, from_arrays, one_hot
from nnscratch.datasets.preprocessing.scaling import KINDS, Preprocessor, Standardizer
from nnscratch.datasets.preprocessing.splits import split, train_test_split, train_val_test_split

__all__ = [
    "Preprocessor", "Standardizer", "KINDS", "TargetEncoder", "one_hot", "from_arrays",
    "split", "train_test_split", "train_val_test_split",
]
