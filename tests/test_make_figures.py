"""docs/make_figures.py leaves a figure's file alone when nothing changed: the same code draws the same
bytes (seeded, no date or software version in the PNG), an unchanged file is not rewritten, and the one
figure of measured times is kept unless asked for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from needs import need_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def make_figures():
    need_module("matplotlib")
    need_module("PIL")
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_text_chunks(data: bytes) -> list[bytes]:
    """The keywords of a PNG's tEXt/iTXt/zTXt chunks."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    keys, i = [], 8
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            keys.append(data[i + 8 : i + 8 + length].split(b"\0", 1)[0])
        i += 12 + length
    return keys


@pytest.mark.parametrize("colors", ["128", "0"])
def test_a_figure_drawn_twice_is_the_same_file(make_figures, tmp_path, capsys, colors):
    args = ["--kinds", "network", "--lang", "en", "--out", str(tmp_path), "--colors", colors]
    assert make_figures.main(args) == 0
    path = tmp_path / "network.en.png"
    first, stat = path.read_bytes(), path.stat()
    assert "written" in capsys.readouterr().out
    assert png_text_chunks(first) == []  # no Software version, no date

    assert make_figures.main(args) == 0
    assert "unchanged" in capsys.readouterr().out
    assert path.read_bytes() == first
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino  # not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network.en.png"]  # no temporary left


def test_a_changed_figure_is_replaced(make_figures, tmp_path, capsys):
    path = tmp_path / "network.en.png"
    path.write_bytes(b"an older drawing")
    assert make_figures.main(["--kinds", "network", "--lang", "en", "--out", str(tmp_path)]) == 0
    assert "written" in capsys.readouterr().out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_measured_figure_is_kept_unless_remeasured(make_figures, tmp_path, capsys):
    path = tmp_path / "gradient_cost.en.png"
    path.write_bytes(b"times measured last time")
    args = ["--kinds", "gradient_cost", "--lang", "en", "--out", str(tmp_path)]
    assert make_figures.main(args) == 0
    assert "kept" in capsys.readouterr().out and path.read_bytes() == b"times measured last time"
    assert make_figures.main([*args, "--remeasure"]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
