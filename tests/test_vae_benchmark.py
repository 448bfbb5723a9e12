"""benchmarks/vae_vs_torch.py on a tiny run (so it cannot rot), and the VAE's loss and gradient against
PyTorch's autograd on the same weights and the same ε (float64): an independent check of the chain rule
through the reparameterisation."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from needs import need_module
from nnscratch.generative import VAE

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "vae_vs_torch.py"


def _bench():
    spec = importlib.util.spec_from_file_location("vae_vs_torch", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_the_numbers(tmp_path, capsys):
    out = tmp_path / "vae.json"
    result = _bench().main(["--quick", "--no-torch", "--json", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["nnscratch"]["mean"] > result["entropy_floor"] > 0
    assert 0 <= result["recognised"] <= 1 and sum(result["recognised_classes"]) == 1000
    assert "pixel-mean baseline" in capsys.readouterr().out


def test_loss_and_gradient_equal_pytorch_autograd():
    torch = need_module("torch")
    rng = np.random.default_rng(0)
    vae = VAE(7, hidden=(6, 5), latent=3, seed=2, dtype="float64")
    x = rng.random((4, 7))
    eps = rng.standard_normal((4, 3))
    loss, grads = vae.loss_and_gradient(x, eps)

    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in vae.params.items()}

    def mlp(prefix, h, n_layers):
        for i in range(1, n_layers + 1):
            h = h @ tensors[f"{prefix}.W{i}"] + tensors[f"{prefix}.b{i}"]
            if i < n_layers:
                h = torch.relu(h)
        return h

    xt = torch.tensor(x)
    out = mlp("encoder", xt, 3)
    mu, logvar = out[:, :3], out[:, 3:]
    z = mu + torch.exp(0.5 * logvar) * torch.tensor(eps)
    u = mlp("decoder", z, 3)
    recon = torch.nn.functional.binary_cross_entropy_with_logits(u, xt, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())
    reference = (recon + kl) / x.shape[0]
    reference.backward()
    assert abs(loss - reference.item()) < 1e-12
    for key, t in tensors.items():
        np.testing.assert_allclose(grads[key], t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=key)
