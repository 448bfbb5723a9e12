"""scikit-learn estimators around an nnscratch :class:`~nnscratch.Network`: ``NNClassifier`` and
``NNRegressor``.

They follow scikit-learn's conventions (parameters stored unchanged by ``__init__``, fitted attributes
ending in ``_``, ``fit`` returns ``self``), so they work inside ``Pipeline``, ``GridSearchCV`` and
``cross_val_score``::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from nnscratch.sklearn import NNClassifier

    model = make_pipeline(StandardScaler(), NNClassifier(hidden_layer_sizes=(100,), max_iter=60))
    model.fit(X_train, y_train).score(X_test, y_test)

Each estimator is a thin shell over :class:`nnscratch.Model` and :class:`nnscratch.RunSpec`: its
parameters become a RunSpec (checked there, from the one table of fields; errors name the estimator's
parameter), and the Model does the label encoding, the validation split for early stopping and the
training (mini-batch gradient descent, 勾配降下法). ``partial_fit`` runs one epoch on the batch it is
given, keeping the optimizer's state between calls (online learning, オンライン学習). This module needs
scikit-learn (the ``lab`` extra).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

try:  # scikit-learn ≥ 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def _validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


from nnscratch import modelnet
from nnscratch.layerstring import takes_images
from nnscratch.model import Model
from nnscratch.network import Network
from nnscratch.spec import RunSpec

__all__ = ["NNClassifier", "NNRegressor"]

# RunSpec field -> the estimator parameter it comes from (errors name the parameter the user set)
_PARAMETER = {
    "hidden_sizes": "hidden_layer_sizes", "hidden": "activation", "epochs": "max_iter",
    "early_stopping": "n_iter_no_change", "val_split": "validation_fraction", "seed": "random_state",
}


class _NNBase(BaseEstimator):
    """Shared parameters and training of the two estimators."""

    _output = "identity"
    _task = "regression"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        optimizer="adam",
        lr=None,
        max_iter=200,
        batch_size=32,
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=None,
        dtype="float32",
        layers=None,
        image_shape=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.dtype = dtype
        self.layers = layers
        self.image_shape = image_shape

    # ------------------------------------------------------------ parameters → RunSpec

    def _spec(self) -> RunSpec:
        """The estimator's parameters as a RunSpec (``lr=None``: the optimizer's own default)."""
        seed = self._seed()
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else sizes
        early = bool(self.early_stopping)
        fields = dict(
            data="arrays", task=self._task, preprocess="none", output=self._output,
            hidden_sizes=tuple(sizes) if isinstance(sizes, (list, tuple)) else sizes, hidden=self.activation,
            optimizer=self.optimizer, lr=self.lr, epochs=self.max_iter, batch_size=self.batch_size,
            weight_decay=self.weight_decay, early_stopping=self.n_iter_no_change if early else 0,
            val_split=self.validation_fraction if early else 0.0, test_split=0.0, split_seed=seed, seed=seed,
            dtype=self.dtype, layers=self.layers,
        )
        try:
            return RunSpec(**fields)
        except ValueError as exc:
            field, _, rest = str(exc).partition(":")
            raise ValueError(f"{_PARAMETER.get(field, field)}:{rest}") from None

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        """Validated rows (N, n_features) as the Model takes them: images (N, C, H, W) when
        ``image_shape`` is given (each row holds an image's pixels in C order), else the rows."""
        if self.image_shape is None:
            if self.layers is not None and takes_images(self.layers):
                raise ValueError(f"image_shape: the layers {self.layers!r} read images; give the shape of "
                                 f"one, e.g. image_shape=(8, 8) or (3, 32, 32) for rows of C·H·W pixels")
            return X
        shape = self.image_shape
        if not isinstance(shape, (tuple, list)) or len(shape) not in (2, 3) or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in shape):
            raise ValueError(f"image_shape: expected (H, W) or (C, H, W) of positive integers, got {shape!r}")
        shape = (1, *shape) if len(shape) == 2 else tuple(shape)
        pixels = int(np.prod(shape))
        if pixels != X.shape[1]:
            raise ValueError(f"image_shape: {tuple(self.image_shape)} holds {pixels} pixels, but X has "
                             f"{X.shape[1]} features per row; expected C·H·W = {X.shape[1]}")
        return X.reshape(len(X), *(int(v) for v in shape))

    def _seed(self) -> int:
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    # ------------------------------------------------------------ fitted attributes

    @property
    def network_(self) -> Network:
        """The trained :class:`~nnscratch.Network` (``model_.network``)."""
        check_is_fitted(self, "model_")
        return self.model_.network

    def _finish(self) -> None:
        h = self.history_ = self.model_.history
        self.loss_curve_ = list(h.loss)
        self.loss_ = h.loss[-1] if h.loss else None
        self.n_iter_ = h.epochs
        self.t_ = h.steps

    def _forward(self, X) -> np.ndarray:
        """The network's output in float64. Predictions run on a float64 copy of the (float32)
        weights (a copy of a few arrays per call), so a row's prediction does not depend on which other
        rows share its batch."""
        check_is_fitted(self, "model_")
        X = _validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        net = self.model_.network
        net = net if net.dtype == np.float64 else net.copy(dtype="float64")
        x = modelnet.network_input(net, X.astype(np.float64, copy=False), self.model_.image_shape)
        return np.asarray(modelnet.outputs(net, x), dtype=np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class NNClassifier(ClassifierMixin, _NNBase):
    """A multilayer perceptron classifier (多クラス分類): hidden layers of ``activation``, a softmax
    output with cross entropy, trained by ``optimizer`` for ``max_iter`` epochs.

    Parameters: ``hidden_layer_sizes`` (tuple), ``activation`` (``"relu"``, ``"sigmoid"``, ``"tanh"``,
    ``"leaky_relu"``), ``optimizer`` (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``), ``lr`` (学習率; None: the optimizer's default, Adam 0.001, others 0.01),
    ``max_iter`` (epochs), ``batch_size`` (None for full batch), ``weight_decay`` (L2 λ),
    ``early_stopping`` with ``validation_fraction`` and ``n_iter_no_change``, ``random_state``, ``dtype``;
    ``layers`` a layer string instead of ``hidden_layer_sizes``/``activation`` (e.g.
    ``"conv8x3-relu-pool2-affine32-relu"``: a convolutional network, 畳み込みニューラルネットワーク) with
    ``image_shape`` (H, W) or (C, H, W): X keeps scikit-learn's rows, each an image's C·H·W pixels in C
    order (``images.reshape(len(images), -1)``).

    Fitted attributes: ``classes_``, ``model_`` (the :class:`~nnscratch.Model`), ``network_`` (its
    :class:`~nnscratch.Network`), ``history_``, ``loss_curve_``, ``n_iter_``, ``n_features_in_``.
    """

    _output = "softmax"
    _task = "classification"

    def fit(self, X, y):
        """Train a new network on (X, y); y holds class labels of any kind (numbers or strings)."""
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=False)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.model_ = Model(self._spec()).fit(self._inputs(X), y)
        self.classes_ = self.model_.encoder.values
        self._finish()
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch on this batch (the first call needs ``classes``, every label that will appear)."""
        first = not hasattr(self, "model_")
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], reset=first)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes: the first call to partial_fit needs classes=, every label to "
                                 "expect")
            if len(np.unique(np.asarray(classes))) < 2:
                raise ValueError(f"classes: expected at least 2 classes, got {list(classes)!r}")
            self.model_ = Model(self._spec())
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(
                f"classes: {list(classes)!r} differs from the first call's {list(self.classes_)!r}"
            )
        self.model_.partial_fit(self._inputs(X), y, classes=classes if first else None)
        self.classes_ = self.model_.encoder.values
        self._finish()
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax), one column per entry of ``classes_``."""
        p = self._forward(X)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class for each row."""
        p = self._forward(X)
        return self.classes_[np.argmax(p, axis=1)]


class NNRegressor(RegressorMixin, _NNBase):
    """A multilayer perceptron regressor (回帰): hidden layers of ``activation``, an identity output
    with squared error E = ½ Σ (y − d)², trained by ``optimizer`` for ``max_iter`` epochs on targets
    scaled to mean 0 and standard deviation 1 (the :class:`~nnscratch.Model`'s target encoding;
    predictions are in the target's units).

    Same parameters as :class:`NNClassifier`. ``y`` may be 1-D or have several target columns.
    Fitted attributes: ``model_``, ``network_``, ``history_``, ``loss_curve_`` (scaled units),
    ``n_iter_``, ``n_features_in_``.
    """

    def fit(self, X, y):
        """Train a new network on (X, y) with real-valued targets."""
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True)
        self._y_ndim = np.ndim(y)
        self.model_ = Model(self._spec()).fit(self._inputs(X), np.asarray(y, dtype=np.float64))
        self._finish()
        return self

    def partial_fit(self, X, y):
        """One epoch on this batch, continuing from the previous calls."""
        first = not hasattr(self, "model_")
        X, y = _validate_data(
            self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True, reset=first
        )
        if first:
            self._y_ndim = np.ndim(y)
            self.model_ = Model(self._spec())
        elif (1 if np.ndim(y) == 1 else np.shape(y)[1]) != self.model_.network.n_out:
            raise ValueError(
                f"y: expected {self.model_.network.n_out} target column(s) as before, got {np.shape(y)}"
            )
        self.model_.partial_fit(self._inputs(X), np.asarray(y, dtype=np.float64))
        self._finish()
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X) -> np.ndarray:
        """Predicted values in the target's units: shape (N,) for a 1-D ``y`` in fit, else (N, n_targets)."""
        y = self._forward(X)
        y = self.model_.encoder.decode(y)
        return y[:, 0] if self._y_ndim == 1 else y
