"""The trace of one convolution: its numbers are the library's (im2col, Convolution.forward/backward),
the printout carries the book's row and column labels in ja/en, and ``nnscratch trace --conv`` prints it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import nnscratch
from nnscratch.functions import col2im, im2col
from nnscratch.lab import trace_cli
from nnscratch.lab.trace import ConvTrace, trace_convolution
from nnscratch.lab.trace.convolution import EXAMPLE_W, EXAMPLE_X, labelled_table
from nnscratch.layers import Convolution

BOOK_X = np.array(EXAMPLE_X)  # 『ゼロから作る』 図7-7's input


def direct(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """The convolution by its definition: u[n,f,i,j] = Σ x_pad[n,c,iS+p,jS+q]·W[f,c,p,q] + b[f]."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, _, hp, wp = xp.shape
    fn, _, fh, fw = W.shape
    oh, ow = (hp - fh) // stride + 1, (wp - fw) // stride + 1
    u = np.empty((n, fn, oh, ow))
    for a in range(n):
        for f in range(fn):
            for i in range(oh):
                for j in range(ow):
                    window = xp[a, :, i * stride : i * stride + fh, j * stride : j * stride + fw]
                    u[a, f, i, j] = np.sum(window * W[f]) + b[f]
    return u


def test_the_book_example_4x4_input_2x2_filter_gives_3x3():
    t = trace_convolution(BOOK_X, EXAMPLE_W, b=3.0)
    assert t.size["OH"] == t.size["OW"] == 3
    assert t.size["formula"] == ["OH = (4 + 2·0 − 2) / 1 + 1 = 3", "OW = (4 + 2·0 − 2) / 1 + 1 = 3"]
    assert t.col.shape == (9, 4) and t.W_mat.shape == (1, 4) and t.W_T.shape == (4, 1)
    # row (0, 0, 0) is the top-left window [[1, 2], [0, 1]]; row (0, 1, 2) the window at row 1, column 2
    assert t.col[0].tolist() == [1.0, 2.0, 0.0, 1.0] and t.col[5].tolist() == [2.0, 3.0, 1.0, 2.0]
    # 2·x[i, j] + 1·x[i+1, j+1] + 3
    expected = 2 * BOOK_X[:3, :3] + BOOK_X[1:, 1:] + 3
    np.testing.assert_array_equal(t.u[0, 0], expected)
    np.testing.assert_array_equal(t.product[:, 0], expected.ravel())
    assert t.same_as_layer is True


CASES = [
    # x shape, W shape, stride, pad
    ((1, 1, 4, 4), (1, 1, 2, 2), 1, 0),
    ((2, 3, 5, 5), (4, 3, 3, 3), 2, 1),
    ((1, 2, 6, 6), (2, 2, 2, 2), 1, 1),
    ((3, 1, 7, 5), (2, 1, 3, 1), 2, 2),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CASES)
def test_the_printed_product_is_the_layer_and_the_definition(x_shape, w_shape, stride, pad, rng):
    x, W = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    dout = rng.standard_normal((x_shape[0], w_shape[0], *direct(x, W, b, stride, pad).shape[2:]))
    t = trace_convolution(x, W, b, stride=stride, pad=pad, dout=dout)

    layer = Convolution(x_shape[1], w_shape[0], w_shape[2:], stride=stride, pad=pad, dtype="float64")
    layer.params["W"][...], layer.params["b"][...] = W, b
    u = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(t.u, u, rtol=1e-12, atol=1e-12)  # the printed reshape = Convolution.forward
    np.testing.assert_allclose(t.u, direct(x, W, b, stride, pad), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(t.layer_u, u)
    np.testing.assert_array_equal(t.col, im2col(x, *w_shape[2:], stride, pad))
    np.testing.assert_allclose(t.product, t.col @ W.reshape(w_shape[0], -1).T + b)
    np.testing.assert_allclose(t.dW, layer.grads["W"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.db, layer.grads["b"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.dx, dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.dx, col2im(t.dcol, x_shape, *w_shape[2:], stride, pad))
    assert t.same_as_layer is True and t.same_backward is True
    assert len(t.row_labels()) == t.col.shape[0] and len(t.column_labels()) == t.col.shape[1]
    assert np.shares_memory(t.x, x) is False and np.shares_memory(t.W, W) is False


def test_a_wrong_product_is_noticed():
    """same_as_layer is a real comparison: a layer with other filters disagrees."""
    t = trace_convolution(BOOK_X, EXAMPLE_W)
    t.layer_u = t.layer_u + 1
    assert not np.allclose(t.u, t.layer_u)


def test_backward_with_ones_counts_the_windows_over_each_pixel():
    t = trace_convolution(BOOK_X, np.ones((2, 2)), dout=np.ones((3, 3)))
    np.testing.assert_array_equal(t.dx[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    np.testing.assert_array_equal(t.dW[0, 0], [[BOOK_X[:3, :3].sum(), BOOK_X[:3, 1:].sum()],
                                               [BOOK_X[1:, :3].sum(), BOOK_X[1:, 1:].sum()]])
    assert t.db.tolist() == [9.0]


def test_padding_is_shown_and_the_confirmation_tests_sizes():
    t = trace_convolution(np.ones((6, 6)), np.ones((2, 2)), pad=1)
    assert t.u.shape == (1, 1, 7, 7) and t.x_pad.shape == (1, 1, 8, 8)
    assert t.x_pad[0, 0, 0].tolist() == [0.0] * 8 and t.x_pad[0, 0, 1, 1] == 1.0
    t = trace_convolution(np.ones((5, 5)), np.ones((3, 3)), stride=2, pad=1)
    assert t.u.shape == (1, 1, 3, 3) and t.size["formula"][0] == "OH = (5 + 2·1 − 3) / 2 + 1 = 3"


@pytest.mark.parametrize("lang, heads", [
    ("ja", ["##### 畳み込みの設定 #####", "##### 順伝播開始 (im2col と行列の積) #####",
            "*** im2col(x) (9, 4): 行 = フィルターの位置 (n, i, j), 列 = (c, p, q) ***",
            "*** Convolution.forward と一致 ***\nTrue", "##### 誤差逆伝播開始", "偏微分_重み"]),
    ("en", ["##### the convolution #####", "*** im2col(x) (9, 4): rows = filter positions (n, i, j), "
            "columns = (c, p, q) ***", "*** the same as Convolution.forward ***\nTrue",
            "*** the same as Convolution.backward ***\nTrue", "gradient ∂E/∂W"]),
])
def test_printout_labels_and_labelled_matrices(lang, heads):
    t = trace_convolution(BOOK_X, EXAMPLE_W, dout=np.ones((3, 3)), lang=lang)
    text = str(t)
    for head in heads:
        assert head in text, head
    col_block = text.split("(c, p, q) ***\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert col_block[0].split() == ["(0,0,0)", "(0,0,1)", "(0,1,0)", "(0,1,1)"]
    assert col_block[1].split() == ["(0,0,0)", "1.0", "2.0", "0.0", "1.0"]
    assert len(col_block) == 10
    assert "OH = (4 + 2·0 − 2) / 1 + 1 = 3" in text
    other = t.to_text("en" if lang == "ja" else "ja")
    assert other != text and len(t.labels()) == len(t.labels("en"))
    html = t.to_html()
    assert "im2col" in html and "<pre>" in html and "(0,1,1)" in html


def test_labelled_table_aligns_and_formats():
    table = labelled_table(np.array([[0.5, -12.25], [3.0, 4.0]]), ["r0", "r1"], ["a", "b"])
    lines = table.splitlines()
    assert len({len(line) for line in lines}) == 1  # every line as wide: the columns line up
    assert lines[1].split() == ["r0", "0.50", "-12.25"] and lines[0].split() == ["a", "b"]


def test_to_dict_is_json_with_the_labels():
    t = trace_convolution(BOOK_X, EXAMPLE_W, dout=np.ones((3, 3)), lr=0.1)
    d = json.loads(t.to_json())
    assert d["kind"] == "convolution" and d["rows"][4] == "(0,1,1)" and d["columns"][3] == "(0,1,1)"
    assert np.array(d["u"]).shape == (1, 1, 3, 3) and d["same_backward"] is True
    np.testing.assert_allclose(d["new_W"], np.array(EXAMPLE_W)[None, None] - 0.1 * t.dW)


def test_nnscratch_trace_follows_a_convolution_layer_and_updates_it():
    conv = Convolution(2, 3, 3, stride=1, pad=1, seed=0, dtype="float64")
    conv.params["b"][...] = [0.1, -0.2, 0.3]
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    W0, b0 = conv.params["W"].copy(), conv.params["b"].copy()
    t = nnscratch.trace(conv, x)
    assert isinstance(t, ConvTrace) and t.dout is None and t.same_as_layer
    np.testing.assert_allclose(t.u, conv.forward(x), rtol=1e-12)
    dout = np.ones((1, 3, 4, 4))
    t = nnscratch.trace(conv, x, dout, lr=0.5, lang="en")
    np.testing.assert_allclose(conv.params["W"], W0 - 0.5 * t.dW)  # the update is applied, as trace does
    np.testing.assert_allclose(conv.params["b"], b0 - 0.5 * 16)
    conv32 = Convolution(1, 1, 2, seed=0)  # float32 layer: the trace runs in its dtype
    assert nnscratch.trace(conv32, BOOK_X).same_as_layer is True


def test_a_conv_stack_is_traced_layer_by_layer_and_its_first_layer_step_by_step():
    net = nnscratch.presets.simple_convnet(input_shape=(1, 8, 8), filters=2, kernel=3, hidden=4)
    x = np.linspace(0, 1, 64).reshape(1, 1, 8, 8)
    t = nnscratch.trace(net, x, lang="en")  # the stack: layer by layer (tests/test_trace_stack.py)
    assert t.labels()[t.labels().index("input x") + 1] == (
        "layer 1 convolution 2×1×3×3 (stride 1, pad 0): output (1, 2, 6, 6)")
    one = nnscratch.trace(net.layers[0], x, lang="en")  # its convolution: im2col step by step
    assert isinstance(one, ConvTrace)
    np.testing.assert_allclose(one.u, t.outputs[0], rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"x": [1, 2, 3]}, r"x: expected finite numbers of shape \(H, W\)"),
    ({"x": "abc"}, "x: expected"),
    ({"W": np.ones((1, 2, 2, 2))}, r"W: expected .* C = 1"),
    ({"b": [1.0, 2.0]}, r"b: expected a number or one per filter, shape \(1,\)"),
    ({"stride": 3}, r"stride/pad: OH = \(H \+ 2P − FH\) / S \+ 1 = \(4 \+ 2·0 − 2\) / 3 \+ 1"),
    ({"pad": -1}, "pad: expected an integer ≥ 0"),
    ({"dout": np.ones((2, 2))}, r"dout: expected finite numbers of shape \(N, FN, OH, OW\) = \(1, 1, 3, 3\)"),
    ({"lr": 0.1}, "lr: an update needs the gradient from above"),
    ({"dout": np.ones((3, 3)), "lr": -1.0}, "lr: expected a positive number"),
    ({"x": np.ones((1, 1, 200, 200))}, "x: the trace prints the whole patch matrix"),
    ({"lang": "fr"}, "lang"),
])
def test_bad_arguments_raise_one_line(kwargs, match):
    args = {"x": BOOK_X, "W": EXAMPLE_W, **kwargs}
    with pytest.raises(ValueError, match=match) as err:
        trace_convolution(**args)
    assert "\n" not in str(err.value)


def test_cli_conv_prints_the_library_numbers(capsys):
    assert trace_cli.main(["--conv", "--bias", "3", "--backward"]) == 0
    out = capsys.readouterr().out
    t = trace_convolution(BOOK_X, EXAMPLE_W, b=3.0, dout=np.ones((3, 3)))
    assert out == str(t)
    assert trace_cli.main(["--conv", "--json", "--x", "[[1,2,3],[4,5,6],[7,8,9]]", "--filter", "1,0;0,-1",
                           "--pad", "1", "--lang", "en"]) == 0
    d = json.loads(capsys.readouterr().out)
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    np.testing.assert_allclose(d["u"], direct(x, np.array([[[[1.0, 0], [0, -1]]]]), np.zeros(1), 1, 1))


@pytest.mark.parametrize("argv, match", [
    (["--conv", "--layers", "2-3-2"], "conv: --layers belongs to the network trace"),
    (["--pad", "1"], "pad: --pad is for the convolution trace; add --conv"),
    (["--filter", "1,0;0,1"], "filter: --filter is for the convolution trace"),
    (["--conv", "--x", "1,2;3"], "x: expected rows of numbers"),
    (["--conv", "--dout", "1,1;1,1"], "dout: expected finite numbers of shape"),
])
def test_cli_conv_bad_input(argv, match):
    parser_args = trace_cli.argparse.ArgumentParser()
    trace_cli.register(parser_args.add_subparsers(dest="command"))
    args = parser_args.parse_args(["trace", *argv])
    with pytest.raises(ValueError, match=match):
        args.func(args)


def test_nnscratch_trace_conv_in_a_subprocess(tmp_path):
    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "nnscratch.cli", "trace", *argv], capture_output=True,
                              text=True, cwd=tmp_path, timeout=120, encoding="utf-8")

    ok = run("--conv", "--lang", "en", "--filter", "1,0,1;0,1,0;1,0,1", "--pad", "1", "--backward")
    assert ok.returncode == 0, ok.stderr
    assert "OH = (4 + 2·1 − 3) / 1 + 1 = 4" in ok.stdout
    assert "the same as Convolution.backward ***\nTrue" in ok.stdout
    ok = run("--conv")
    assert ok.returncode == 0 and "畳み込みの設定" in ok.stdout
    bad = run("--conv", "--stride", "3")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "OH = (H + 2P − FH) / S + 1 = (4 + 2·0 − 2) / 3 + 1" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_lab_pages_conv_commands_run(lang, capsys):
    """Every ``nnscratch trace --conv`` line the lab page shows runs and prints the trace."""
    import re
    import shlex
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / lang / "lab.md"
    lines = re.findall(r"^nnscratch trace (--conv.*?)(?:\s+#.*)?$", page.read_text(encoding="utf-8"), re.M)
    assert len(lines) >= 3
    for line in lines:
        assert trace_cli.main(shlex.split(line)) == 0, line
        out = capsys.readouterr().out
        if "--json" in line:
            assert json.loads(out)["same_as_layer"] is True, line
        else:
            assert "OH = (" in out and "True" in out, line
