"""The Section 0 figures: the numbers behind discriminative_vs_generative, data_size and the VAE figures
are what the models compute (small settings; the drawing itself is tested with every kind in
test_plots.py)."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch.generative import VAE, GaussianClassifier
from nnscratch.lab import plots
from nnscratch.lab.plots import vae as vae_plots

pytestmark = pytest.mark.filterwarnings("error")


def test_discriminative_vs_generative_numbers():
    fig = plots.discriminative_vs_generative(n_samples=120, steps=200, resolution=40, lang="en", seed=1)
    rows = fig.data["rows"]
    assert [r["name"] for r in rows] == ["blobs", "moons"]
    for r in rows:
        gauss = GaussianClassifier().fit(r["x"], r["y"])
        grid = np.column_stack([r["xx"].ravel(), r["yy"].ravel()])
        np.testing.assert_array_equal(r["gauss_class"].ravel(), gauss.predict(grid))
        np.testing.assert_allclose(r["means"], gauss.means_)
        k = len(gauss.classes_)
        assert r["density"].shape == (*r["xx"].shape, k)
        cell = (r["xx"][0, 1] - r["xx"][0, 0]) * (r["yy"][1, 0] - r["yy"][0, 0])
        mass = r["density"].sum(axis=(0, 1)) * cell  # each p(x | k) integrates to about 1 over the view
        assert np.all((mass > 0.8) & (mass < 1.01))
        assert r["generated"].shape == r["x"].shape and set(r["generated_y"]) <= set(range(k))
        assert r["mlp_accuracy"] > 0.75 and r["gauss_accuracy"] > 0.75


def test_data_size_curves_shapes_and_learning():
    fig = plots.data_size(sizes=(2, 50), seeds=2, n_test=300, steps=150, hidden_sizes=(8,), lang="en")
    for p in fig.data["panels"]:
        assert p["sizes"] == [2, 50]
        for m in ("qda", "lda", "logistic", "mlp"):
            acc = p["accuracy"][m]
            assert acc.shape == (2, 2) and ((acc >= 0) & (acc <= 1)).all()
            np.testing.assert_allclose(p["mean"][m], acc.mean(axis=1))
            np.testing.assert_allclose(p["std"][m], acc.std(axis=1))
        assert p["mean"]["lda"][1] > 0.75  # 50 points a class are plenty for two Gaussian parameters
    with pytest.raises(ValueError, match="sizes"):
        plots.data_size(sizes=(1,))
    with pytest.raises(ValueError, match="datasets"):
        plots.data_size(datasets=("spiral",))


@pytest.fixture(scope="module")
def small_vae():
    x = vae_plots._digits()[0]
    vae = VAE(64, hidden=(16,), latent=2, seed=0, dtype="float32")
    vae.fit(x, epochs=3, batch_size=64, seed=0)
    return vae


def test_vae_figures_show_the_given_model(small_vae):
    walk = plots.vae_walk(small_vae, n=3, span=2.0, lang="en")
    np.testing.assert_array_equal(walk.data["images"], small_vae.decode(walk.data["z"]))
    assert walk.data["z"][0].tolist() == [-2.0, 2.0] and walk.data["z"][-1].tolist() == [2.0, -2.0]
    latent = plots.vae_latent(small_vae, lang="en")
    assert latent.data["mu"].shape == (1797, 2) and sorted(set(latent.data["labels"])) == list(range(10))
    recon = plots.vae_reconstructions(small_vae, n=5, lang="en")
    expected = small_vae.reconstruct(recon.data["originals"])
    np.testing.assert_array_equal(recon.data["reconstructions"], expected)
    assert recon.data["elbo"] == small_vae.loss(vae_plots._digits()[2], seed=0, n_samples=10)
    samples = plots.vae_samples(small_vae, n=3, lang="en", seed=5)
    assert samples.data["images"].shape == (9, 64)


def test_vae_figures_refuse_a_wrong_model():
    with pytest.raises(ValueError, match="latent=2"):
        plots.vae_latent(VAE(64, hidden=(4,), latent=3))
    with pytest.raises(ValueError, match="64 inputs"):
        plots.vae_samples(VAE(10, hidden=(4,)))
    with pytest.raises(ValueError, match="span"):
        plots.vae_walk(VAE(64, hidden=(4,)), span=0)
