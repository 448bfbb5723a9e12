"""MkDocs hooks of the documentation site (mkdocs.yml: ``hooks``). Plain functions, no network.

- ``<!-- include: PATH -->`` on a line of its own puts a file of the repository (outside ``docs/``) into a
  page: its first heading dropped, its other headings one level deeper, its links into the repository
  rewritten as below.
- A link that leaves ``docs/`` (``../../examples/README.md``) points to the site page that holds that
  content (``LINK_TARGETS``), or, for any other file of the repository, becomes its path as code: the
  site has no copy of the scripts and tests, the repository does.
- ``reference/index.md``: the table of ``nnscratch``'s top-level names and the table of modules are made
  from ``src/nnscratch/__init__.py`` and the reference pages' ``:::`` directives, so a new name or
  module page appears without editing the page.
- Japanese pages (``ja/``, ``*.ja.ipynb``) are served with ``<html lang="ja">`` (the browser then picks
  Japanese glyphs and fonts; ``assets/extra.css`` adds the usual Japanese system fonts), and a line break
  between two Japanese characters in their Markdown is dropped instead of shown as a space (Markdown
  joins the lines of a paragraph with a space, which Japanese text does not have).
"""

from __future__ import annotations

import ast
import posixpath
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# a repository file outside docs/ -> the site page (relative to docs/) that has its content
LINK_TARGETS = {
    "README.md": "index.md",
    "examples/README.md": "en/lab.md#examples",
    "benchmarks/README.md": "en/performance.md",
}

INCLUDE = re.compile(r"^<!-- include: (\S+) -->[ \t]*$", re.M)
LINK = re.compile(r"(\]\()([^)\s]+)(\))")
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
DIRECTIVE = re.compile(r"^::: ([\w.]+)", re.M)


def _rewrite_links(markdown: str, source_dir: str, page_dir: str) -> str:
    """Links of a text that lives in ``source_dir`` (relative to the repository), shown on a page in
    ``page_dir`` (relative to docs/): into docs/ stays a link, elsewhere per ``LINK_TARGETS``."""

    def link(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):  # a URL, an anchor on the same page, absolute
            return m.group(0)
        path, _, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(source_dir, path))
        if repo_path.startswith("docs/"):
            site_target = repo_path[len("docs/"):] + (f"#{anchor}" if anchor else "")
        elif repo_path in LINK_TARGETS:
            site_target = LINK_TARGETS[repo_path]
        else:  # not a page of the site: made text by _plain_repo_links
            return f"]({_REPO_TEXT}{repo_path})"
        site_path, _, site_anchor = site_target.partition("#")
        relative = posixpath.relpath(site_path, page_dir or ".")
        return f"]({relative}{'#' + site_anchor if site_anchor else ''})"

    # links in code blocks are code, not links
    pieces, last = [], 0
    for fence in FENCE.finditer(markdown):
        pieces.append(LINK.sub(link, markdown[last:fence.start()]))
        pieces.append(fence.group(0))
        last = fence.end()
    pieces.append(LINK.sub(link, markdown[last:]))
    return _plain_repo_links("".join(pieces))


_REPO_TEXT = "repo:"  # marks a link to a repository file that is not in the site (made text below)


def _plain_repo_links(markdown: str) -> str:
    """``[text](repo:path)`` → ``text`` when the text is the path or code, else ``text (`path`)``."""

    def text(m: re.Match) -> str:
        label, path = m.group(1), m.group(2)
        if label.strip("`") == path or label.startswith("`"):
            return label
        return f"{label} (`{path}`)"

    return re.sub(r"\[([^\]]*)\]\(" + re.escape(_REPO_TEXT) + r"([^)]+)\)", text, markdown)


def _include(m: re.Match, page_dir: str) -> str:
    rel = m.group(1)
    text = (ROOT / rel).read_text(encoding="utf-8")
    text = re.sub(r"\A# .*\n+", "", text)  # the included file's title: the page has its own
    out, last = [], 0
    for fence in FENCE.finditer(text):  # headings one level deeper, outside code blocks
        out.append(re.sub(r"^(#{2,5}) ", r"#\1 ", text[last:fence.start()], flags=re.M))
        out.append(fence.group(0))
        last = fence.end()
    out.append(re.sub(r"^(#{2,5}) ", r"#\1 ", text[last:], flags=re.M))
    return _rewrite_links("".join(out), posixpath.dirname(rel), page_dir)


def top_level_names() -> dict[str, tuple[str, str | None]]:
    """``nnscratch``'s lazily loaded public names: name → (module, attribute or None for a module)."""
    tree = ast.parse((ROOT / "src/nnscratch/__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(getattr(t, "id", None) == "_LAZY" for t in targets):
                return ast.literal_eval(node.value)
    raise RuntimeError("src/nnscratch/__init__.py has no _LAZY table")


def documented_modules() -> dict[str, str]:
    """module → the reference page (relative to docs/) whose ``:::`` directive renders it."""
    out = {}
    for page in sorted((DOCS / "reference").glob("*.md")):
        for module in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            out.setdefault(module, f"reference/{page.name}")
    return out


def _top_level_table() -> str:
    modules = documented_modules()
    rows = ["| name | what it is | documented as |", "|---|---|---|"]
    for name, (module, attr) in top_level_names().items():
        identifier = module if attr is None else f"{module}.{attr}"
        if module == "nnscratch.gradcheck":  # the function, documented in its module of the same name
            identifier = "nnscratch.gradcheck.gradcheck"
        kind = "module" if attr is None else "name"
        rows.append(f"| `nnscratch.{name}` | {kind} | [`{identifier}`][{identifier}] |")
    rows.append("| `nnscratch.__version__` | the version string | |")
    assert all(m in modules for m, _ in top_level_names().values()), "a top-level name's module has no page"
    return "\n".join(rows)


def _module_table(page_dir: str) -> str:
    return "\n".join(
        f"| [`{module}`][{module}] | [{Path(page).stem}]({posixpath.relpath(page, page_dir)}) |"
        for module, page in documented_modules().items()
    )


CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
CJK_BREAK = re.compile(f"([{CJK}])\n(?=[{CJK}])")


def join_japanese_lines(markdown: str) -> str:
    """Drop the line break between two Japanese characters, outside code blocks."""
    pieces, last = [], 0
    for fence in FENCE.finditer(markdown):
        pieces += [CJK_BREAK.sub(r"\1", markdown[last:fence.start()]), fence.group(0)]
        last = fence.end()
    pieces.append(CJK_BREAK.sub(r"\1", markdown[last:]))
    return "".join(pieces)


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    page_dir = posixpath.dirname(src)
    markdown = INCLUDE.sub(lambda m: _include(m, page_dir), markdown)
    if is_japanese(src):
        markdown = join_japanese_lines(markdown)
    if src == "reference/index.md":
        markdown = markdown.replace("<!-- nnscratch-top-level -->", _top_level_table())
        markdown = markdown.replace("<!-- nnscratch-module-table -->", _module_table(page_dir))
    return _rewrite_links(markdown, posixpath.join("docs", page_dir), page_dir)


def is_japanese(src_uri: str) -> bool:
    return src_uri.startswith("ja/") or src_uri.endswith(".ja.ipynb")


_URLS: dict[str, str] = {}  # src_uri -> url of every page of the build


def on_files(files, config):
    _URLS.clear()
    _URLS.update({f.src_uri: f.url for f in files.documentation_pages()})
    return files


def counterpart(src_uri: str, lang: str) -> str:
    """The page in ``lang`` that matches ``src_uri`` (``en/lab.md`` → ``ja/lab.md``), else that
    language's first page."""
    other = re.sub(r"^(en|ja)/", f"{lang}/", src_uri)
    other = re.sub(r"\.(en|ja)\.ipynb$", f".{lang}.ipynb", other)
    if other != src_uri and other in _URLS:
        return other
    if src_uri.startswith(f"{lang}/") or src_uri.endswith(f".{lang}.ipynb"):
        return src_uri
    return f"{lang}/index.md"


def on_post_page(output, page, config):
    from mkdocs.utils import get_relative_url

    if is_japanese(page.file.src_uri):
        output = re.sub(r'<html lang="[^"]*"', '<html lang="ja"', output, count=1)
    # the header's language switch (mkdocs.yml: extra.alternate) goes to the same page in the other
    # language where there is one, by a relative link (the site works from any folder)
    for lang in ("ja", "en"):
        target = _URLS.get(counterpart(page.file.src_uri, lang), f"{lang}/")
        output = output.replace(f'href="/{lang}/" hreflang="{lang}"',
                                f'href="{get_relative_url(target, page.url)}" hreflang="{lang}"')
    return output
