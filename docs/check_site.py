"""Checks of the built documentation site, after ``mkdocs build --strict`` (which already fails on a
broken link or anchor and on a page left out of the nav):

- the API reference lists every public name: for each public module of nnscratch (every module or
  package directly under ``nnscratch`` whose name does not start with ``_`` and that has ``__all__``,
  and every module a reference page renders) and each name in its ``__all__``, a reference page has an
  entry whose anchor is ``module.name``; each of ``nnscratch.__all__`` is in the top-level table;
- every page of ``docs/`` (Markdown or notebook) was built.

    python docs/check_site.py [SITE_DIR]      # default: site

Exit status 1 with the missing names listed, 0 when all is there.
"""

from __future__ import annotations

import importlib
import pkgutil
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


def public_modules() -> list[str]:
    """nnscratch's public modules: the non-private ones directly under it that declare ``__all__``."""
    import nnscratch

    out = []
    for info in pkgutil.iter_modules(nnscratch.__path__, "nnscratch."):
        if info.name.rpartition(".")[2].startswith("_"):
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            out.append(info.name)
    return out


def missing_from_reference(site: Path) -> list[str]:
    import nnscratch

    ids = set()
    for html in (site / "reference").rglob("*.html"):
        ids.update(re.findall(r'\bid="([^"]+)"', html.read_text(encoding="utf-8")))
    missing = []
    modules = sorted(set(public_modules()) | set(rendered_modules()))
    for module_name in modules:
        if module_name not in rendered_modules():
            missing.append(f"{module_name} (no ::: directive in docs/reference/)")
            continue
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if f"{module_name}.{name}" not in ids:
                missing.append(f"{module_name}.{name}")
    top = (site / "reference" / "index.html").read_text(encoding="utf-8")
    missing += [f"nnscratch.{name} (top-level table)" for name in nnscratch.__all__
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
