"""nnscratch.plot: every kind draws in Japanese and English to PNG and SVG with no warnings (a missing
glyph is a warning, turned into an error here), and the numbers behind each figure are right."""

from __future__ import annotations

import argparse
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nnscratch
from nnscratch import functions as F
from nnscratch.lab import plot_cli, plots

pytestmark = pytest.mark.filterwarnings("error")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# small sizes: the drawing test is about the files, the data tests below use the defaults
FAST = {
    "activations": {},
    "linear_vs_nonlinear": {},
    "network": {},
    "training_curves": {},
    "learning_rates": {"epochs": 20},
    "batch_modes": {"epochs": 2, "n_samples": 30, "batch_size": 6},
    "minibatch_update": {"epochs": 1},
    "decision_boundary": {"datasets": ("xor", "spiral"), "epochs": 5, "resolution": 30},
    "vanishing_gradients": {"n_samples": 10},
    "activation_histograms": {"inits": (1.0, "he"), "n_samples": 50, "width": 20, "n_layers": 2},
    "gradient_cost": {"hidden_sizes": (2, 4), "repeats": 1},
    "discriminative_vs_generative": {"n_samples": 60, "steps": 30, "resolution": 30},
    "data_size": {"sizes": (2, 5), "seeds": 2, "n_test": 50, "steps": 20, "hidden_sizes": (8,)},
    "vae_samples": {"epochs": 1, "n": 4},
    "vae_reconstructions": {"epochs": 1, "n": 4},
    "vae_latent": {"epochs": 1},
    "vae_walk": {"epochs": 1, "n": 4},
    "conv_output_size": {"cases": ((4, 3, 1, 0),)},
    "conv_filters": {"epochs": 1},
    "feature_maps": {"epochs": 1, "channels": 3},
}


def check_png(path) -> None:
    from matplotlib.image import imread

    raw = path.read_bytes()
    assert raw[:8] == PNG_MAGIC
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def check_svg(path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 50


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("kind", plots.KINDS)
def test_every_kind_draws_png_and_svg_without_warnings(kind, lang, tmp_path):
    draw = getattr(plots, kind)
    png, svg = tmp_path / f"{kind}.{lang}.png", tmp_path / f"{kind}.{lang}.svg"
    seed = {"seed": 3} if kind in plots._SEEDED else {}  # the kinds that draw random numbers
    fig = draw(lang=lang, out=png, dpi=60, **seed, **FAST[kind])
    draw(lang=lang, out=svg, **seed, **FAST[kind])
    check_png(png)
    check_svg(svg)
    assert isinstance(fig.data, dict) and fig.data
    from matplotlib.text import Text

    texts = " ".join(t.get_text() for t in fig.findobj(Text))
    has_japanese = any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in texts)
    assert has_japanese == (lang == "ja")


def test_japanese_figures_use_the_ipaex_font_and_leave_global_rc_alone():
    import matplotlib

    before = list(matplotlib.rcParams["font.family"])
    fig = plots.activations(lang="ja")
    assert list(matplotlib.rcParams["font.family"]) == before
    from matplotlib.text import Text

    families = {t.get_fontfamily()[0] for t in fig.findobj(Text)}
    assert "IPAexGothic" in families


def test_importing_the_plot_modules_does_not_import_matplotlib():
    code = (
        "import sys, nnscratch, nnscratch.lab.plot_cli; p = nnscratch.plot; "
        "assert p.__name__ == 'nnscratch.lab.plots'; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- the data behind each figure


def test_activations_data_are_the_functions_and_their_derivatives():
    fig = plots.activations(lang="en", alpha=0.1)
    u, f, df = fig.data["u"], fig.data["f"], fig.data["df"]
    np.testing.assert_array_equal(df["sigmoid"], F.d_sigmoid(u))
    np.testing.assert_array_equal(df["tanh"], F.d_tanh(u))
    np.testing.assert_array_equal(df["relu"], F.d_relu(u))
    np.testing.assert_array_equal(df["leaky_relu"], F.d_leaky_relu(u, 0.1))
    np.testing.assert_array_equal(df["step"], F.d_step_function(u))
    np.testing.assert_array_equal(f["relu"], F.relu(u))
    np.testing.assert_array_equal(f["step"], F.step_function(u))
    # and each plotted derivative is the slope of its plotted function where that is smooth
    slope = np.gradient(f["sigmoid"], u)
    np.testing.assert_allclose(slope[1:-1], df["sigmoid"][1:-1], atol=1e-3)
    lines = fig.axes[1].get_lines()
    np.testing.assert_array_equal(lines[1].get_ydata(), df["sigmoid"])


def test_linear_vs_nonlinear_stacked_identity_stays_a_straight_line():
    fig = plots.linear_vs_nonlinear(lang="en", seed=0)
    x, stacked = fig.data["x"], fig.data["stacked"]
    second = np.diff(stacked["identity"], 2)
    assert np.abs(second).max() < 1e-9
    assert np.abs(np.diff(stacked["relu"], 2)).max() > 1e-3  # the ReLU network bends
    p = fig.data["params"]
    expected = F.relu(x[:, None] @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    np.testing.assert_allclose(stacked["relu"], expected[:, 0], rtol=1e-12)


def test_network_diagram_layout_and_weights():
    net = nnscratch.Network("2-3-3-1", seed=0)
    fig = plots.network(net, lang="en")
    data = fig.data
    assert data["sizes"] == [2, 3, 3, 1]
    assert len(data["positions"]) == 2 + 3 + 3 + 1
    assert len(data["bias_positions"]) == 3  # one bias node per layer that feeds another
    for key, value in net.params.items():
        np.testing.assert_array_equal(data["weights"][key], value)
    assert len(fig.axes) == 2  # the diagram and the weight colour bar

    plain = plots.network([2, 3, 3, 1], lang="en")
    assert plain.data["weights"] is None and len(plain.axes) == 1
    big = plots.network("784-40-10", lang="en", max_nodes=6)
    assert len(big.data["positions"]) == 5 + 5 + 5  # per wide layer: the first 4, ⋮, the last
    assert "0:783" in big.data["positions"] and "1:39" in big.data["positions"]
    from_dict = plots.network({k: v.copy() for k, v in net.params.items()}, lang="en")
    assert from_dict.data["sizes"] == [2, 3, 3, 1]
    with pytest.raises(ValueError, match="sizes"):
        plots.network("2-0-1")
    with pytest.raises(ValueError, match="params"):
        plots.network({"W1": np.zeros((2, 3))})


def test_training_curves_draw_the_history_they_are_given():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 2))
    d = (x[:, 0] * x[:, 1] > 0).astype(int)
    net = nnscratch.Network([2, 8, 2], output="softmax", seed=0)
    step = nnscratch.callbacks.StepDecay(step_size=3, gamma=0.5)
    history = nnscratch.train(net, x[:40], d[:40], lr=0.1, epochs=8, seed=0, validation_data=(x[40:], d[40:]),
                              callbacks=[step])
    fig = plots.training_curves(history, lang="ja")
    curves = fig.data["curves"]
    for name in ("loss", "val_loss", "accuracy", "val_accuracy", "lr"):
        np.testing.assert_array_equal(curves[name], getattr(history, name))
    assert len(fig.axes) == 3  # loss, accuracy and (the rate changed) the learning rate
    np.testing.assert_array_equal(fig.axes[0].get_lines()[1].get_ydata(), history.val_loss)

    regression = plots.training_curves({"loss": [3.0, 2.0, 1.0]}, lang="en")
    assert len(regression.axes) == 1
    with pytest.raises(ValueError, match="history"):
        plots.training_curves({"loss": []})
    with pytest.raises(TypeError, match="history"):
        plots.training_curves([1.0, 2.0])


def test_training_curves_demo_run_learns():
    curves = plots.training_curves(lang="en", seed=0).data["curves"]
    assert curves["loss"][-1] < curves["loss"][0] / 2
    assert curves["val_accuracy"][-1] > 0.85


def test_learning_rates_large_diverges_small_is_slow_good_converges():
    fig = plots.learning_rates(lang="en")
    small, good, large = fig.data["lrs"]
    runs = fig.data["runs"]
    assert runs[large]["diverged_at"] is not None
    assert runs[large]["loss"][-1] > 1e3 * runs[large]["loss"][0]  # the blow-up is on the curve
    assert runs[good]["diverged_at"] is None and runs[small]["diverged_at"] is None
    first = runs[good]["loss"][0]
    assert runs[small]["loss"][0] == first == runs[large]["loss"][0]  # same start for every rate
    assert runs[good]["loss"][-1] < first / 100  # converges
    assert runs[good]["loss"][-1] < runs[small]["loss"][-1] < first  # the small rate is slower
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="lrs"):
        plots.learning_rates((0.1, 0.01))


def test_batch_modes_count_updates_and_match_full_batch_training():
    n, k, epochs = 40, 8, 3
    fig = plots.batch_modes(n_samples=n, batch_size=k, epochs=epochs, lang="en", seed=5)
    data = fig.data
    assert len(data["full_batch"]["loss"]) == epochs + 1
    assert len(data["mini_batch"]["loss"]) == epochs * n // k + 1
    assert len(data["online"]["loss"]) == epochs * n + 1
    starts = {data[m]["loss"][0] for m in ("full_batch", "mini_batch", "online")}
    assert len(starts) == 1  # the same initial network
    for mode in ("full_batch", "mini_batch", "online"):
        assert data[mode]["loss"][-1] < data[mode]["loss"][0]
        assert data[mode]["epochs"][-1] == epochs
    # full batch: each recorded loss is what nnscratch.train records before the next update
    rng = np.random.default_rng(5)
    lin = nnscratch.datasets.linear(n_samples=n, seed=rng)
    net = nnscratch.Network([2, 10, 1], hidden="relu", output="identity", seed=rng)
    history = nnscratch.train(net, lin.x, lin.y[:, None], lr=0.07, epochs=epochs, batch_size=None,
                              shuffle=False)
    np.testing.assert_allclose(data["full_batch"]["loss"][:epochs], history.loss, rtol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        plots.batch_modes(n_samples=10, batch_size=10)


def test_minibatch_update_is_one_step_per_mini_batch_of_the_formula():
    """P69: every epoch cuts the data into mini-batches D_t (a partition), and each point is
    w⁽ᵗ⁺¹⁾ = w⁽ᵗ⁾ − ε∇E_t with E_t the mean of ½(x_n·w − d_n)² over D_t alone."""
    n, k, lr, epochs = 10, 3, 0.7, 2
    fig = plots.minibatch_update(n_samples=n, batch_size=k, lr=lr, epochs=epochs, lang="en", seed=4)
    data = fig.data
    per_epoch = -(-n // k)
    assert data["batches_per_epoch"] == per_epoch and len(data["batches"]) == per_epoch * epochs
    assert data["w"].shape == (per_epoch * epochs + 1, 2)
    for e in range(epochs):  # each epoch uses every sample exactly once
        seen = np.concatenate(data["batches"][e * per_epoch:(e + 1) * per_epoch])
        assert sorted(seen.tolist()) == list(range(n))
    x, d = data["x"], data["d"][:, 0]
    for t, batch in enumerate(data["batches"]):
        w = data["w"][t]
        grad = x[batch].T @ (x[batch] @ w - d[batch]) / len(batch)  # ∇E_t, from D_t only
        np.testing.assert_allclose(data["grads"][t], grad, rtol=1e-12)
        np.testing.assert_allclose(data["w"][t + 1], w - lr * grad, rtol=1e-12)
    full = [0.5 * np.mean((x @ w - d) ** 2) for w in data["w"]]
    np.testing.assert_allclose(data["loss"], full, rtol=1e-12)
    assert data["loss"][-1] < data["loss"][0] / 2
    np.testing.assert_allclose(data["minimum"], np.linalg.lstsq(x, d, rcond=None)[0])
    from matplotlib.text import Text

    texts = " ".join(t.get_text() for t in plots.minibatch_update(epochs=1).findobj(Text))
    assert "ミニバッチ" in texts and "$D_{1}$" in texts and "$w^{(2)}$" in texts
    with pytest.raises(ValueError, match="batch_size"):
        plots.minibatch_update(n_samples=5, batch_size=5)
    with pytest.raises(ValueError, match="^lr"):
        plots.minibatch_update(lr=0)
    with pytest.raises(ValueError, match="^start"):
        plots.minibatch_update(start=(1.0,))


def test_decision_boundary_of_a_given_network_is_its_prediction():
    data = nnscratch.datasets.xor(n_samples=120, seed=0)
    net = nnscratch.Network([2, 16, 2], output="softmax", seed=0)
    nnscratch.train(net, data.x, data.y, optimizer="adam", lr=0.02, epochs=60, batch_size=16, seed=0)
    fig = plots.decision_boundary(net, data.x, data.y, lang="ja", resolution=40)
    (panel,) = fig.data["panels"]
    assert panel["accuracy"] == net.accuracy(data.x, data.y) > 0.9
    grid = np.column_stack([panel["xx"].ravel(), panel["yy"].ravel()])
    np.testing.assert_array_equal(panel["zz"].ravel(), net.predict_classes(grid))
    with pytest.raises(ValueError, match="net"):
        plots.decision_boundary(nnscratch.Network([2, 3, 1], seed=0), data.x, data.y)
    with pytest.raises(ValueError, match="datasets"):
        plots.decision_boundary(datasets=("moon",))


def test_decision_boundary_trains_each_data_set_well():
    fig = plots.decision_boundary(lang="en", datasets=("moons", "circles", "xor"), epochs=60, resolution=30)
    accuracies = {p["name"]: p["accuracy"] for p in fig.data["panels"]}
    assert set(accuracies) == {"moons", "circles", "xor"}
    assert all(acc > 0.9 for acc in accuracies.values()), accuracies


def test_vanishing_gradients_sigmoid_first_layer_is_100x_below_relu():
    fig = plots.vanishing_gradients(lang="en")
    norms = fig.data["norms"]
    assert len(norms["sigmoid"]) == len(norms["relu"]) == 10
    assert norms["sigmoid"][0] * 100 <= norms["relu"][0]
    assert norms["sigmoid"][0] * 1000 < norms["sigmoid"][-1]  # it shrinks towards the input
    # the norms are those of the drawn networks' back-propagated gradients
    for hidden in ("sigmoid", "relu"):
        net = nnscratch.Network.from_params(fig.data["params"][hidden], hidden=hidden, output="softmax")
        grads = net.gradient(fig.data["x"], fig.data["d"])
        expected = [np.linalg.norm(grads[f"W{i}"]) for i in range(1, 11)]
        np.testing.assert_allclose(norms[hidden], expected, rtol=1e-10)


def test_activation_histograms_show_what_the_initial_scale_does():
    fig = plots.activation_histograms(lang="en")
    data = fig.data
    settings = [(r["activation"], r["init"]) for r in data["rows"]]
    assert settings == [(a, i) for a in ("sigmoid", "relu") for i in (1.0, 0.01, "xavier", "he")]
    assert [r["std"] for r in data["rows"][:4]] == pytest.approx([1.0, 0.01, 0.1, np.sqrt(0.02)])
    assert data["x"].shape == (1000, 100) and len(data["G"]) == 5 and data["counts"].shape == (8, 5, 30)
    near, std = data["near"], data["std"]
    # sigmoid, σ = 1: more than half of the outputs within 0.02 of 0 or 1 in every layer (measured 53–69%)
    assert near[0].min() > 0.5
    # sigmoid, σ = 0.01: all near 0.5, none near 0 or 1; Xavier and He: spread, almost none saturated
    assert near[1].max() == 0 and std[1].max() < 0.03
    assert near[2].max() < 0.01 and std[2].min() > 0.1
    assert near[3].max() < 0.02 and std[3].min() > 0.1
    # ReLU: about half the outputs are 0; He keeps the spread in every layer, Xavier shrinks it, σ = 0.01
    # makes it vanish, σ = 1 makes it explode
    assert np.all(np.abs(data["zero"][4:] - 0.5) < 0.1) and np.isnan(near[4:]).all()
    assert std[7].max() / std[7].min() < 1.5
    assert std[6][-1] < 0.5 * std[6][0]
    assert std[5][-1] < 1e-4 and std[4][-1] > 1e3


def test_activation_histograms_numbers_are_the_library_functions():
    from nnscratch._arch import _init_std

    fig = plots.activation_histograms(lang="en", activations=("sigmoid", "tanh", "relu"), inits=(1.0, "he"),
                                      n_layers=3, width=40, n_samples=200, bins=12, seed=5)
    data = fig.data
    functions = {"sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu}
    for r, row in enumerate(data["rows"]):
        assert row["std"] == _init_std(row["init"], 40)
        z = data["x"]
        for col, g in enumerate(data["G"]):
            z = functions[row["activation"]](z @ (row["std"] * g))
            assert data["std"][r, col] == pytest.approx(z.std(), rel=1e-12)
            assert data["zero"][r, col] == np.mean(z == 0)
            if row["activation"] == "relu":
                expected = np.histogram(z[z > 0], bins=data["edges"][r])[0]
                assert np.isnan(data["near"][r, col])
            else:
                expected = np.histogram(z, bins=data["edges"][r])[0]
                edges = (0.0, 1.0) if row["activation"] == "sigmoid" else (-1.0, 1.0)
                share = np.mean((np.abs(z - edges[0]) < 0.02) | (np.abs(z - edges[1]) < 0.02))
                assert data["near"][r, col] == share
                assert expected.sum() == z.size  # every output is in the panel
            np.testing.assert_array_equal(data["counts"][r, col], expected)
    again = plots.activation_histograms(lang="en", activations=("relu",), inits=(1.0,), n_layers=2, width=40,
                                        n_samples=200, bins=12, seed=5)
    np.testing.assert_array_equal(again.data["x"], data["x"])            # seeded
    other = plots.activation_histograms(lang="en", activations=("relu",), inits=(1.0,), n_layers=2, width=40,
                                        n_samples=200, bins=12, seed=6)
    assert not np.array_equal(other.data["x"], data["x"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activations": ("softmax",)}, r"^activations: expected names from 'sigmoid', 'tanh', 'relu'"),
        ({"activations": "relu"}, r"^activations: "),
        ({"inits": ("lecun",)}, r"^inits: expected .*e\.g\. \(1\.0, 0\.01, 'xavier', 'he'\), got 'lecun'"),
        ({"inits": ()}, r"^inits: "),
        ({"inits": (-1.0,)}, r"^inits: "),
        ({"bins": 1}, r"^bins: expected an integer of at least 2"),
        ({"n_layers": 0}, r"^n_layers: "),
    ],
)
def test_activation_histograms_bad_arguments(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        plots.activation_histograms(out=tmp_path / "h.png", **kwargs)
    assert not list(tmp_path.iterdir())


def test_gradient_cost_agreement_and_timing():
    fig = plots.gradient_cost(hidden_sizes=(2, 8, 24), repeats=3, lang="en")
    data = fig.data
    assert list(data["n_params"]) == [4 * h + h + h * h + h + h * 3 + 3 for h in (2, 8, 24)]
    assert np.all(data["rel_error"] < 1e-6)  # numerical and back-propagated gradients agree
    assert data["t_numerical"][-1] > data["t_numerical"][0]  # grows with the parameter count
    assert data["ratio"][-1] > 10  # back-propagation is far cheaper
    np.testing.assert_allclose(data["ratio"], data["t_numerical"] / data["t_backprop"])


# ---------------------------------------------------------------- entry points and errors


def test_draw_dispatches_and_rejects_bad_arguments(tmp_path):
    fig = plots.draw("network", lang="en", layers="2-4-1", seed=1)
    assert fig.data["sizes"] == [2, 4, 1] and fig.data["weights"] is not None
    with pytest.raises(ValueError) as err:
        plots.draw("histogram", out=tmp_path / "x.png")
    message = str(err.value)
    assert "histogram" in message and all(kind in message for kind in plots.KINDS)
    assert "\n" not in message
    with pytest.raises(ValueError, match="layers"):
        plots.draw("activations", layers="2-3-1")
    with pytest.raises(ValueError, match="lang"):
        plots.activations(lang="fr")
    with pytest.raises(ValueError, match=r"out: .*\.png or \.svg"):
        plots.activations(out=tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="out: the folder"):
        plots.activations(out=tmp_path / "missing" / "a.png")
    assert not list(tmp_path.iterdir())



def test_missing_japanese_font_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"nnscratch\[lab\].*lang='en'"):
        plots.activations(lang="ja")
    assert plots.activations(lang="en").data["u"].size

def test_cli_register_builds_the_plot_subcommand(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="nnscratch")
    plot_cli.register(parser.add_subparsers(dest="command"))
    out = tmp_path / "net.png"
    args = parser.parse_args(["plot", "network", "--out", str(out), "--lang", "en", "--layers", "2-3-3-1",
                              "--seed", "0"])
    assert args.func(args) == 0
    check_png(out)
    assert str(out) in capsys.readouterr().out
    bad = parser.parse_args(["plot", "nope", "--out", str(tmp_path / "n.png")])
    with pytest.raises(ValueError, match="kind: unknown plot 'nope'"):
        bad.func(bad)


def test_nnscratch_plot_command_line(tmp_path):
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nnscratch.cli", "plot", *argv], capture_output=True,
                              text=True, cwd=tmp_path, timeout=120)

    ok = run("network", "--out", "net.svg", "--lang", "ja", "--layers", "2-3-3-1", "--seed", "0")
    assert ok.returncode == 0, ok.stderr
    check_svg(tmp_path / "net.svg")
    ok = run("vanishing_gradients", "--out", "vg.png", "--lang", "en", "--dpi", "50")
    assert ok.returncode == 0, ok.stderr
    check_png(tmp_path / "vg.png")

    bad = run("histogram", "--out", "h.png")
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "histogram" in lines[0] and "decision_boundary" in lines[0]
    bad = run("activations", "--out", "a.jpg")
    assert bad.returncode == 2 and ".png or .svg" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.svg", "vg.png"]
