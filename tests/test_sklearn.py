"""scikit-learn estimators: check_estimator, Pipeline, GridSearchCV, partial_fit, pickling."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from nnscratch import Network
from nnscratch.sklearn import NNClassifier, NNRegressor

# Every scikit-learn check is expected to pass; a check that may not would be listed here with its reason.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@pytest.mark.parametrize(
    "estimator", [NNClassifier(max_iter=10, random_state=0), NNRegressor(max_iter=10, random_state=0)],
    ids=["NNClassifier", "NNRegressor"],
)
def test_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED_CHECKS, on_fail=None,
                                  on_skip=None)
    failed = [(r["check_name"], str(r["exception"])[:300]) for r in results if r["status"] == "failed"]
    assert not failed
    passed = sum(r["status"] == "passed" for r in results)
    assert passed >= 45  # the checks really ran


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    return x[order], y[order]


def test_classifier_learns_iris_in_a_pipeline(iris):
    x, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]  # string labels work
    model = make_pipeline(StandardScaler(), NNClassifier(hidden_layer_sizes=(16,), lr=0.01, max_iter=60,
                                                         random_state=0))
    model.fit(x[:100], names[:100])
    assert model.score(x[100:], names[100:]) >= 0.9
    assert set(model.predict(x[100:])) <= set(names)
    proba = model.predict_proba(x[100:])
    assert proba.shape == (50, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    est = model[-1]
    assert list(est.classes_) == ["setosa", "versicolor", "virginica"]
    assert isinstance(est.network_, Network) and est.network_.sizes == [4, 16, 3]
    assert est.n_iter_ == 60 and len(est.loss_curve_) == 60 and est.loss_curve_[-1] < est.loss_curve_[0]


def test_grid_search_and_cross_validation(iris):
    x, y = iris
    pipe = make_pipeline(StandardScaler(), NNClassifier(max_iter=15, random_state=0))
    grid_values = {"nnclassifier__hidden_layer_sizes": [(4,), (16,)], "nnclassifier__lr": [1e-3, 1e-2]}
    grid = GridSearchCV(pipe, grid_values, cv=3)
    grid.fit(x, y)
    assert set(grid.best_params_) == {"nnclassifier__hidden_layer_sizes", "nnclassifier__lr"}
    assert grid.best_score_ > 0.8
    est = NNClassifier(max_iter=20, lr=0.01, random_state=0)
    scores = cross_val_score(est, StandardScaler().fit_transform(x), y, cv=3)
    assert scores.mean() > 0.8


def test_get_set_params_and_clone_defaults():
    est = NNClassifier()
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (100,) and params["optimizer"] == "adam"
    est.set_params(lr=0.05, hidden_layer_sizes=(8, 4))
    assert est.lr == 0.05 and est.get_params()["hidden_layer_sizes"] == (8, 4)
    with pytest.raises(ValueError, match="max_iter"):
        NNClassifier(max_iter=0).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="optimizer"):
        NNClassifier(optimizer="lbfgs").fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        NNClassifier().fit([[0.0], [1.0]], [1, 1])


def test_same_random_state_same_model(iris):
    x, y = iris
    a = NNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=3).fit(x, y)
    b = NNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=3).fit(x, y)
    c = NNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=4).fit(x, y)
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))
    assert not np.array_equal(a.predict_proba(x), c.predict_proba(x))


def test_partial_fit_learns_online(iris):
    x, y = iris
    xs = StandardScaler().fit_transform(x)
    est = NNClassifier(hidden_layer_sizes=(16,), lr=0.01, batch_size=10, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(xs[:10], y[:10])
    first = None
    for _epoch in range(15):
        for s in range(0, 150, 50):  # data arrives in chunks
            est.partial_fit(xs[s:s + 50], y[s:s + 50], classes=[0, 1, 2])
        first = first if first is not None else est.loss_curve_[0]
    assert est.n_iter_ == 45 and est.loss_curve_[-1] < first / 2
    assert est.score(xs, y) > 0.9
    with pytest.raises(ValueError, match="not in classes"):
        est.partial_fit(xs[:2], [0, 7])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(xs[:2, :3], [0, 1])


def test_regressor_fits_the_course_function_and_multi_output():
    rng = np.random.default_rng(0)
    x = rng.random((300, 2))
    y = 3 * x[:, 0] + 2 * x[:, 1]
    est = NNRegressor(hidden_layer_sizes=(10,), lr=0.01, max_iter=100, random_state=0).fit(x[:200], y[:200])
    assert est.score(x[200:], y[200:]) > 0.95
    assert est.predict(x[:3]).shape == (3,)
    two = NNRegressor(hidden_layer_sizes=(10,), lr=0.01, max_iter=30, random_state=0).fit(
        x, np.column_stack([y, -y]))
    assert two.predict(x[:3]).shape == (3, 2)
    online = NNRegressor(hidden_layer_sizes=(10,), lr=0.01, random_state=0)
    for _ in range(20):
        online.partial_fit(x, y)
    assert online.score(x, y) > 0.9


def test_early_stopping_stops(iris):
    x, y = iris
    xs = StandardScaler().fit_transform(x)
    est = NNClassifier(hidden_layer_sizes=(16,), lr=0.05, max_iter=500, early_stopping=True,
                       n_iter_no_change=5, random_state=0).fit(xs, y)
    assert est.n_iter_ < 500 and est.history_.val_loss


def test_pickle_round_trip_keeps_predictions_and_training_state(iris):
    x, y = iris
    xs = StandardScaler().fit_transform(x)
    est = NNClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(xs, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict_proba(xs), est.predict_proba(xs))
    est.partial_fit(xs, y)
    back.partial_fit(xs, y)  # the optimizer state came along: both continue identically
    np.testing.assert_array_equal(back.predict_proba(xs), est.predict_proba(xs))


# ---------------------------------------------------------------- convolutional networks (layers=)

CONV = "conv4x3-relu-pool2-affine16-relu"


def test_a_convolutional_classifier_in_a_pipeline_reads_rows_of_pixels_as_images():
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    clf = make_pipeline(MinMaxScaler(), NNClassifier(layers=CONV, image_shape=(8, 8), max_iter=10, lr=0.01,
                                                     random_state=0))
    clf.fit(X[:1200], y[:1200])
    est = clf[-1]
    assert est.network_.layers[0].in_channels == 1 and est.model_.image_shape == (8, 8)
    assert clf.score(X[1200:], y[1200:]) > 0.7  # ten classes: chance is 0.1
    proba = clf.predict_proba(X[1200:1300])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.classes_[proba.argmax(axis=1)], clf.predict(X[1200:1300]))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(X[:50]), clf.predict(X[:50]))


def test_grid_search_over_layer_strings_and_colour_images():
    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16
    search = GridSearchCV(NNClassifier(image_shape=(8, 8), max_iter=3, lr=0.01, random_state=0),
                          {"layers": [CONV, "conv4x3p1-relu-pool2-affine16-relu"]}, cv=2)
    search.fit(X, y[:400])
    assert search.best_params_["layers"] in (CONV, "conv4x3p1-relu-pool2-affine16-relu")
    colour = np.hstack([X, 1 - X, X ** 2])  # rows of 3·8·8 pixels, channel by channel
    clf = NNClassifier(layers=CONV, image_shape=(3, 8, 8), max_iter=2, random_state=0).fit(colour, y[:400])
    assert clf.network_.layers[0].in_channels == 3 and clf.n_features_in_ == 192
    reg = NNRegressor(layers="conv2x3-relu-affine8-relu", image_shape=(1, 8, 8), max_iter=2, random_state=0)
    reg.fit(X, y[:400].astype(float)).partial_fit(X[:50], y[:50].astype(float))
    assert reg.predict(X[:3]).shape == (3,) and reg.n_iter_ == 3


@pytest.mark.parametrize("params, match", [
    ({"layers": CONV}, r"image_shape: the layers .* read images; give the shape of one"),
    ({"layers": CONV, "image_shape": (7, 7)}, r"image_shape: \(7, 7\) holds 49 pixels, but X has 64"),
    ({"layers": CONV, "image_shape": (8,)}, r"image_shape: expected \(H, W\) or \(C, H, W\) of positive"),
    ({"layers": CONV, "image_shape": (8, 0)}, r"image_shape: expected \(H, W\)"),
    ({"layers": CONV, "image_shape": "8x8"}, r"image_shape: expected \(H, W\)"),
    ({"layers": "conv4y3"}, r"layers: token 1 'conv4y3' is not a layer"),
])
def test_bad_layers_and_image_shapes_are_one_line_errors(params, match):
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        NNClassifier(max_iter=1, **params).fit(X[:40], y[:40])
