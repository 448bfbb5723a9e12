"""Checks of the built documentation site, after ``mkdocs build --strict`` (which already fails on a
broken link or anchor and on a page left out of the nav):

- the API reference lists every public name: for each public module of nnscratch (every module or
  package directly under ``nnscratch`` whose name does not start with ``_`` and that has ``__all__``,
  and every module a reference page renders) and each name in its ``__all__``, a reference page has an
  entry whose anchor is ``module.name``; each of ``nnscratch.__all__`` is in the top-level table;
- every page of ``docs/`` (Markdown or notebook) was built.

    python docs/check_site.py [SITE_DIR]      # default: site

Exit status 1 with the missing names listed, 0 when all is there. The modules are read statically (with
Griffe, as mkdocstrings reads them), so the docs extra alone is enough: nothing of nnscratch is imported
unless a module's ``__all__`` cannot be read without running it.
"""

from __future__ import annotations

import functools
import importlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DIRECTIVE = re.compile(r"^::: ([\w.]+)", re.M)


def rendered_modules() -> list[str]:
    """The modules the reference pages render with a ``:::`` directive."""
    return sorted({m for page in (DOCS / "reference").glob("*.md")
                   for m in DIRECTIVE.findall(page.read_text(encoding="utf-8"))})


@functools.cache
def _package():
    import griffe

    return griffe.load("nnscratch", search_paths=[str(ROOT / "src")], resolve_aliases=False)


def exported(module_name: str) -> list[str]:
    """A module's ``__all__`` (empty without one), read statically; imported only when it is computed."""
    module = _package() if module_name == "nnscratch" else _package()[module_name.removeprefix("nnscratch.")]
    if module.exports is None:
        return []
    if all(isinstance(name, str) for name in module.exports):
        return list(module.exports)
    return list(importlib.import_module(module_name).__all__)


def public_modules() -> list[str]:
    """nnscratch's public modules: the non-private ones directly under it that declare ``__all__``."""
    return sorted(f"nnscratch.{name}" for name, module in _package().modules.items()
                  if not name.startswith("_") and module.exports is not None)


def top_level_names() -> list[str]:
    """``nnscratch.__all__``: ``__version__`` and the lazily loaded names (docs/hooks.py reads them)."""
    sys.path.insert(0, str(DOCS))
    import hooks

    return ["__version__", *hooks.top_level_names()]


def missing_from_reference(site: Path) -> list[str]:
    ids = set()
    for html in (site / "reference").rglob("*.html"):
        ids.update(re.findall(r'\bid="([^"]+)"', html.read_text(encoding="utf-8")))
    missing = []
    modules = sorted(set(public_modules()) | set(rendered_modules()))
    for module_name in modules:
        if module_name not in rendered_modules():
            missing.append(f"{module_name} (no ::: directive in docs/reference/)")
            continue
        for name in exported(module_name):
            if f"{module_name}.{name}" not in ids:
                missing.append(f"{module_name}.{name}")
    top = (site / "reference" / "index.html").read_text(encoding="utf-8")
    missing += [f"nnscratch.{name} (top-level table)" for name in top_level_names()
                if f"nnscratch.{name}</code>" not in top]
    return missing


def unbuilt_pages(site: Path) -> list[str]:
    out = []
    for page in sorted([*DOCS.rglob("*.md"), *DOCS.rglob("*.ipynb")]):
        rel = page.relative_to(DOCS)
        if ".ipynb_checkpoints" in rel.parts:
            continue
        stem = rel.with_suffix("")
        built = site / (stem.parent if stem.name == "index" else stem) / "index.html"
        if not built.exists():
            out.append(rel.as_posix())
    return out


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "site"
    problems = [f"not in the API reference: {m}" for m in missing_from_reference(site)]
    problems += [f"not built (missing from the nav?): {p}" for p in unbuilt_pages(site)]
    for line in problems:
        print(line)
    if not problems:
        print(f"site ok: {len(public_modules())} public modules, every public name in the API reference, "
              "every page built")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
