"""Model: what a user trains, saves, loads and serves (学習済みモデル).

A :class:`Model` is a :class:`~nnscratch.Network` (or a :class:`~nnscratch.Sequential` of a layer
string, e.g. a convolutional network) together with everything needed to use it on raw
rows: the feature scaling fitted on its training part, the target encoding (class names, or the
regression target's scaling), the feature names, the :class:`~nnscratch.RunSpec` that made it, its final
metrics, its history and where it came from (library version, date, a fingerprint of the data).

An example is in :class:`Model`'s docstring (``help(nnscratch.Model)``).
The file is the library's ``.npz`` + JSON (never pickle); its metadata is checked field by field on
load (schema: :mod:`nnscratch.files.model`), so a file from someone else cannot make it misbehave.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnscratch import _display, datasets, metrics, modelnet, optim
from nnscratch import modelparts as _file
from nnscratch.network import Sequential
from nnscratch.preprocessing import Preprocessor, TargetEncoder, from_arrays, split
from nnscratch.spec import RunSpec
from nnscratch.training import Callback, EarlyStopping, History, train
from nnscratch.training.checkpoint import Checkpoint

__all__ = ["Model", "load"]


class Model:
    """Preprocessing + :class:`~nnscratch.Network` + target encoding + metadata, made from a RunSpec.

    ``Model(spec)`` or ``Model(**fields)`` (any :class:`RunSpec` field) is unfitted; :meth:`fit`
    loads the spec's data (or takes given arrays), splits it, fits the scaling on the training part,
    builds and trains the network, and records the metrics of every part.

    >>> import nnscratch
    >>> model = nnscratch.Model(data="animals", hidden_sizes=[16], epochs=30, seed=0).fit()
    >>> sorted(model.metrics)
    ['test', 'train', 'validation']
    >>> model.predict([[0.2, 4, 3.0, 30]])          # raw rows in, class names out
    array(['cat'], dtype=object)
    >>> model.save("animals.npz"); same = nnscratch.load("animals.npz")   # doctest: +SKIP
    """

    def __init__(self, spec: RunSpec | dict | None = None, **fields: Any) -> None:
        if spec is None:
            spec = RunSpec(**fields)
        elif isinstance(spec, dict):
            spec = RunSpec.from_dict({**spec, **fields})
        elif not isinstance(spec, RunSpec):
            raise TypeError(f"spec: expected a RunSpec, a dict or keyword fields, got {type(spec).__name__}")
        elif fields:
            spec = spec.replace(**fields)
        self.spec: RunSpec = spec
        self.network: Sequential | None = None  # a Network (hidden sizes) or a stack (a layer string)
        self.task: str | None = None
        self.feature_names: list[str] | None = None
        self.target: str | None = None
        self.preprocessor = Preprocessor("none")
        self.encoder: TargetEncoder | None = None
        self.metrics: dict[str, dict[str, float]] = {}
        self.history: History | None = None
        self.training: dict[str, Any] = {}
        self.provenance: dict[str, Any] = {}
        self.image_shape: tuple[int, int] | None = None
        self.stream: dict[str, Any] | None = None
        self.parts: dict[str, int] = {}
        self._held_out: tuple[np.ndarray, np.ndarray] | None = None  # the test part, while in memory
        self._optimizer = None  # kept after fit: partial_fit continues its state

    # ================================================================ training

    def fit(self, x: object = None, y: object = None, *, callbacks: Sequence[Callback] = (),
            checkpoint: str | None = None, resume: bool | Checkpoint = False, name: str | None = None,
            verbose: bool = False) -> Model:
        """Train on the spec's data, on a :class:`~nnscratch.datasets.Dataset`, or on given rows ``x``
        and targets ``y`` (``name`` names them; the spec's ``data`` becomes that name). The validation
        and test parts are split off by the spec's fractions. Returns ``self``.

        ``callbacks`` observe the training (e.g. a progress display; :attr:`parts` and :attr:`network`
        are set before the first epoch); ``checkpoint``/``resume``/``verbose`` (in a notebook a progress
        bar and a live loss curve, else one line per epoch) as in :func:`nnscratch.train`; ``resume`` True
        (from the file ``checkpoint``) or a ``Checkpoint`` read by ``training.checkpoint.read_checkpoint``.
        """
        (xtr, ytr), (xva, yva), (xte, yte) = self.prepare(x, y, name=name).values()
        cbs: list[Callback] = []
        if self.spec.early_stopping:
            cbs.append(EarlyStopping(patience=self.spec.early_stopping, monitor="val_loss"))
        schedule = self.spec.make_schedule()
        if schedule is not None:
            cbs.append(schedule)
        started = time.perf_counter()
        self.history = self._train(xtr, ytr, self.spec.epochs, self.spec.seed, (xva, yva), [*cbs, *callbacks],
                                   checkpoint=checkpoint, verbose=verbose,
                                   resume=checkpoint if resume is True else (resume or None))
        self._record(time.perf_counter() - started, xtr, ytr, xva, yva, xte, yte)
        return self

    def prepare(self, x: object = None, y: object = None, *, name: str | None = None
                ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """:meth:`fit` up to its first step: take the data as ``fit`` does, split it, fit the scaling
        and the target encoding on the training part, build the untrained network (and optimizer).
        Returns ``{"train", "validation", "test"}`` → (rows, targets) as the network sees them, for a
        caller that trains step by step itself (the playground's :class:`~nnscratch.Trainer`)."""
        data = self._data(x, y, name)
        parts = split(data, self.spec.val_split, self.spec.test_split, self.spec.split_seed)
        self._setup(data, parts[0])
        self.network = modelnet.new_network(self.spec, self.task, self._output, data)
        prepared = {k: self._prepare(p) for k, p in zip(("train", "validation", "test"), parts, strict=True)}
        self.parts = {k: len(v[0]) for k, v in prepared.items()}
        self._held_out = parts[2] if len(parts[2][0]) else None
        self._optimizer = self.spec.make_optimizer()
        return prepared

    def partial_fit(self, x: object, y: object, *, classes: Sequence[object] | None = None) -> Model:
        """One epoch on this batch, continuing the optimizer's state (逐次学習): the first call fits
        the scaling and the target encoding on its batch (``classes`` lists every class to expect)."""
        if self.network is None:
            data = from_arrays(x, y, self.spec.task, "arrays", self.spec.dtype, classes)
            self._data_checks(data)
            self._setup(data, (data.x, data.y))
            self.network = modelnet.new_network(self.spec, self.task, self._output, data)
            self._optimizer = self.spec.make_optimizer()
            self.history = History()
            xs, ys = self._prepare((data.x, data.y))
        else:
            if self._optimizer is None:  # a model read from a file: its optimizer's state is not in it
                self._optimizer = self.spec.make_optimizer()
            if self.history is None:
                self.history = History()
            xs = self._inputs(self._rows(x), self.spec.dtype)
            ys = self.encoder.encode(y) if self.task == "regression" else self.encoder.indices(np.asarray(y))
            ys = self._as_network_targets(ys)
        one = self._train(xs, ys, 1, self.spec.seed + self.history.epochs, (xs[:0], ys[:0]), [], metrics=())
        for key in ("loss", "lr", "epoch_time"):
            getattr(self.history, key).extend(getattr(one, key))
        self.history.steps += one.steps
        return self

    def _train(self, x: np.ndarray, y: np.ndarray, epochs: int, seed: int, validation: tuple, cbs: list,
               **options: Any) -> History:
        s = self.spec
        return train(self.network, x, y, optimizer=self._optimizer, epochs=epochs, batch_size=s.batch_size,
                     shuffle=True, seed=seed, validation_data=validation if len(validation[0]) else None,
                     callbacks=cbs, weight_decay=s.weight_decay, clip_norm=s.clip_norm, **options)

    def _record(self, seconds: float, xtr, ytr, xva, yva, xte, yte) -> None:
        history, s = self.history, self.spec
        self.metrics = {"train": self._scores(xtr, ytr)}
        if len(xva):
            self.metrics["validation"] = self._scores(xva, yva)
        if len(xte):
            self.metrics["test"] = self._scores(xte, yte)
        self.training = {
            "optimizer": s.optimizer, "lr": history.lr[0] if history.lr else s.learning_rate,
            "epochs": history.epochs, "batch_size": s.batch_size, "weight_decay": s.weight_decay,
            "seed": s.seed, "split_seed": s.split_seed, "val_split": s.val_split, "test_split": s.test_split,
            "hidden": s.hidden if isinstance(s.hidden, str) else list(s.hidden), "layers": s.layers,
            "steps": history.steps, "seconds": round(seconds, 3), "best_epoch": history.best_epoch,
        }

    def _data(self, x: object, y: object, name: str | None) -> datasets.Dataset:
        if x is None:
            if y is not None:
                raise ValueError("x: given y but no x; pass both, or neither to use the spec's data")
            data = datasets.load(self.spec.data, target=self.spec.target, task=self.spec.task)
            source = self.spec.data if datasets.is_named(self.spec.data) else os.fspath(self.spec.data)
        elif isinstance(x, datasets.Dataset):
            if y is not None:
                raise ValueError("y: a Dataset carries its targets; pass the Dataset alone")
            data, source = x, name or x.name
            self.spec = self.spec.replace(data=source)
        else:
            name = name or "arrays"
            data = from_arrays(x, y, self.spec.task, name, self.spec.dtype)
            source = name
            self.spec = self.spec.replace(data=name)
        self._data_checks(data)
        self.provenance = {"data": source, "data_source": data.source,
                           "data_fingerprint": _file.fingerprint(data)}
        return data

    def _data_checks(self, data: datasets.Dataset) -> None:
        if self.spec.task != "auto" and data.task != self.spec.task:
            raise ValueError(f"task: the data set {data.name!r} is {data.task}, not {self.spec.task}")
        if data.task == "classification" and (data.n_classes or 0) < 2:
            n = data.n_classes or 0
            raise ValueError(f"y: expected samples of at least 2 classes to learn from, got {n} "
                             f"class{'' if n == 1 else 'es'} in {data.name!r}")

    def _setup(self, data: datasets.Dataset, train_part: tuple[np.ndarray, np.ndarray]) -> None:
        self.task = data.task
        self.feature_names = list(data.feature_names)
        self.target = data.target
        self.image_shape = tuple(data.image_shape) if data.image_shape is not None else None
        image = data.image_shape is not None
        self.preprocessor = Preprocessor.fit(self.spec.preprocess, train_part[0], image)
        self.encoder = TargetEncoder.fit(data, train_part[1])

    def _prepare(self, part: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        x, y = part
        xs = self._inputs(x, self.spec.dtype)
        ys = np.asarray(y) if self.task == "classification" else self.encoder.encode(y)
        return xs, self._as_network_targets(ys)

    def _as_network_targets(self, ys: np.ndarray) -> np.ndarray:
        """Label indices as a one-column 0/1 array for a sigmoid output; otherwise as they are."""
        if self.task == "classification" and self._output == "sigmoid":
            return ys.astype(self.spec.dtype).reshape(-1, 1)
        return ys

    @property
    def _output(self) -> str:
        if self.spec.output != "auto":
            return self.spec.output
        return "softmax" if self.task == "classification" else "identity"

    # ================================================================ using it

    def _check_fitted(self) -> Sequential:
        if self.network is None:
            raise ValueError("model: not trained yet; call fit() or load a saved model first")
        return self.network

    def _rows(self, x: object) -> np.ndarray:
        """Raw rows as a 2-D array in the model's column order (a Dataset is aligned by name; images
        (N, C, H, W) or (N, H, W) of an image model become rows of their pixels)."""
        n_in = self.n_features
        if isinstance(x, datasets.Dataset):
            return self._align(x)[0]
        a = np.asarray(x)
        if a.dtype == object or a.dtype.kind not in "biuf":
            raise TypeError(f"x: expected rows of numbers, got an array of dtype {a.dtype}")
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim in (3, 4) and self.image_shape is not None and int(np.prod(a.shape[1:])) == n_in:
            a = a.reshape(len(a), n_in)
        if a.ndim != 2 or a.shape[1] != n_in:
            raise ValueError(f"x: expected rows of {n_in} features (shape (N, {n_in})), got shape "
                             f"{np.shape(x)}")
        return a

    @property
    def n_features(self) -> int:
        """Raw features per sample the model reads: columns, or an image's pixels C·H·W."""
        return modelnet.n_features(self._check_fitted(), self.image_shape)

    def _inputs(self, rows: np.ndarray, dtype: object) -> np.ndarray:
        """Scaled rows as the network reads them (images (N, C, H, W) for a convolutional network)."""
        scaled = self.preprocessor.transform(rows, dtype)
        return modelnet.network_input(self.network, scaled, self.image_shape)

    def predict_proba(self, x: object) -> np.ndarray:
        """Class probabilities, one column per class (a sigmoid output gives [1 − p, p])."""
        net = self._check_fitted()
        if self.task != "classification":
            raise ValueError("predict_proba: this model predicts numbers (regression); use predict")
        y = modelnet.outputs(net, self._inputs(self._rows(x), net.dtype))
        if net.output == "sigmoid" and y.shape[1] == 1:
            return np.column_stack([1 - y[:, 0], y[:, 0]])
        return y

    def predict(self, x: object) -> np.ndarray:
        """Raw rows in; class names (classification) or values in the target's units (regression) out."""
        net = self._check_fitted()
        if self.task == "classification":
            return self.encoder.decode(np.argmax(self.predict_proba(x), axis=1))
        y = modelnet.outputs(net, self._inputs(self._rows(x), net.dtype))
        values = self.encoder.decode(y)
        return values[:, 0] if values.shape[1] == 1 else values

    def evaluate(self, x: object = None, y: object = None) -> dict[str, float]:
        """Loss and accuracy (classification), or loss, RMSE and R² in the target's units (regression),
        and the number of samples.

        ``evaluate()`` uses the held-out test part: kept in memory after :meth:`fit`, re-created from
        the split for a loaded model — but only when its data is one of the library's bundled or
        generated sets (data named inside a file is never opened or downloaded). ``evaluate(data)``
        takes a :class:`~nnscratch.datasets.Dataset`, a data set name or a file; ``evaluate(x, y)``
        raw rows and targets (class names or label indices).
        """
        self._check_fitted()
        if x is None:
            xs, ys = self._test_part()
        elif y is None:
            data = x if isinstance(x, datasets.Dataset) else datasets.load(x, task=self.task or "auto")
            xs, ys = self._align(data)
        else:
            xs, ys = self._rows(x), np.asarray(y)
        ys = self.encoder.encode(ys) if self.task == "regression" else self.encoder.indices(np.asarray(ys))
        return self._scores(self._inputs(xs, self.network.dtype), self._as_network_targets(ys))

    def _test_part(self) -> tuple[np.ndarray, np.ndarray]:
        if self._held_out is not None:
            return self._held_out
        name = self.provenance.get("data") or self.spec.data
        if not datasets.is_local(name):
            raise ValueError(f"data: the model was trained on {name!r}, which evaluate() does not open by "
                             f"itself; pass the data, e.g. model.evaluate(data) or --data NAME|FILE")
        data = datasets.load(name, task=self.task)
        test = split(data, self.spec.val_split, self.spec.test_split, self.spec.split_seed)[2]
        if not len(test[0]):
            raise ValueError(f"data: the model holds no test part of {name!r} (test_split 0); pass data")
        return test

    def _align(self, data: datasets.Dataset) -> tuple[np.ndarray, np.ndarray]:
        """Features in the model's column order, targets as given (names via the data's own names)."""
        n_in = self.n_features
        names = self.feature_names
        if names and set(names) <= set(data.feature_names):
            x = data.x[:, [data.feature_names.index(n) for n in names]]
        elif data.n_features == n_in:
            x = data.x
        else:
            raise ValueError(f"data: the model expects {n_in} features, {data.name!r} has {data.n_features}")
        if (self.task == "regression") != (data.task == "regression"):
            what = "numbers (regression)" if self.task == "regression" else "classes"
            raise ValueError(f"data: the model predicts {what}, but {data.name!r} has "
                             f"{'class labels' if data.task == 'classification' else 'numeric targets'}")
        if data.task == "classification":
            given = data.target_names or [str(i) for i in range(int(data.y.max()) + 1)]
            return x, np.array(given, dtype=object)[data.y]
        return x, data.y

    def _scores(self, x: np.ndarray, y_model: np.ndarray) -> dict[str, float]:
        """Metrics on preprocessed rows and encoded targets (see :func:`nnscratch.metrics.scores`)."""
        return metrics.scores(self.network, self.encoder.decode, x, y_model)

    # ================================================================ copies

    def __getstate__(self) -> dict[str, Any]:
        # the network as (architecture, arrays) and the optimizer as its state: an unpickled copy (even
        # a read-only memory map, as joblib makes) is rebuilt with fresh, writable buffers
        state = self.__dict__.copy()
        net, opt = state.pop("network"), state.pop("_optimizer")
        state["_network_state"] = None if net is None else modelnet.state(net)
        state["_optimizer_state"] = None if opt is None else opt.state_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        net_state, opt_state = state.pop("_network_state"), state.pop("_optimizer_state")
        self.__dict__.update(state)
        self.network = self._optimizer = None
        if net_state is not None:
            self.network = modelnet.from_state(net_state)
        if opt_state is not None:
            meta, arrays = opt_state
            self._optimizer = optim.create(meta["name"])
            self._optimizer.load_state_dict(meta, {k: np.array(v) for k, v in arrays.items()})

    # ================================================================ files

    def save(self, path: str | os.PathLike) -> None:
        """Write the model (.npz arrays + JSON metadata, atomically, never pickle)."""
        _file.save(self, self._check_fitted(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Model:
        """Read a model file (one written by nnscratch 0.1.0 too); every metadata field is checked."""
        return _file.load(cls, path)

    def summary(self) -> str:
        """The network's layers, then the data, preprocessing, classes, training and final metrics
        (what ``nnscratch summary`` prints; a notebook shows its lines)."""
        self._check_fitted()
        return _display.Text(_file.describe(self))

    def _repr_html_(self) -> str:
        """Jupyter: the final metrics as a table (accuracy as a percentage), the summary, the diagram."""
        return _file.describe_html(self)

    def __repr__(self) -> str:
        if self.network is None:
            return f"Model(unfitted, data={self.spec.data!r})"
        what = f"{len(self.encoder.classes or [])} classes" if self.task == "classification" else "regression"
        return (f"Model({modelnet.describe(self.network, self.spec)}, {what}, data="
                f"{self.provenance.get('data', self.spec.data)!r})")


def load(path: str | os.PathLike) -> Model | Sequential | object:
    """``nnscratch.load``: what was saved — a :class:`Model` for a model's file, the network
    (:class:`~nnscratch.Network` or :class:`~nnscratch.Sequential`) for a network's file
    (``net.save``), a VAE for a VAE's file.

    >>> nnscratch.load("xor.npz").predict([[0.9, 0.8]])   # a file from model.save  # doctest: +SKIP
    """
    from nnscratch import io
    from nnscratch.generative.vae import load_vae

    try:
        net, meta = io.load_with_metadata(path)
    except ValueError:
        try:
            return load_vae(path)
        except ValueError:
            pass
        raise  # the file's own error, as reading it as a network found it
    return _file.from_file_parts(Model, net, meta, path)
