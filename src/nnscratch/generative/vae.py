"""変分オートエンコーダ (VAE, variational autoencoder) built from two of the library's own Networks.

The model (Kingma & Welling 2014) makes an image x from a latent code z:

- prior p(z) = N(0, I) with z of ``latent`` dimensions;
- decoder (デコーダ) p(x | z): independent Bernoulli pixels with probabilities x̂ = σ(u), u = dec(z)
  (a Network with an identity output giving the logits u; the sigmoid is applied here);
- encoder (エンコーダ) q(z | x) = N(μ, diag σ²): one Network enc(x) = [μ, log σ²] (2·latent outputs).

Training maximises the evidence lower bound (ELBO, 変分下界) per image; the loss is its negative,

    L(x) = BCE(x, x̂) + KL(q(z | x) ‖ N(0, I))
         = Σ_pixels [softplus(u) − x·u]  −  ½ Σ_j (1 + log σ_j² − μ_j² − σ_j²),

with the reconstruction term taken at one draw z = μ + σ ⊙ ε, ε ~ N(0, I) (再パラメータ化トリック: the
randomness sits in ε, so z is a differentiable function of μ and σ). Pixels must lie in [0, 1].

Back-propagation runs through both networks with :meth:`Network.backward_from`:

    ∂L/∂u = (x̂ − x)/N                              → decoder, which also returns ∂L/∂z
    ∂L/∂μ = ∂L/∂z + μ/N
    ∂L/∂log σ² = ∂L/∂z ⊙ ε ⊙ σ/2 + (σ² − 1)/(2N)    → encoder

(N the batch size: the loss is the batch mean of L(x)). :meth:`VAE.loss_and_gradient` gives both for a
given ε, which is what the gradient check in the tests differentiates.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np

from nnscratch import optim
from nnscratch._accel import threads
from nnscratch.files.vae import MAX_LATENT, read_vae, write_vae
from nnscratch.network import Network
from nnscratch.training.history import History

__all__ = ["VAE", "save_vae", "load_vae"]


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _softplus(u: np.ndarray) -> np.ndarray:
    """log(1 + eᵘ) without overflow: max(u, 0) + log1p(e^−|u|)."""
    return np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))


def _sigmoid(u: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1 / (1 + e), e / (1 + e))


class VAE:
    """A variational autoencoder: ``input_size`` pixels in [0, 1], hidden layers ``hidden`` (ReLU; the
    decoder uses them in reverse order), ``latent`` latent dimensions.

    >>> vae = VAE(64, hidden=(32,), latent=2, seed=0)
    >>> vae.encoder.sizes, vae.decoder.sizes
    ([64, 32, 4], [2, 32, 64])
    """

    def __init__(
        self,
        input_size: int,
        hidden: Sequence[int] = (128,),
        latent: int = 2,
        seed: int | None = 0,
        dtype: str = "float64",
    ) -> None:
        self.input_size = _positive("input_size", input_size)
        if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, str) or not isinstance(hidden, Sequence):
            raise TypeError(f"hidden: expected a sequence of layer sizes like (128,), got {hidden!r}")
        self.hidden = tuple(_positive("hidden", h) for h in hidden)
        self.latent = _positive("latent", latent)
        if self.latent > MAX_LATENT:
            raise ValueError(f"latent: expected at most {MAX_LATENT} dimensions, got {latent}")
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
        rng = np.random.default_rng(seed)
        enc_sizes = [self.input_size, *self.hidden, 2 * self.latent]
        dec_sizes = [self.latent, *reversed(self.hidden), self.input_size]
        self.encoder = Network(enc_sizes, hidden="relu", output="identity", seed=rng, dtype=dtype)
        self.decoder = Network(dec_sizes, hidden="relu", output="identity", seed=rng, dtype=dtype)
        self.dtype = self.encoder.dtype
        self.metadata: dict = {}  # JSON-ready notes kept with the file (see save)

    # ------------------------------------------------------------ parameters

    @property
    def params(self) -> dict[str, np.ndarray]:
        """Every parameter, keyed ``encoder.W1``, …, ``decoder.b3``: the networks' own arrays (an
        optimizer's in-place update changes the networks)."""
        out = {f"encoder.{k}": v for k, v in self.encoder.params.items()}
        out.update({f"decoder.{k}": v for k, v in self.decoder.params.items()})
        return out

    def architecture(self) -> dict:
        return {"input_size": self.input_size, "hidden": list(self.hidden), "latent": self.latent,
                "dtype": self.dtype.name}

    # ------------------------------------------------------------ the model's maps

    def _x(self, x: object) -> np.ndarray:
        a, _ = self.encoder.check_x(x)
        if a.min() < 0 or a.max() > 1:
            raise ValueError(f"x: expected pixel values in [0, 1] (e.g. digits / 16), got the range "
                             f"[{a.min():g}, {a.max():g}]")
        return a

    def encode(self, x: object) -> tuple[np.ndarray, np.ndarray]:
        """q(z | x): (μ, log σ²), each of shape (N, latent)."""
        out = self.encoder.forward(self._x(x))
        return out[:, : self.latent].copy(), out[:, self.latent:].copy()

    def decode(self, z: object) -> np.ndarray:
        """x̂ = σ(dec(z)): pixel probabilities (N, input_size) for latent codes z (N, latent)."""
        return _sigmoid(self.decoder.forward(self._z(z)))

    def _z(self, z: object) -> np.ndarray:
        a, _ = self.decoder.check_x(z)
        return a

    def reconstruct(self, x: object) -> np.ndarray:
        """再構成: decode the mean code, x̂ = σ(dec(μ(x))) (no noise)."""
        mu, _ = self.encode(x)
        return self.decode(mu)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Generate ``n`` new images: z ~ N(0, I), x̂ = σ(dec(z)) — pixel probabilities (n, input_size)."""
        n = _positive("n", n)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return self.decode(rng.standard_normal((n, self.latent)))

    # ------------------------------------------------------------ loss and gradient

    def _terms(self, x: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, ...]:
        """Forward pass for given ε: per-image reconstruction and KL, and what the gradient needs."""
        out = self.encoder.forward(x)
        mu, logvar = out[:, : self.latent], out[:, self.latent:]
        std = np.exp(0.5 * logvar)
        z = mu + std * eps
        u = self.decoder.forward(z)
        recon = np.sum(_softplus(u) - x * u, axis=1, dtype=np.float64)
        kl = -0.5 * np.sum(1 + logvar - mu**2 - std**2, axis=1, dtype=np.float64)
        return recon, kl, mu, logvar, std, u

    def _check_eps(self, eps: object, n: int) -> np.ndarray:
        e = np.asarray(eps, dtype=self.dtype)
        if e.shape != (n, self.latent) or not np.isfinite(e).all():
            raise ValueError(f"eps: expected finite noise of shape ({n}, {self.latent}), got {np.shape(eps)}")
        return e

    def loss_and_gradient(self, x: object, eps: object) -> tuple[float, dict[str, np.ndarray]]:
        """The batch-mean loss L (negative ELBO per image) at noise ``eps`` (N, latent) and its gradient,
        keyed like :attr:`params` (see the module docstring for the chain rule)."""
        xs = self._x(x)
        e = self._check_eps(eps, xs.shape[0])
        loss, grads = self._step(xs, e)
        return loss, grads

    def _step(self, xs: np.ndarray, eps: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        n = xs.shape[0]
        recon, kl, mu, logvar, std, u = self._terms(xs, eps)
        grads = {}
        dec, g_z = self.decoder.backward_from((_sigmoid(u) - xs) / n, input_grad=True)
        g_mu = g_z + mu / n
        g_logvar = g_z * eps * (0.5 * std) + 0.5 * (std**2 - 1) / n
        enc = self.encoder.backward_from(np.concatenate([g_mu, g_logvar], axis=1))
        grads.update({f"encoder.{k}": v for k, v in enc.items()})
        grads.update({f"decoder.{k}": v for k, v in dec.items()})
        return float(np.mean(recon + kl)), grads

    def loss(self, x: object, seed: int | np.random.Generator | None = 0, n_samples: int = 1) -> float:
        """負の ELBO per image, averaged over the rows of ``x``: a Monte Carlo estimate with ``n_samples``
        draws of ε ~ N(0, I) per image from ``numpy.random.default_rng(seed)`` (the same seed, the same
        ε: comparable numbers). The KL term is exact; only the reconstruction term is sampled."""
        xs = self._x(x)
        n_samples = _positive("n_samples", n_samples)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        total = 0.0
        for _ in range(n_samples):
            recon, kl, *_ = self._terms(xs, rng.standard_normal((xs.shape[0], self.latent)))
            total += float(np.mean(recon + kl))
        return total / n_samples

    # ------------------------------------------------------------ training

    def fit(
        self,
        x: object,
        epochs: int = 50,
        batch_size: int = 64,
        lr: float = 1e-3,
        optimizer: str | optim.Optimizer = "adam",
        seed: int | None = 0,
        validation_data: object = None,
    ) -> History:
        """Train on images ``x`` (N, input_size) in [0, 1] with mini-batches: each epoch a new permutation
        of the rows (from ``seed``), one ε ~ N(0, I) per image and step from the same generator, one
        optimizer update per batch (the last batch of an epoch may be smaller).

        Returns a :class:`~nnscratch.History` whose ``loss`` is the mean batch loss of each epoch (each
        taken before its update) and, given ``validation_data`` (images), ``val_loss`` = :meth:`loss`
        on them at the epoch's end (ε from seed 0).
        """
        xs = self._x(x)
        epochs = _positive("epochs", epochs)
        batch_size = _positive("batch_size", batch_size)
        opt = optim.create(optimizer, lr)
        xv = None if validation_data is None else self._x(validation_data)
        rng = np.random.default_rng(seed)
        history = History()
        n = xs.shape[0]
        weights = [w for net in (self.encoder, self.decoder) for k, w in net.params.items() if k[0] == "W"]
        with threads.fitting(max(6 * min(batch_size, n) * w.size for w in weights)):  # small: one thread
            self._epochs(xs, xv, epochs, batch_size, opt, rng, history)
        return history

    def _epochs(self, xs, xv, epochs, batch_size, opt, rng, history) -> None:
        params, n = self.params, xs.shape[0]
        for _ in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            total = 0.0
            for first in range(0, n, batch_size):
                batch = xs[order[first:first + batch_size]]
                eps = rng.standard_normal((batch.shape[0], self.latent)).astype(self.dtype)
                loss, grads = self._step(batch, eps)
                if not np.isfinite(loss):
                    raise ValueError(f"lr: training diverged (loss {loss}) at lr={opt.lr:g}; expected a "
                                     f"smaller learning rate")
                opt.update(params, grads)
                total += loss * batch.shape[0]
                history.steps += 1
            history.loss.append(total / n)
            history.lr.append(float(opt.lr))
            if xv is not None:
                history.val_loss.append(self.loss(xv))
            history.epoch_time.append(time.perf_counter() - start)

    def save(self, path: str, metadata: dict | None = None) -> None:
        """Write the VAE to ``path``: a safe .npz of both networks' parameters plus JSON metadata
        (``metadata``, default :attr:`metadata`; never pickle); :func:`nnscratch.generative.load_vae`
        reads it back."""
        save_vae(self, path, self.metadata if metadata is None else metadata)

    def __repr__(self) -> str:
        return (f"VAE({self.input_size}, hidden={self.hidden}, latent={self.latent}, "
                f"dtype={self.dtype.name!r})")


def save_vae(vae: VAE, path: str | os.PathLike, metadata: dict | None = None) -> None:
    """Write ``vae`` atomically to ``path`` (a temporary file, then a rename); ``metadata`` is any
    JSON-ready dict, returned by :func:`load_vae` as ``vae.metadata``. The file's schema is
    :mod:`nnscratch.files.vae`: ``.npz`` arrays plus JSON, never pickle."""
    if not isinstance(vae, VAE):
        raise TypeError(f"vae: expected an nnscratch.generative.VAE, got {type(vae).__name__}")
    write_vae(path, {k: np.ascontiguousarray(v) for k, v in vae.params.items()}, vae.architecture(), metadata)


def load_vae(path: str | os.PathLike) -> VAE:
    """Read a VAE written by :meth:`VAE.save` (every check before any parameter data is read, by
    :func:`nnscratch.files.vae.read_vae`), then build it around the parameters read."""
    arch, arrays, metadata = read_vae(path)
    vae = VAE(arch["input_size"], hidden=tuple(arch["hidden"]), latent=arch["latent"], dtype=arch["dtype"])
    for key, a in arrays.items():
        net, name = key.split(".")
        getattr(vae, net).params[name][...] = a
    vae.metadata = metadata
    return vae
