"""The documentation site (mkdocs.yml, docs/): it builds in strict mode — no broken link or anchor, no
page left out of the nav — and its API reference lists every public name (docs/check_site.py). The build
needs the docs extra (``pip install -e ".[docs]"``); CI installs it, so there the build always runs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import check_site  # noqa: E402  (docs/check_site.py)


def test_every_public_module_has_a_reference_page():
    rendered = set(check_site.rendered_modules())
    assert set(check_site.public_modules()) <= rendered, set(check_site.public_modules()) - rendered


def test_every_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    listed = set(re.findall(r"([\w./-]+\.(?:md|ipynb))\s*$", nav, re.M))
    docs = ROOT / "docs"
    pages = {p.relative_to(docs).as_posix() for p in [*docs.rglob("*.md"), *docs.rglob("*.ipynb")]
             if ".ipynb_checkpoints" not in p.parts}
    assert pages == listed, {"not in the nav": pages - listed, "in the nav, no such page": listed - pages}


def test_the_site_is_offline_friendly():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+font: false", config, re.M), "material must not fetch web fonts"
    assert re.search(r"^\s+execute: false", config, re.M), "the notebooks must not be executed"
    assert "import:" not in config, "no inventories fetched at build time"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"),
                    reason='the docs extra is not installed (pip install -e ".[docs]")')
def test_the_site_builds_strictly_and_lists_every_public_name(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site)]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert check_site.missing_from_reference(site) == []
    assert check_site.unbuilt_pages(site) == []
    ja = (site / "ja" / "index.html").read_text(encoding="utf-8")
    en = (site / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja"' in ja and '<html lang="en"' in en
    assert "fonts.googleapis" not in ja + en
