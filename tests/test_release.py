"""A release a user can follow: one version (pyproject.toml's) in ``nnscratch.__version__`` and ``nnscratch
--version``, heading the latest entry of CHANGELOG.md, whose every change says what to do about it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnscratch
from nnscratch import _version

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = re.search(r"^\[project\]$(.*?)(?=^\[)", text, re.M | re.S).group(1)
    return re.search(r'^version = "([^"]+)"$', project, re.M).group(1)


def _entries() -> list[tuple[str, str]]:
    """(heading, body) of each ``## [version] - date`` entry, newest first."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return [(p.splitlines()[0], p) for p in parts]


def test_the_version_heads_the_changelogs_latest_entry():
    version = nnscratch.__version__
    assert version == _pyproject_version() == "0.2.0"
    heading, _ = _entries()[0]
    assert re.fullmatch(rf"\[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}", heading), heading


def test_nnscratch_version_prints_it():
    command = [sys.executable, "-m", "nnscratch.cli", "--version"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == f"nnscratch {nnscratch.__version__}\n", done
    assert nnscratch.__version__ == "0.2.0"


def test_every_change_of_the_latest_release_says_what_to_do():
    _, body = _entries()[0]
    changed = body.split("### Changed", 1)[1].split("\n### ", 1)[0]
    items = re.split(r"^- ", changed, flags=re.M)[1:]
    assert len(items) >= 3
    for item in items:
        assert "*What to do:*" in item, item[:80]
    for subject in ("Adam's default learning rate", "`nnscratch.load(path)` returns what was saved",
                    "`NNRegressor` trains on standardised targets"):
        assert subject in changed


def test_an_installed_copy_takes_the_version_from_its_metadata(monkeypatch):
    """Outside a checkout (a wheel), the installed distribution's metadata is the version."""
    import importlib.metadata as metadata

    monkeypatch.setattr(_version, "_from_checkout", lambda: None)
    monkeypatch.setattr(metadata, "version", lambda name: {"nnscratch": "9.8.7"}[name])
    assert _version.version() == "9.8.7"

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert _version.version() == "0+unknown"


@pytest.mark.parametrize("text, found", [
    ('[project]\nname = "nnscratch"\nversion = "1.2.3"\n[tool.x]\nversion = "9"\n', "1.2.3"),
    ('[project]\nname = "other"\nversion = "1.2.3"\n', None),
    ('[tool.x]\nname = "nnscratch"\nversion = "1.2.3"\n', None),
])
def test_only_nnscratchs_own_pyproject_is_read(tmp_path, monkeypatch, text, found):
    package = tmp_path / "src" / "nnscratch"
    package.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(text)
    monkeypatch.setattr(_version, "__file__", str(package / "_version.py"))
    assert _version._from_checkout() == found
