"""変分オートエンコーダ (VAE, Section 0's generative model) on the 8×8 digits, from the library's Networks.

The encoder network gives μ and log σ² of a 2-D latent code z; z = μ + σ·ε (ε ~ N(0, I), the
reparameterisation trick); the decoder network gives each pixel's probability σ(u). The loss is the
negative ELBO per image: binary cross entropy of the pixels + KL(q(z|x) ‖ N(0, I)). Back-propagation
goes through both networks with ``Network.backward_from`` (∂L/∂u into the decoder, which returns ∂L/∂z;
∂L/∂(μ, log σ²) into the encoder). The script checks that gradient against central differences,
trains, compares with the baseline that predicts every pixel's mean, saves and loads the model, and
asks the main job's digits classifier what the generated images are.

Run:  python examples/20_vae_digits.py [--quick] [--mnist]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

from nnscratch import Model, RunSpec, datasets
from nnscratch.functions import numerical_gradient
from nnscratch.generative import VAE, load_vae
from nnscratch.gradcheck import relative_error
from nnscratch.lab.trace import print_vec

QUICK = "--quick" in sys.argv
EPOCHS = 15 if QUICK else 200

# 1. the whole loss, ε fixed, against central differences (float64, a tiny VAE)
tiny = VAE(6, hidden=(5,), latent=2, seed=1, dtype="float64")
x_small = np.random.default_rng(0).random((4, 6))
eps = np.random.default_rng(1).standard_normal((4, 2))
_, grads = tiny.loss_and_gradient(x_small, eps)
worst = max(
    relative_error(grads[key], numerical_gradient(lambda _p: tiny.loss_and_gradient(x_small, eps)[0], p))
    for key, p in tiny.params.items()
)
print_vec("勾配確認: worst relative error over all parameters", f"{worst:.1e}")
print_vec("gradient check passes (< 1e-6)", worst < 1e-6)

# 2. train on the digits in [0, 1], hold 360 out
digits = datasets.digits()
x = digits.x / 16.0
order = np.random.default_rng(0).permutation(len(x))
x_train, x_test = x[order[:1437]], x[order[1437:]]
vae = VAE(64, hidden=(256, 128), latent=2, seed=0, dtype="float32")
history = vae.fit(x_train, epochs=EPOCHS, batch_size=64, lr=1e-3, optimizer="adam", seed=0)
print_vec(f"training loss, epoch 1 → {EPOCHS}", f"{history.loss[0]:.2f} → {history.loss[-1]:.2f}")

p = np.clip(x_train.mean(axis=0), 1e-7, 1 - 1e-7)
baseline = float(-np.mean(np.sum(x_test * np.log(p) + (1 - x_test) * np.log1p(-p), axis=1)))
elbo = vae.loss(x_test, seed=0, n_samples=10)
print_vec("held-out negative ELBO per image (nats)", round(elbo, 2))
print_vec("baseline: every pixel's training mean (nats)", round(baseline, 2))
print_vec("the VAE is below the baseline", elbo < baseline)

# 3. the safe file (.npz + JSON, never pickle)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "vae.npz"
    vae.save(str(path))
    again = load_vae(path)
    print_vec("saved and loaded: the same reconstructions", bool(np.array_equal(
        again.reconstruct(x_test[:5]), vae.reconstruct(x_test[:5]))))

# 4. new digits: does the main job's classifier recognise them?
classifier = Model(RunSpec(epochs=5 if QUICK else 60)).fit()  # 64-100-10 on the digits, x / 16
images = vae.sample(500, seed=0)
proba = classifier.predict_proba(images * 16.0)
print_vec("generated images classified with probability ≥ 0.9", f"{np.mean(proba.max(axis=1) >= 0.9):.1%}")
print_vec("how many of each digit (argmax)", np.bincount(proba.argmax(axis=1), minlength=10))
mu, logvar = vae.encode(x_test[:3])
print_vec("encode: μ of three held-out digits", mu.round(2))

# 5. MNIST (28×28) when it is cached: python examples/20_vae_digits.py --mnist
if "--mnist" in sys.argv:
    try:
        mnist = datasets.mnist(download=False)
    except OSError:
        print("MNIST is not cached (run python examples/09_mnist_minibatch.py --download once)")
    else:
        big = VAE(784, hidden=(512, 256), latent=2, seed=0, dtype="float32")
        big.fit(mnist.x, epochs=2 if QUICK else 20, batch_size=128, lr=1e-3, seed=0)
        print_vec("MNIST: held-out negative ELBO per image (nats)", round(big.loss(mnist.test.x, seed=0), 2))
