"""What the page downloads: the trained model (``.npz``, read by :func:`nnscratch.load`) and a Python
script that makes the same run with the library's API (its :class:`~nnscratch.RunSpec` and ``Model``).

Both are made in memory for the session; the only file written is the model's, into a fresh temporary
directory under a fixed name (nothing the client sends becomes a path).
"""

from __future__ import annotations

import copy
import os
import pprint
import tempfile
from typing import TYPE_CHECKING

import numpy as np

from nnscratch.playground.data import generator_call

if TYPE_CHECKING:  # pragma: no cover
    from nnscratch.playground.session import Session

__all__ = ["model_file", "script", "MODEL_NAME", "SCRIPT_NAME"]

MODEL_NAME = "playground_model.npz"
SCRIPT_NAME = "playground_run.py"


def _metrics(model, net, x: np.ndarray, d: np.ndarray, raw_y: np.ndarray) -> dict[str, float]:
    out = {"loss": float(net.loss(x, d)), "samples": int(len(x))}
    if net.output != "identity":
        out["accuracy"] = float(net.accuracy(x, d))
    else:
        pred = model.encoder.decode(net.predict(x)).reshape(len(x), -1)[:, 0]
        out["rmse"] = float(np.sqrt(np.mean((pred - raw_y.astype(np.float64)) ** 2)))
    return out


def model_file(session: Session) -> bytes:
    """The current weights as a :class:`~nnscratch.Model` file: scaling, classes, spec and metrics."""
    with session.lock:
        net, steps, epochs = session.net.copy(), session.steps, session.epochs
        s, parts, raw, model = session.settings, session.parts, session.raw, session.model
        lr = session.trainer.lr
    out = copy.copy(model)
    out.network = net
    out.spec = s.run_spec(model.spec.data, epochs)
    out.history = None
    out.metrics = {k: _metrics(model, net, *parts[k], raw[k][1]) for k in parts if len(parts[k][0])}
    out.training = {"optimizer": s.optimizer, "lr": lr, "epochs": epochs, "batch_size": s.batch_size(),
                    "weight_decay": s.weight_decay, "seed": s.seed, "split_seed": s.data_seed,
                    "val_split": 0.0, "test_split": s.test_ratio, "steps": steps,
                    "source": "nnscratch playground"}
    with tempfile.TemporaryDirectory(prefix="nnscratch-playground-") as tmp:
        path = os.path.join(tmp, MODEL_NAME)
        out.save(path)
        with open(path, "rb") as f:
            return f.read()


def script(session: Session) -> str:
    """A Python script that reproduces the run with ``RunSpec`` and ``Model``.

    Trained for the same whole epochs with settings left unchanged, ``Model(spec).fit(data)`` takes the
    same steps on the same batches as the playground did, so the weights agree bit for bit; the
    script says so, or lists what was changed during the run (it trains with the last settings)."""
    with session.lock:
        s, epochs, in_epoch = session.settings, session.epochs, session._in_epoch
        steps, changes, data = session.steps, list(session.changes), session.data
    spec = s.run_spec(data.name, max(1, epochs))
    if s.data == "csv":
        load = f"datasets.read_csv({data.name + '.csv'!r})  # the file you uploaded, next to this script"
    else:
        load = generator_call(s.data, s.samples, s.noise, s.data_seed)
    same = not changes and not in_epoch and epochs > 0
    note = [f"# The playground stopped at step {steps:,} ({epochs} whole epochs"
            f"{f' and {in_epoch} steps' if in_epoch else ''})."]
    if same:
        note.append("# Nothing was changed during the run: these weights equal the playground's bit for bit.")
    else:
        for step, name, value in changes[:20]:
            note.append(f"# At step {step:,} {name} was changed to {value!r} in the playground.")
        note.append(f"# This script trains {spec.epochs} whole epoch(s) with the last settings from the "
                    f"start,"
                    f" so its weights are close to, not equal to, the playground's.")
    spec_text = pprint.pformat(spec.to_dict(), sort_dicts=False, width=100)
    return "\n".join([
        '"""Reproduce a run of the nnscratch playground with the library\'s API (RunSpec + Model).',
        "",
        f"Run it with: python {SCRIPT_NAME}",
        '"""',
        "",
        "import nnscratch",
        "from nnscratch import datasets",
        "",
        *note,
        f"spec = nnscratch.RunSpec.from_dict({spec_text})",
        f"data = {load}",
        "model = nnscratch.Model(spec).fit(data)",
        "",
        "for part, scores in model.metrics.items():",
        "    print(part, ' '.join(f'{k}={v:.6g}' for k, v in scores.items()))",
        f"model.save({MODEL_NAME!r})",
        f"print(\"saved {MODEL_NAME}; load it with nnscratch.load({MODEL_NAME!r})\")",
        "",
    ])
