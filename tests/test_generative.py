"""nnscratch.generative: the Gaussian generative classifier against scikit-learn's LDA/QDA, and the VAE —
its whole loss gradient-checked in float64 with ε fixed, its training, sampling and safe file."""

from __future__ import annotations

import time

import numpy as np
import pytest

from needs import need_module as need
from nnscratch import datasets
from nnscratch.functions import numerical_gradient
from nnscratch.generative import VAE, GaussianClassifier, load_vae
from nnscratch.gradcheck import relative_error

# ------------------------------------------------------------------ GaussianClassifier


def _data(name: str):
    if name == "blobs":
        d = datasets.blobs(n_samples=600, n_classes=3, spread=2.5, seed=3)
    elif name == "moons":
        d = datasets.moons(n_samples=500, noise=0.3, seed=1)
    else:
        d = datasets.iris()
    return np.asarray(d.x, dtype=np.float64), np.asarray(d.y)


@pytest.mark.parametrize("name", ["blobs", "moons", "iris"])
@pytest.mark.parametrize("shared", [True, False])
def test_agrees_with_sklearn(name, shared):
    da = need("sklearn.discriminant_analysis")
    x, y = _data(name)
    ours = GaussianClassifier(shared_covariance=shared).fit(x, y)
    if shared:
        ref = da.LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True).fit(x, y)
        ref_covs = np.broadcast_to(ref.covariance_, ours.covariances_.shape)
    else:
        ref = da.QuadraticDiscriminantAnalysis(store_covariance=True).fit(x, y)
        ref_covs = np.stack(ref.covariance_)
        counts = np.bincount(np.searchsorted(ours.classes_, y))
        ml = np.allclose(ref_covs, ours.covariances_, rtol=0, atol=1e-10)
        if not ml:  # scikit-learn before 1.9: the unbiased 1/(n_k − 1) estimate
            ref_covs = ref_covs * ((counts - 1) / counts)[:, None, None]
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.covariances_, ref_covs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.priors_, ref.priors_, rtol=0, atol=1e-12)
    grid = np.random.default_rng(0).uniform(x.min(0) - 1, x.max(0) + 1, size=(4000, x.shape[1]))
    points = np.vstack([x, grid])
    assert np.mean(ours.predict(points) == ref.predict(points)) >= 0.995
    np.testing.assert_allclose(ours.predict_proba(x), ref.predict_proba(x), atol=1e-6)


def test_shared_covariance_is_the_pooled_ml_estimate():
    x, y = _data("blobs")
    clf = GaussianClassifier(shared_covariance=True).fit(x, y)
    per = GaussianClassifier().fit(x, y)
    pooled = np.einsum("k,kij->ij", per.priors_, per.covariances_)
    for cov in clf.covariances_:
        np.testing.assert_allclose(cov, pooled, atol=1e-12)
    assert not np.allclose(per.covariances_[0], per.covariances_[1])


def test_log_space_is_stable_far_away():
    x, y = _data("blobs")
    clf = GaussianClassifier().fit(x, y)
    far = np.array([[1e4, -1e4], [-3e3, 5e3]])
    proba = clf.predict_proba(far)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1)
    assert np.isfinite(clf.predict_log_proba(far)).all()
    # naive Bayes' rule with densities underflows to 0/0 there; the log-space one picks a class
    assert np.exp(clf.class_log_density(far)).sum() == 0


def test_labels_and_sampling():
    x, y = _data("blobs")
    names = np.array(["a", "b", "c"])[y]
    clf = GaussianClassifier().fit(x, names)
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert set(clf.predict(x[:20])) <= {"a", "b", "c"}
    xs, ys = clf.sample(20000, seed=0)
    assert xs.shape == (20000, 2)
    np.testing.assert_allclose(np.mean(ys == "b"), clf.priors_[1], atol=0.01)
    one, lab = clf.sample(20000, label="c", seed=1)
    assert set(lab) == {"c"}
    np.testing.assert_allclose(one.mean(axis=0), clf.means_[2], atol=0.05)
    np.testing.assert_allclose(np.cov(one.T, bias=True), clf.covariances_[2], atol=0.2)  # ~5 std errors
    np.testing.assert_array_equal(clf.sample(5, seed=7)[0], clf.sample(5, seed=7)[0])


def test_gaussian_errors():
    with pytest.raises(ValueError, match="not fitted"):
        GaussianClassifier().predict([[0.0, 0.0]])
    with pytest.raises(ValueError, match="at least two classes"):
        GaussianClassifier().fit([[0.0], [1.0]], [0, 0])
    with pytest.raises(ValueError, match="singular"):
        line = [[0.0, 0.0], [1.0, 1.0], [5.0, 0.0], [6.0, 1.0], [5.5, 3.0]]  # class 0: two points, a line
        GaussianClassifier().fit(line, [0, 0, 1, 1, 1])
    fitted = GaussianClassifier(reg=1e-3).fit([[0.0, 0.0], [1.0, 1.0], [5.0, 0.0], [6.0, 1.0]], [0, 0, 1, 1])
    assert fitted.predict([[0.2, 0.1]]).tolist() == [0]
    with pytest.raises(ValueError, match="label"):
        fitted.sample(3, label=5)
    with pytest.raises(ValueError, match="x: expected shape"):
        fitted.predict([[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="reg"):
        GaussianClassifier(reg=-1)


# ------------------------------------------------------------------ VAE


def _digits():
    d = datasets.digits()
    return np.asarray(d.x, dtype=np.float64) / 16.0, np.asarray(d.y)


def test_vae_loss_passes_the_gradient_check():
    """The whole negative ELBO (reconstruction + KL, through the reparameterisation) with ε fixed."""
    rng = np.random.default_rng(0)
    x = rng.random((5, 6))
    for seed in range(50):
        vae = VAE(6, hidden=(5, 4), latent=2, seed=seed, dtype="float64")
        for key, p in vae.params.items():
            if ".b" in key:
                p[...] = np.random.default_rng(seed).normal(0, 0.3, p.shape)
        eps = np.random.default_rng(seed + 100).standard_normal((5, 2))
        vae.loss_and_gradient(x, eps)
        pre = [a.u for net in (vae.encoder, vae.decoder) for a in net.activations]
        if all(np.abs(u).min() > 1e-2 for u in pre):  # keep central differences off the ReLU kinks
            break
    loss, grads = vae.loss_and_gradient(x, eps)
    assert set(grads) == set(vae.params)
    for key, p in vae.params.items():
        numeric = numerical_gradient(lambda _p: vae.loss_and_gradient(x, eps)[0], p, h=1e-5)
        assert relative_error(grads[key], numeric) < 1e-7, key


def test_vae_loss_terms():
    """With ε = 0 the loss is BCE(x, σ(dec(μ))) + the closed-form KL."""
    x, _ = _digits()
    vae = VAE(64, hidden=(16,), latent=3, seed=1)
    loss, _ = vae.loss_and_gradient(x[:10], np.zeros((10, 3)))
    mu, logvar = vae.encode(x[:10])
    y = vae.decode(mu)
    bce = -np.sum(x[:10] * np.log(y) + (1 - x[:10]) * np.log(1 - y), axis=1)
    kl = 0.5 * np.sum(mu**2 + np.exp(logvar) - 1 - logvar, axis=1)
    assert loss == pytest.approx(np.mean(bce + kl), rel=1e-10)


def test_vae_trains_on_digits_fast_and_beats_the_pixel_mean():
    x, _ = _digits()
    train, test = x[:1400], x[1400:]
    vae = VAE(64, hidden=(64,), latent=2, seed=0, dtype="float32")
    start = time.perf_counter()
    history = vae.fit(train, epochs=40, batch_size=64, lr=2e-3, seed=0, validation_data=test)
    assert time.perf_counter() - start < 60
    assert history.epochs == 40 and history.steps == 40 * 22 and len(history.val_loss) == 40
    assert history.loss[-1] < history.loss[0] - 10
    p = np.clip(train.mean(axis=0), 1e-6, 1 - 1e-6)
    baseline = -np.mean(np.sum(test * np.log(p) + (1 - test) * np.log(1 - p), axis=1))
    assert vae.loss(test, n_samples=5) < baseline - 1.0
    assert vae.sample(7, seed=0).shape == (7, 64)
    np.testing.assert_array_equal(vae.sample(3, seed=4), vae.sample(3, seed=4))
    r = vae.reconstruct(test[:5])
    assert r.shape == (5, 64) and ((r > 0) & (r < 1)).all()


def test_vae_fit_is_reproducible_and_float32_stays_float32():
    x, _ = _digits()
    runs = [VAE(64, hidden=(8,), latent=2, seed=3, dtype="float32") for _ in range(2)]
    hs = [v.fit(x[:200], epochs=2, batch_size=50, seed=5) for v in runs]
    assert hs[0] == hs[1]
    assert all(p.dtype == np.float32 for p in runs[0].params.values())
    mu, logvar = runs[0].encode(x[:4])
    assert mu.shape == logvar.shape == (4, 2)


def test_vae_file_round_trip(tmp_path):
    x, _ = _digits()
    vae = VAE(64, hidden=(12, 6), latent=2, seed=0)
    vae.fit(x[:100], epochs=1, batch_size=50)
    path = tmp_path / "vae.npz"
    vae.save(str(path), metadata={"data": "digits / 16"})
    back = load_vae(path)
    assert back.architecture() == vae.architecture() and back.metadata == {"data": "digits / 16"}
    np.testing.assert_array_equal(back.decode([[0.3, -1.0]]), vae.decode([[0.3, -1.0]]))
    assert back.loss(x[:50]) == vae.loss(x[:50])


def test_vae_file_refusals(tmp_path):
    import nnscratch

    vae = VAE(8, hidden=(4,), latent=2, seed=0)
    path = tmp_path / "vae.npz"
    vae.save(str(path))
    with pytest.raises(ValueError, match="not a VAE"):
        net = nnscratch.Network([2, 2])
        net.save(str(tmp_path / "net.npz"))
        load_vae(tmp_path / "net.npz")
    with pytest.raises(ValueError, match=r"it is a variational autoencoder .*load_vae"):
        nnscratch.io.load(path)
    assert type(nnscratch.load(str(path))).__name__ == "VAE"  # nnscratch.load gives back what was saved
    with pytest.raises(FileNotFoundError):
        load_vae(tmp_path / "missing.npz")
    # a file whose manifest claims another architecture is refused before data is read
    arrays = {k: v for k, v in vae.params.items()}
    arrays["encoder.W1"] = np.zeros((8, 5))
    import json

    meta = {"format": "nnscratch", "format_version": 1, "kind": "vae",
            "architecture": vae.architecture(),
            "arrays": {k: {"shape": list(a.shape), "dtype": a.dtype.name} for k, a in arrays.items()}}
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="encoder.W1"):
        load_vae(bad)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, a=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="path: cannot load"):
        load_vae(pickled)


def test_vae_errors():
    with pytest.raises(ValueError, match="latent"):
        VAE(8, latent=0)
    with pytest.raises(ValueError, match="dtype"):
        VAE(8, dtype="float16")
    vae = VAE(8, hidden=(4,), latent=2)
    with pytest.raises(ValueError, match=r"x: expected pixel values in \[0, 1\]"):
        vae.fit(np.full((4, 8), 16.0))
    with pytest.raises(ValueError, match="eps"):
        vae.loss_and_gradient(np.zeros((3, 8)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="x: expected 8 features"):
        vae.encode(np.zeros((2, 5)))


def test_vae_file_damaged_anywhere_is_one_value_error(tmp_path):
    """Every truncation and every flipped byte of a VAE file is refused with one ValueError line (or
    loads the same numbers when the flip hits padding), never another exception."""
    vae = VAE(8, hidden=(3,), latent=2, seed=0)
    path = tmp_path / "vae.npz"
    vae.save(str(path))
    raw = path.read_bytes()
    damaged = tmp_path / "damaged.npz"
    rng = np.random.default_rng(0)
    cuts = sorted(set(rng.integers(0, len(raw), 60).tolist()) | {0, 1, 10, len(raw) - 1})
    flips = sorted(set(rng.integers(0, len(raw), 120).tolist()))
    cases = [raw[:c] for c in cuts] + [raw[:i] + bytes([raw[i] ^ 0x5A]) + raw[i + 1:] for i in flips]
    for data in cases:
        damaged.write_bytes(data)
        try:
            back = load_vae(damaged)
        except ValueError as exc:
            assert str(exc).startswith("path: cannot load") and "\n" not in str(exc)
        else:
            for key, value in vae.params.items():
                np.testing.assert_array_equal(back.params[key], value)
