"""What stands between raw rows and the network (前処理): feature scaling, target encoding, splits.

- :class:`Preprocessor` — feature scaling fitted on the training part only: 標準化 x' = (x − μ) / σ
  per column (``"standardize"``), x' = x / max|x| (``"scale"``, for pixel values) or none.
- :class:`TargetEncoder` — classes: names ↔ label indices 0..K−1 (what a softmax output learns);
  regression: y' = (y − μ) / σ fitted on the training part, and back to the target's units.
- :func:`split` — train / validation / test parts (stratified for classes), or a data set's own test set.

The code has one home, :mod:`nnscratch.datasets.preprocessing` (scaling, encoding, splits); this
module names it where a Model's pieces are looked for. Each class has ``to_dict``/``from_dict``
(plain JSON) so a saved model carries it; ``from_dict`` checks every value, because a model file may
come from someone else.
"""

from nnscratch.datasets.preprocessing import (
    KINDS,
    Preprocessor,
    Standardizer,
    TargetEncoder,
    from_arrays,
    one_hot,
    split,
    train_test_split,
    train_val_test_split,
)

__all__ = [
    "Preprocessor", "TargetEncoder", "split", "from_arrays", "KINDS",
    "Standardizer", "one_hot", "train_test_split", "train_val_test_split",
]
