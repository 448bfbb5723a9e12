"""``help()`` reads as a reference: every public class and function of the learner-facing modules has
an example (``>>>``) or a formula in its docstring, and every example runs as shown (doctest)."""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import numpy as np
import pytest

import nnscratch

SURFACE = [
    "nnscratch", "nnscratch.functions", "nnscratch.optim", "nnscratch.callbacks", "nnscratch.training",
    "nnscratch.datasets", "nnscratch.preprocessing", "nnscratch.io", "nnscratch.spec", "nnscratch.model",
    "nnscratch.sklearn", "nnscratch.lab", "nnscratch.lab.plots", "nnscratch.lab.trace",
]
# a formula: an equation with spaces around "=", or one of the symbols the formulas use
FORMULA = re.compile(r" = |[Σ√∂←·²∈ηλαβσ⊙]|→")
# the names a learner meets first: these need an example, a formula alone is not enough
EXAMPLE_REQUIRED = {"Network", "train", "gradcheck", "trace", "History", "Model", "RunSpec", "load",
                    "japanese_fonts", "draw", "training_curves"}


def _public() -> dict[str, object]:
    """``module.name`` → object, each object once (the first module that exports it)."""
    out: dict[str, object] = {}
    seen: set[int] = set()
    for module_name in SURFACE:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and id(obj) not in seen:
                seen.add(id(obj))
                out[f"{module_name}.{name}"] = obj
    return out


PUBLIC = _public()


def test_every_public_name_has_an_example_or_a_formula():
    bare = []
    for qualname, obj in PUBLIC.items():
        doc = inspect.getdoc(obj) or ""
        name = qualname.rpartition(".")[2]
        if ">>>" not in doc and (name in EXAMPLE_REQUIRED or not FORMULA.search(doc)):
            bare.append(qualname)
    assert not bare, f"docstrings without an example or a formula: {bare}"


def test_network_help_lists_the_valid_values_and_attributes():
    doc = inspect.getdoc(nnscratch.Network)
    for word in ('"relu"', '"sigmoid"', '"tanh"', '"leaky_relu"', '"step"', '"identity"', '"softmax"',
                 '"mse"', '"cross_entropy"', '"binary_cross_entropy"', '"he"', '"xavier"', "params",
                 "activations", "output_layer", "(N, sizes[0])"):
        assert word in doc, word


@pytest.mark.parametrize("qualname", [q for q, o in PUBLIC.items() if ">>>" in (inspect.getdoc(o) or "")])
def test_the_examples_run(qualname, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    obj = PUBLIC[qualname]
    module = importlib.import_module(obj.__module__)
    globs = {**vars(module), "np": np, "nnscratch": nnscratch}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = doctest.DocTestFinder(recurse=False).find(obj, qualname, globs=globs)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) of {qualname} failed (see the output above)"
