"""Notebook display without a notebook: the HTML of what a learner looks at, plain text that stays
plain, figures that render as one PNG, Japanese fonts, the live view's fallback and the warning of a
run whose loss ended far too high."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from tests.needs import need_module

import nnscratch
from nnscratch import _display
from nnscratch.training.guards import ProgressPrinter, trend_warnings
from nnscratch.training.history import DivergenceWarning, History

PNG = "data:image/png;base64,"


def _xor():
    x, d = nnscratch.datasets.load("xor")
    return x, d


# ------------------------------------------------------------------ plain text stays plain


def test_summary_is_text_whose_repr_is_its_lines():
    net = nnscratch.Network("2-3-1", seed=0)
    s = net.summary()
    assert isinstance(s, str) and repr(s) == str(s) and "\\n" not in repr(s)
    assert s.splitlines()[0] == "Network 2-3-1 (float32)" and s == str(s)
    assert s._repr_html_().startswith("<pre") and "&gt;" in s._repr_html_()  # "2 -> 3" escaped
    assert repr(net).startswith("Network('2-3-1'")  # the terminal repr is unchanged


def test_text_escapes_html():
    assert "<b>" not in _display.Text("<b>x</b>")._repr_html_()


# ------------------------------------------------------------------ HTML of each object


def test_network_html_has_the_table_and_the_diagram():
    need_module("matplotlib")
    html = nnscratch.Network("2-3-3-1", hidden="sigmoid", seed=0)._repr_html_()
    assert "<table" in html and "sigmoid" in html and "total parameters: 25" in html
    assert html.count(PNG) == 1


def test_history_html_table_percentages_and_curves():
    need_module("matplotlib")
    x, d = _xor()
    net = nnscratch.Network("2-8-2", hidden="tanh", output="softmax", seed=0)
    h = nnscratch.train(net, x, d, optimizer="adam", lr=0.05, epochs=20, seed=0, validation_data=(x, d))
    html = h._repr_html_()
    assert "History: 20 epochs" in html and "val_accuracy" in html and "%" in html
    assert "…" in html  # 20 epochs: the first and last ones are shown
    assert html.count(PNG) == 1
    assert repr(h).startswith("History(epochs=20")


def test_trace_html_has_both_languages_and_aligned_numbers():
    net = nnscratch.Network("2-2-1", hidden="relu", output="identity", seed=1)
    t = nnscratch.trace(net, [[1.0, 0.5]], [[1.0]], lr=0.1, lang="en")
    html = t._repr_html_()
    for text in ("weight W1", "重み1", "forward pass", "順伝播開始", "updated parameters"):
        assert text in html
    assert "text-align:right;font-family:monospace" in html
    w = t.params["W1"]
    assert f"{w[0, 0]:.6f}" in html  # one format per array: every entry with six decimals
    assert "\\n" not in repr(t)


def test_model_html_metrics_summary_and_diagram():
    need_module("matplotlib")
    model = nnscratch.Model(data="xor", hidden_sizes=[8], epochs=5, seed=0).fit()
    html = model._repr_html_()
    assert "accuracy" in html and "%" in html and "<pre" in html and html.count(PNG) == 1
    assert "\\n" not in repr(model.summary())
    assert "unfitted" in nnscratch.Model(data="xor")._repr_html_()


def test_pictures_are_none_without_a_painter():
    assert _display.picture("no such picture", object()) is None
    assert _display.image(None, "x") == ""


# ------------------------------------------------------------------ figures


def test_lab_figures_render_as_one_png_in_ipython_without_pyplot():
    need_module("matplotlib")
    ipython = need_module("IPython.core.interactiveshell")
    fig = nnscratch.plot.network("2-3-1", lang="en")
    shell = ipython.InteractiveShell.instance()
    data, _ = shell.display_formatter.format(fig)
    assert "image/png" in data and data["image/png"]
    assert "matplotlib.pyplot" not in sys.modules or not fig.canvas.manager  # not pyplot-managed
    assert fig.data  # still the lab's figure


# ------------------------------------------------------------------ Japanese fonts

_FONT_SCRIPT = textwrap.dedent(
    """
    import io, warnings
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def missing():
        fig = Figure(); FigureCanvasAgg(fig); fig.add_subplot().set_title("誤差の推移")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
        return sum("missing from font" in str(w.message) for w in seen)

    before = missing()
    import nnscratch
    nnscratch.plot.activations(lang="ja")  # the lab's own figure does not change the global font
    between = missing()
    import nnscratch.lab
    family = nnscratch.lab.japanese_fonts()
    print(before, between, missing(), family[0])
    """
)


def test_japanese_fonts_render_the_learners_own_titles():
    need_module("matplotlib")
    need_module("matplotlib_fontja")
    out = subprocess.run([sys.executable, "-c", _FONT_SCRIPT], capture_output=True, text=True, check=True)
    before, between, after, family = out.stdout.split()
    assert int(before) > 0 and int(between) > 0  # DejaVu Sans has no 誤差
    assert int(after) == 0 and family == "IPAexGothic"


# ------------------------------------------------------------------ live view and its fallback


def test_verbose_outside_a_notebook_prints_lines_with_percentages(capsys):
    x, d = _xor()
    net = nnscratch.Network("2-8-2", hidden="tanh", output="softmax", seed=0)
    assert _display.live_progress(3) is None  # no kernel here
    nnscratch.train(net, x, d, epochs=3, seed=0, validation_data=(x, d), verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3")
    assert "%" in lines[0] and "accuracy 0." not in lines[0]


def test_progress_printer_formats_accuracy_as_percent(capsys):
    class T:
        history = History(epoch_time=[0.5])

    ProgressPrinter(10).on_epoch_end(2, {"loss": 0.25, "accuracy": 0.875, "lr": 0.1}, T())
    assert capsys.readouterr().out.strip() == "epoch  2/10  loss 0.2500  accuracy 87.50%  lr 0.1  0.50s"


# ------------------------------------------------------------------ a run that went wrong quietly


def test_loss_far_above_its_start_warns_with_a_tenth_of_the_rate():
    x, d = _xor()
    net = nnscratch.Network("2-8-2", hidden="sigmoid", output="softmax", seed=0)
    with pytest.warns(DivergenceWarning, match=r"lr=500 .*try lr=50\b"):
        h = nnscratch.train(net, x, d, lr=500, epochs=30, seed=0)
    assert len(h.warnings) == 1 and "far above" in h.warnings[0]
    assert History.from_dict(h.as_dict()).warnings == h.warnings


def test_healthy_and_short_runs_do_not_warn():
    x, d = _xor()
    net = nnscratch.Network("2-8-2", hidden="tanh", output="softmax", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        h = nnscratch.train(net, x, d, optimizer="adam", lr=0.05, epochs=30, seed=0)
        short = nnscratch.train(nnscratch.Network("2-8-2", hidden="sigmoid", output="softmax", seed=0),
                                x, d, lr=500, epochs=2, seed=0)  # two epochs show no trend
    assert h.warnings == [] and short.warnings == []


def test_a_loss_that_keeps_rising_warns():
    h = History(loss=[1.0, 0.5, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8], lr=[0.3] * 8)
    (message,) = trend_warnings(h, baseline=0.69)
    assert "rose in each of the last 5 epochs" in message and "try lr=0.03" in message
    noisy = History(loss=[1.0, 0.5, 0.4, 0.45, 0.42, 0.6, 0.7, 0.8], lr=[0.3] * 8)
    assert trend_warnings(noisy, baseline=0.69) == []


def test_cli_prints_the_warning_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "nnscratch.cli", "train", "--data", "xor", "--hidden", "sigmoid",
         "--lr", "500", "--optimizer", "sgd", "--quiet", "--save", str(tmp_path / "m.npz")],
        capture_output=True, text=True, check=True,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("warning:")]
    assert len(lines) == 1 and "try lr=50" in lines[0]
    assert "DivergenceWarning" not in out.stderr
    assert np.isfinite(nnscratch.load(tmp_path / "m.npz").metrics["train"]["loss"])


def test_model_fit_verbose_prints_lines(capsys):
    nnscratch.Model(data="xor", hidden_sizes=[8], epochs=2, seed=0).fit(verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[:2] for ln in lines] == [["epoch", "1/2"], ["epoch", "2/2"]] and "%" in lines[-1]


def test_lab_figures_render_with_a_non_inline_pyplot_backend():
    matplotlib = need_module("matplotlib")
    ipython = need_module("IPython.core.interactiveshell")
    code = textwrap.dedent(
        """
        import matplotlib
        matplotlib.use("agg")
        import matplotlib.pyplot  # pyplot imported with a non-inline backend: no PNG printer for figures
        from IPython.core.interactiveshell import InteractiveShell
        import nnscratch
        data, _ = InteractiveShell.instance().display_formatter.format(nnscratch.plot.activations(lang="en"))
        print(sorted(data))
        """
    )
    assert matplotlib and ipython
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['image/png', 'text/plain']"


def test_display_benchmark_runs(tmp_path):
    need_module("matplotlib")
    need_module("IPython")
    need_module("tqdm")
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_display.py"
    out = subprocess.run([sys.executable, str(bench), "--quick"], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert "end-of-run check" in out.stdout and "one redraw" in out.stdout and "History" in out.stdout


def test_baseline_loss_is_the_loss_of_knowing_nothing():
    from nnscratch.training.guards import baseline_loss

    softmax = nnscratch.Network("2-3-2", output="softmax")
    assert baseline_loss(softmax, np.array([0, 1, 1, 0])) == pytest.approx(np.log(2))  # labels
    assert baseline_loss(softmax, np.eye(2)[[0, 1, 1, 1]]) == pytest.approx(-(0.25 * np.log(0.25)
                                                                               + 0.75 * np.log(0.75)))
    assert baseline_loss(nnscratch.Network("2-3-1", output="sigmoid"), np.array([[0.0], [1.0]])) == (
        pytest.approx(np.log(2)))
    mse = nnscratch.Network("2-3-1")
    assert baseline_loss(mse, np.array([[2.0], [4.0]])) == pytest.approx(5.0)  # ½·mean d²


@pytest.fixture
def shown(monkeypatch):
    """What the live view puts on the page: IPython's display handle replaced by a list of its HTML."""
    need_module("matplotlib")
    need_module("tqdm")
    ipd = need_module("IPython.display")
    pictures = []

    class Handle:
        def update(self, obj):
            pictures.append(obj.data)

    monkeypatch.setattr(ipd, "display", lambda *a, **k: Handle())
    return pictures


def test_live_view_draws_the_final_state_with_the_warning(shown, capsys):
    from nnscratch.lab.live import LiveProgress

    x, d = _xor()
    view = LiveProgress(30, lang="en")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        nnscratch.train(nnscratch.Network("2-8-2", hidden="sigmoid", output="softmax", seed=0), x, d,
                        lr=500, epochs=30, seed=0, callbacks=[view])
    assert view.redraws == len(shown) >= 1 and view.draw_seconds > 0
    assert "epoch 30/30" in shown[-1] and "%" in shown[-1] and "try lr=50" in shown[-1]
    assert view._fig is None  # released at the end of the run
    captured = capsys.readouterr()
    assert "30/30" in captured.out + captured.err  # outside Jupyter tqdm.auto draws its text bar


def test_live_view_of_a_diverged_run_draws_its_last_epochs_and_closes_the_bar(shown):
    from nnscratch.lab.live import LiveProgress

    x = np.random.default_rng(0).standard_normal((40, 2))
    d = x @ np.array([[3.0], [2.0]])
    view = LiveProgress(20, lang="en")
    with pytest.raises(nnscratch.DivergenceError):
        nnscratch.train(nnscratch.Network([2, 8, 1], seed=0), x, d, lr=50.0, epochs=20, callbacks=[view])
    assert view._bar.disable  # tqdm's state after close()
    assert view._fig is None
    assert len(shown) == view.redraws
