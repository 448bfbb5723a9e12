"""docs/course-differences.md tells the truth.

1. Every ```python program in it runs on its own (a fresh process, as a learner would run it) and prints
   exactly the ```text block shown under it.
2. Every decimal number quoted in its prose and summary table appears in one of those outputs.
3. The claims are re-derived here independently, with the course's faulty lines re-typed below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnscratch
from nnscratch import functions as F
from nnscratch.gradcheck import relative_error

DOC = Path(__file__).resolve().parents[1] / "docs" / "course-differences.md"
MARK = "<!-- output of the block above, checked by tests/test_course_differences.py -->"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)


def programs() -> list[tuple[int, str, str | None]]:
    """(line, code, shown output or None) for each python block of the document."""
    text = DOC.read_text(encoding="utf-8")
    matches = list(FENCE.finditer(text))
    out = []
    for i, m in enumerate(matches):
        if m.group(1).strip() != "python":
            continue
        shown = None
        if i + 1 < len(matches) and MARK in text[m.end() : matches[i + 1].start()]:
            shown = matches[i + 1].group(2)
        out.append((text.count("\n", 0, m.start()) + 1, m.group(2), shown))
    return out


def prose(text: str) -> str:
    return FENCE.sub("", text)


PROGRAMS = programs()


def test_every_difference_has_a_checked_program():
    assert len(PROGRAMS) == 8
    assert all(shown is not None for _, _, shown in PROGRAMS)


@pytest.mark.parametrize("line, code, shown", PROGRAMS, ids=[f"line{p[0]}" for p in PROGRAMS])
def test_program_prints_what_the_document_shows(line, code, shown, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, f"program at line {line} failed:\n{proc.stderr}"
    now = proc.stdout
    assert now.rstrip("\n") == shown.rstrip("\n"), f"program at line {line} now prints:\n{now}"


def test_numbers_quoted_in_the_prose_come_from_the_outputs():
    text = DOC.read_text(encoding="utf-8")
    outputs = "\n".join(shown for _, _, shown in PROGRAMS)
    quoted = set(re.findall(r"(?<![\w.])-?\d+\.\d{3,}", prose(text)))
    assert quoted >= {"0.246", "0.764", "4.000", "2.000", "0.1343", "16.1181", "0.2619", "1.0350"}
    for number in quoted:
        assert number in outputs, number
    assert "−1e-07" in text and "-1e-07" in outputs
    # the smallest positive normal numbers the clamped log uses
    assert f"{np.finfo(np.float64).tiny:.1e}" == "2.2e-308" and "2.2e-308" in text
    assert f"{np.finfo(np.float32).tiny:.1e}" == "1.2e-38" and "1.2e-38" in text


# ---------------------------------------------------------------- the claims, re-derived


def course_mean_squared_error(d, y):
    return np.mean(np.square(d - y)) / 2


def course_d_mean_squared_error(d, y):
    return (y - d) / d.shape[0]


def course_cross_entropy_error(d, y):
    if y.ndim == 1:
        d, y = d.reshape(1, d.size), y.reshape(1, y.size)
    if d.size == y.size:
        d = d.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), d] + 1e-7)) / y.shape[0]


def course_numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


@pytest.mark.parametrize("k", [1, 2, 5])
def test_course_mse_derivative_is_k_times_its_slope(k, rng):
    d, y = rng.normal(size=(3, k)), rng.normal(size=(3, k))
    slope = F.numerical_gradient(lambda v: course_mean_squared_error(d, v), y, h=1e-5)
    np.testing.assert_allclose(course_d_mean_squared_error(d, y), k * slope, rtol=1e-7)
    assert relative_error(F.d_mean_squared_error(d, y), F.numerical_gradient(
        lambda v: F.mean_squared_error(d, v), y, h=1e-5)) < 1e-7  # fmt: skip


@pytest.mark.parametrize("forward, right", [(F.sigmoid, F.d_sigmoid), (F.relu, F.d_relu)])
def test_d_sigmoid_of_z_fails_a_gradient_check_and_f_prime_of_u_passes(forward, right, rng):
    x = rng.normal(size=(4, 3))
    d = rng.normal(size=(4, 1))
    W1, b1 = rng.normal(size=(3, 5)), rng.normal(size=5)
    W2, b2 = rng.normal(size=(5, 1)), rng.normal(size=1)
    u1 = x @ W1 + b1
    assert np.abs(u1).min() > 1e-3  # no ReLU kink within reach of h
    z1 = forward(u1)
    delta2 = F.d_mean_squared_error(d, z1 @ W2 + b2)
    numeric = F.numerical_gradient(
        lambda w: F.mean_squared_error(d, forward(x @ w + b1) @ W2 + b2), W1, h=1e-5
    )
    course = x.T @ (delta2 @ W2.T * F.d_sigmoid(z1))
    correct = x.T @ (delta2 @ W2.T * right(u1))
    assert relative_error(course, numeric) > 1e-2
    assert relative_error(correct, numeric) < 1e-7
    net = nnscratch.Network.from_params(
        {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, hidden=forward.__name__, output="identity"
    )
    assert max(nnscratch.gradcheck(net, x, d).values()) < 1e-7


@pytest.mark.parametrize("n", [1, 3, 8])
def test_d_sigmoid_with_loss_on_softmax_is_n_times_the_batch_mean_gradient(n, rng):
    u = rng.normal(size=(n, 4))
    d = F.to_one_hot(rng.integers(0, 4, size=n), 4)
    y = F.softmax(u)
    true = F.numerical_gradient(lambda v: F.softmax_with_loss(d, v), u, h=1e-5)
    np.testing.assert_allclose(y - d, n * true, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(F.d_softmax_with_loss(d, y), true, rtol=1e-6, atol=1e-10)


def test_course_cross_entropy_ignores_a_single_outputs_target():
    one, zero = np.array([1.0]), np.array([0.0])
    for u in (-3.0, 1.94, 5.0):  # (at u = 0, y = 0.5, both targets rightly cost log 2)
        y = F.sigmoid(np.array([u]))
        assert course_cross_entropy_error(one, y) == course_cross_entropy_error(zero, y)
        assert F.binary_cross_entropy(zero, y) != pytest.approx(F.binary_cross_entropy(one, y))
        assert F.binary_cross_entropy(zero, y) == pytest.approx(-np.log(1 - y[0]), rel=1e-12)


def test_course_numerical_gradient_fails_on_matrices():
    f = lambda w: float(np.sum(w**3) / 3)  # noqa: E731
    with pytest.raises(IndexError):
        course_numerical_gradient(f, np.ones((2, 3)))
    column = np.array([[0.2], [0.4], [0.6]])
    np.testing.assert_allclose(course_numerical_gradient(f, column.copy()), column**2 / 2, rtol=1e-3)
    np.testing.assert_allclose(F.numerical_gradient(f, column), column**2, rtol=1e-6)


def test_the_1e7_in_the_log():
    d = np.array([[1.0, 0.0]])
    assert course_cross_entropy_error(d, np.array([[1.0, 0.0]])) < 0  # a perfect prediction, negative loss
    assert course_cross_entropy_error(d, np.array([[0.0, 1.0]])) == pytest.approx(-np.log(1e-7))
    assert F.cross_entropy_error(d, np.array([[1.0, 0.0]])) == 0.0
    assert F.cross_entropy_error(d, np.array([[1e-9, 1 - 1e-9]])) == pytest.approx(-np.log(1e-9), rel=1e-12)


def test_the_course_l2_loop_freezes_the_output_layer_and_takes_a_square_root(rng):
    """Section 8, re-typed: the course's loop over the hidden layers leaves the last layer as it was and
    reports ½λ·‖W‖; Network(l2=λ) moves every layer and reports ½λ·‖W‖²."""
    x, d = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    lam, lr = 0.2, 0.5
    net = nnscratch.Network([3, 4, 4, 2], output="softmax", seed=1, dtype="float64")
    start = {k: v.copy() for k, v in net.params.items()}
    grad = net.gradient(x, d)
    reported = 0.0
    for idx in (1, 2):  # range(1, hidden_layer_num + 1)
        net.params[f"W{idx}"] -= lr * (grad[f"W{idx}"] + lam * net.params[f"W{idx}"])
        net.params[f"b{idx}"] -= lr * grad[f"b{idx}"]
        reported += 0.5 * lam * np.sqrt(np.sum(net.params[f"W{idx}"] ** 2))
    assert np.array_equal(net.params["W3"], start["W3"]) and np.array_equal(net.params["b3"], start["b3"])
    formula = sum(0.5 * lam * np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert not np.isclose(reported, formula)
    ours = nnscratch.Network.from_params(start, output="softmax", l2=lam)
    g = ours.gradient(x, d)
    for i in (1, 2, 3):  # λ·W on every weight, the output layer's included
        plain = nnscratch.Network.from_params(start, output="softmax").gradient(x, d)
        np.testing.assert_allclose(g[f"W{i}"], plain[f"W{i}"] + lam * start[f"W{i}"])
    assert ours.penalty() == pytest.approx(sum(0.5 * lam * np.sum(start[f"W{i}"] ** 2) for i in (1, 2, 3)))
