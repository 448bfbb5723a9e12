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

Training is ``nnscratch.train`` (mini-batch gradient descent, 勾配降下法); ``partial_fit`` runs one
epoch on the batch it is given, keeping the optimizer's state between calls (online learning,
オンライン学習). This module needs scikit-learn (the ``lab`` extra).
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


from nnscratch import optim
from nnscratch.network import Network
from nnscratch.training import EarlyStopping, train

__all__ = ["NNClassifier", "NNRegressor"]


class _NNBase(BaseEstimator):
    """Shared parameters and training of the two estimators."""

    _output = "identity"

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        optimizer="adam",
        lr=0.001,
        max_iter=200,
        batch_size=32,
        weight_decay=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        random_state=None,
        dtype="float32",
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

    # ------------------------------------------------------------ parameters

    def _check_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral):
            sizes = (sizes,)
        try:
            sizes = [int(s) for s in sizes]
        except (TypeError, ValueError):
            raise ValueError(
                f"hidden_layer_sizes: expected a tuple of positive integers like (100,), got {sizes!r}"
            ) from None
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes: expected positive sizes, got {self.hidden_layer_sizes!r}")
        self._hidden = sizes
        if (
            not isinstance(self.max_iter, numbers.Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 1
        ):
            raise ValueError(f"max_iter: expected a positive integer (epochs), got {self.max_iter!r}")
        if self.batch_size is not None and (
            not isinstance(self.batch_size, numbers.Integral)
            or isinstance(self.batch_size, bool)
            or self.batch_size < 1
        ):
            raise ValueError(f"batch_size: expected a positive integer or None, got {self.batch_size!r}")
        if not isinstance(self.validation_fraction, numbers.Real) or not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction: expected a number in (0, 1), got {self.validation_fraction!r}"
            )
        if not isinstance(self.n_iter_no_change, numbers.Integral) or self.n_iter_no_change < 1:
            raise ValueError(f"n_iter_no_change: expected a positive integer, got {self.n_iter_no_change!r}")

    def _seed(self) -> int:
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _new_network(self, n_in: int, n_out: int, seed: int) -> Network:
        return Network(
            [n_in, *self._hidden, n_out],
            hidden=self.activation,
            output=self._output,
            seed=seed,
            dtype=self.dtype,
        )

    def _new_optimizer(self):
        return optim.create(self.optimizer, self.lr)

    # ------------------------------------------------------------ training

    def _fit(self, X, d, n_out: int, stratify=None):
        self._check_params()
        seed = self._seed()
        self.network_ = self._new_network(X.shape[1], n_out, seed)
        self._optimizer = self._new_optimizer()
        validation = None
        callbacks = []
        if self.early_stopping:
            X, d, validation = self._hold_out(X, d, seed, stratify)
            if validation is not None:
                callbacks.append(EarlyStopping(patience=self.n_iter_no_change, monitor="val_loss"))
        self.history_ = train(
            self.network_,
            X,
            d,
            optimizer=self._optimizer,
            epochs=self.max_iter,
            batch_size=self._batch(len(X)),
            shuffle=True,
            seed=seed,
            validation_data=validation,
            callbacks=callbacks,
            weight_decay=self.weight_decay,
        )
        self._finish_epochs(seed)
        return self

    def _batch(self, n: int) -> int | None:
        return None if self.batch_size is None else min(int(self.batch_size), n)

    def _hold_out(self, X, d, seed, stratify):
        """A validation part for early stopping (stratified for classes); None when X is too small."""
        n = len(X)
        n_val = int(round(n * self.validation_fraction))
        if n_val < 1 or n - n_val < 1:
            return X, d, None
        rng = np.random.default_rng(seed)
        if stratify is not None:
            val = []
            for c in np.unique(stratify):
                members = rng.permutation(np.flatnonzero(stratify == c))
                val.extend(members[: int(round(len(members) * self.validation_fraction))].tolist())
            val = np.array(sorted(val), dtype=np.intp)
            if len(val) == 0 or len(val) == n:
                val = rng.permutation(n)[:n_val]
        else:
            val = rng.permutation(n)[:n_val]
        mask = np.ones(n, dtype=bool)
        mask[val] = False
        return X[mask], d[mask], (X[~mask], d[~mask])

    def _finish_epochs(self, seed) -> None:
        h = self.history_
        self.loss_curve_ = list(h.loss)
        self.loss_ = h.loss[-1] if h.loss else None
        self.n_iter_ = h.epochs
        self.t_ = h.steps
        self._epoch_seed = seed + h.epochs  # partial_fit continues with fresh batch orders

    def _partial_fit(self, X, d, n_out: int):
        first = not hasattr(self, "network_")
        if first:
            self._check_params()
            seed = self._seed()
            self.network_ = self._new_network(X.shape[1], n_out, seed)
            self._optimizer = self._new_optimizer()
            self._epoch_seed = seed
            self.loss_curve_ = []
            self.n_iter_ = 0
            self.t_ = 0
        h = train(
            self.network_,
            X,
            d,
            optimizer=self._optimizer,
            epochs=1,
            batch_size=self._batch(len(X)),
            shuffle=True,
            seed=self._epoch_seed,
            weight_decay=self.weight_decay,
            metrics=(),
        )
        self._epoch_seed += 1
        self.loss_curve_.append(h.loss[-1])
        self.loss_ = h.loss[-1]
        self.n_iter_ += 1
        self.t_ += h.steps
        return self

    def _forward(self, X) -> np.ndarray:
        """The network's output in float64. Predictions run on a float64 copy of the (float32)
        weights (a copy of a few arrays per call), so a row's prediction does not depend on which other
        rows share its batch."""
        check_is_fitted(self, "network_")
        X = _validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        net = self.network_ if self.network_.dtype == np.float64 else self.network_.copy(dtype="float64")
        return np.asarray(net.predict(X.astype(np.float64, copy=False)), dtype=np.float64)

    # ------------------------------------------------------------ pickling

    def __getstate__(self):
        """The network as (architecture, parameter arrays) and the optimizer as its state dict: plain
        arrays only, so an unpickled (even memory-mapped, read-only) copy is rebuilt with fresh buffers."""
        state = super().__getstate__()
        state = dict(state)
        net = state.pop("network_", None)
        if net is not None:
            state["_network_state"] = (net.architecture(), dict(net.params))
        opt = state.pop("_optimizer", None)
        if opt is not None:
            state["_optimizer_state"] = opt.state_dict()
        return state

    def __setstate__(self, state):
        state = dict(state)
        net_state = state.pop("_network_state", None)
        opt_state = state.pop("_optimizer_state", None)
        super().__setstate__(state)
        if net_state is not None:
            arch, params = net_state
            self.network_ = Network.from_params(
                {k: np.array(v) for k, v in params.items()},
                hidden=arch["hidden"],
                output=arch["output"],
                loss=arch["loss"],
                dtype=arch["dtype"],
            )
        if opt_state is not None:
            meta, arrays = opt_state
            self._optimizer = optim.create(meta["name"])
            self._optimizer.load_state_dict(meta, {k: np.array(v) for k, v in arrays.items()})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class NNClassifier(ClassifierMixin, _NNBase):
    """A multilayer perceptron classifier (多クラス分類): hidden layers of ``activation``, a softmax
    output with cross entropy, trained by ``optimizer`` for ``max_iter`` epochs.

    Parameters: ``hidden_layer_sizes`` (tuple), ``activation`` (``"relu"``, ``"sigmoid"``, ``"tanh"``,
    ``"leaky_relu"``), ``optimizer`` (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
    ``"rmsprop"``, ``"adam"``), ``lr`` (学習率), ``max_iter`` (epochs), ``batch_size`` (None for full
    batch), ``weight_decay`` (L2 λ), ``early_stopping`` with ``validation_fraction`` and
    ``n_iter_no_change``, ``random_state``, ``dtype``.

    Fitted attributes: ``classes_``, ``network_`` (the :class:`~nnscratch.Network`), ``history_``,
    ``loss_curve_``, ``n_iter_``, ``n_features_in_``.
    """

    _output = "softmax"

    def fit(self, X, y):
        """Train a new network on (X, y); y holds class labels of any kind (numbers or strings)."""
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=False)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y: expected samples of at least 2 classes to learn from, got 1 class ({self.classes_[0]!r})"
            )
        return self._fit(X, labels.astype(np.intp), len(self.classes_), stratify=labels)

    def partial_fit(self, X, y, classes=None):
        """One epoch on this batch (the first call needs ``classes``, every label that will appear)."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], reset=first)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError(
                    "classes: the first call to partial_fit needs classes=, every label to expect"
                )
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"classes: expected at least 2 classes, got {list(self.classes_)!r}")
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(
                f"classes: {list(classes)!r} differs from the first call's {list(self.classes_)!r}"
            )
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(f"y: labels {list(unknown)[:5]!r} are not in classes {list(self.classes_)!r}")
        labels = np.searchsorted(self.classes_, y)
        return self._partial_fit(X, labels.astype(np.intp), len(self.classes_))

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
    with squared error E = ½ Σ (y − d)², trained by ``optimizer`` for ``max_iter`` epochs.

    Same parameters as :class:`NNClassifier`. ``y`` may be 1-D or have several target columns.
    Fitted attributes: ``network_``, ``history_``, ``loss_curve_``, ``n_iter_``, ``n_features_in_``.
    """

    _output = "identity"

    def _targets(self, y) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return y[:, None] if y.ndim == 1 else y

    def fit(self, X, y):
        """Train a new network on (X, y) with real-valued targets."""
        X, y = _validate_data(self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True)
        self._y_ndim = np.ndim(y)
        d = self._targets(y)
        return self._fit(X, d, d.shape[1])

    def partial_fit(self, X, y):
        """One epoch on this batch, continuing from the previous calls."""
        first = not hasattr(self, "network_")
        X, y = _validate_data(
            self, X, y, dtype=[np.float64, np.float32], y_numeric=True, multi_output=True, reset=first
        )
        d = self._targets(y)
        if first:
            self._y_ndim = np.ndim(y)
        elif d.shape[1] != self.network_.sizes[-1]:
            raise ValueError(
                f"y: expected {self.network_.sizes[-1]} target column(s) as before, got {d.shape[1]}"
            )
        return self._partial_fit(X, d, d.shape[1])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X) -> np.ndarray:
        """Predicted values: shape (N,) for a 1-D ``y`` in fit, else (N, n_targets)."""
        y = self._forward(X)
        return y[:, 0] if self._y_ndim == 1 else y
