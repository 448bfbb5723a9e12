"""What the trace prints, in Japanese and English: labels of every quantity and the course's ``print_vec``.

Each quantity has a symbolic key — ``W1``, ``b1``, ``u1``, ``z1``, ``delta1``, ``dW1``, ``db1``,
``new_W1``, ``new_b1`` (numbered by layer; no number for a lone layer), batch normalisation's
``gamma1``, ``beta1``, ``bn_mu1``, ``bn_var1``, ``bn_xhat1``, ``bn_y1`` (and ``bn_mu_run1``,
``bn_var_run1`` in evaluation), dropout's ``drop_mask1``, ``drop_out1``, and ``x``, ``y``, ``y_sum``,
``d``, ``E``, ``penalty``, ``lr`` — and :func:`label` turns a key into the course's label (重み1, 総入力1, …).

The Japanese terms are those of ``docs/ja/glossary.md`` (正解値 for the target d, 二乗和誤差 for ½Σ(y − d)²);
``tests/test_japanese_terms.py`` keeps them so.
"""

from __future__ import annotations

import re

LANGS = ("ja", "en")

_SECTIONS = {
    "ja": {
        "init": "ネットワークのパラメータ",
        "forward": "順伝播開始",
        "backward": "誤差逆伝播開始",
        "update": "更新後パラメータ",
    },
    "en": {
        "init": "network parameters",
        "forward": "forward pass",
        "backward": "back-propagation",
        "update": "updated parameters",
    },
}

_LOSS_NAMES = {
    "ja": {
        "mse": "二乗和誤差 ½Σ(y − d)²",
        "cross_entropy": "交差エントロピー誤差",
        "binary_cross_entropy": "二値交差エントロピー誤差",
    },
    "en": {
        "mse": "squared error ½Σ(y − d)²",
        "cross_entropy": "cross entropy",
        "binary_cross_entropy": "binary cross entropy",
    },
}

# symbolic key prefix -> label template ({n} is the layer number, empty for a lone layer)
_NUMBERED = {
    "ja": {
        "W": "重み{n}",
        "b": "バイアス{n}",
        "u": "総入力{n}",
        "z": "中間層出力{n}",
        "delta": "偏微分_dE/du{n}",
        "dW": "偏微分_重み{n}",
        "db": "偏微分_バイアス{n}",
        "new_W": "重み{n}",
        "new_b": "バイアス{n}",
        "gamma": "スケール γ{n}",
        "beta": "シフト β{n}",
        "dgamma": "偏微分_γ{n}",
        "dbeta": "偏微分_β{n}",
        "new_gamma": "スケール γ{n}",
        "new_beta": "シフト β{n}",
        "bn_mu": "バッチ正規化{n}: 平均 μ",
        "bn_var": "バッチ正規化{n}: 分散 σ²",
        "bn_xhat": "バッチ正規化{n}: 正規化 x̂",
        "bn_y": "バッチ正規化{n}: 出力 y",
        "bn_mu_run": "バッチ正規化{n}: 移動平均 μ",
        "bn_var_run": "バッチ正規化{n}: 分散の移動平均 σ²",
        "drop_mask": "ドロップアウト{n}: マスク",
        "drop_out": "ドロップアウト{n}: 出力",
    },
    "en": {
        "W": "weight W{n}",
        "b": "bias b{n}",
        "u": "total input u{n}",
        "z": "hidden-layer output z{n}",
        "delta": "delta dE/du{n}",
        "dW": "gradient dE/dW{n}",
        "db": "gradient dE/db{n}",
        "new_W": "weight W{n}",
        "new_b": "bias b{n}",
        "gamma": "scale gamma{n}",
        "beta": "shift beta{n}",
        "dgamma": "gradient dE/dgamma{n}",
        "dbeta": "gradient dE/dbeta{n}",
        "new_gamma": "scale gamma{n}",
        "new_beta": "shift beta{n}",
        "bn_mu": "batch norm {n}: mean μ",
        "bn_var": "batch norm {n}: variance σ²",
        "bn_xhat": "batch norm {n}: normalised x̂",
        "bn_y": "batch norm {n}: output y",
        "bn_mu_run": "batch norm {n}: running mean μ",
        "bn_var_run": "batch norm {n}: running variance σ²",
        "drop_mask": "dropout {n}: mask",
        "drop_out": "dropout {n}: output",
    },
}
_PLAIN = {
    "ja": {"x": "入力", "y": "出力", "y_sum": "出力合計", "d": "正解値", "E": "誤差", "lr": "学習率",
           "penalty": "正則化項 (L1/L2)"},
    "en": {
        "x": "input x",
        "y": "output y",
        "y_sum": "output sum",
        "d": "target d",
        "E": "error E",
        "lr": "learning rate",
        "penalty": "regularisation term (L1/L2)",
    },
}
_KEY = re.compile(r"^(new_W|new_b|new_gamma|new_beta|delta|dW|db|dgamma|dbeta|gamma|beta|"
                  r"bn_mu_run|bn_var_run|bn_mu|bn_var|bn_xhat|bn_y|drop_mask|drop_out|W|b|u|z)(\d*)$")


def _check_lang(lang: object) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: expected 'ja' or 'en', got {lang!r}")
    return lang  # type: ignore[return-value]


def label(key: str, lang: str = "ja", loss: str | None = None) -> str:
    """The printed label of a symbolic key (``"W1"``, ``"delta2"``, ``"E"``, …) in ``lang``."""
    lang = _check_lang(lang)
    if key == "E" and loss is not None:
        return f"{_PLAIN[lang]['E']} ({_LOSS_NAMES[lang][loss]})"
    if key in _PLAIN[lang]:
        return _PLAIN[lang][key]
    m = _KEY.match(key)
    if m is None:
        raise ValueError(f"key: unknown trace quantity {key!r}")
    return _NUMBERED[lang][m.group(1)].format(n=m.group(2))


def format_vec(text: str, vec: object) -> str:
    """The course's ``print_vec`` as a string: ``*** text ***``, the value, a blank line.

    >>> format_vec("誤差", 0.25).splitlines()
    ['*** 誤差 ***', '0.25', '']
    """
    return f"*** {text} ***\n{vec}\n\n"


def print_vec(text: str, vec: object) -> None:
    """The course's ``print_vec(text, vec)``: prints ``*** text ***``, the value and a blank line.

    >>> import numpy as np
    >>> print_vec("総入力1", np.array([1.5, -0.5]))
    *** 総入力1 ***
    [ 1.5 -0.5]
    <BLANKLINE>
    """
    print(format_vec(text, vec), end="")

