"""生成モデル (generative models): models of how the data is made, beside the discriminative networks.

- :class:`GaussianClassifier` — class-conditional Gaussians p(x | k) fitted by maximum likelihood,
  classifying by Bayes' rule p(k | x) ∝ π_k p(x | k) (QDA, or LDA with ``shared_covariance=True``), and
  sampling new points from p(x | k);
- :class:`VAE` — a variational autoencoder from two of the library's Networks (encoder → μ, log σ²;
  decoder → Bernoulli pixel probabilities), trained on the negative ELBO with the library's optimizers;
  ``vae.save(path)`` / :func:`load_vae` keep it in a safe file.

A discriminative model (識別モデル) learns p(k | x) and nothing else; a generative one (生成モデル) learns
p(x | k) or p(x), from which p(k | x) follows by Bayes' rule and new data can be drawn.
"""

from nnscratch.generative.gaussian import GaussianClassifier
from nnscratch.generative.vae import VAE, load_vae, save_vae

__all__ = ["GaussianClassifier", "VAE", "load_vae", "save_vae"]
