"""One term per concept in the Japanese pages: the variants that docs/ja/glossary.md lists under
「使わない言い方」 appear nowhere a Japanese learner reads — the Japanese tutorial and notebooks, the trace's
labels, the playground's strings, the figures' labels and the docstrings.

The banned list is read from the glossary page itself, so the page and this test cannot drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "ja" / "glossary.md"
SRC = ROOT / "src" / "nnscratch"
SYMBOLS = {"η"}  # replaced by ε in Japanese text only: English pages and docstrings keep η


def banned_terms() -> list[tuple[str, str, list[str]]]:
    """(banned, instead, allowed forms) from the glossary's table under 「## 使わない言い方」."""
    text = GLOSSARY.read_text(encoding="utf-8")
    section = text.split("## 使わない言い方", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 3 or not cells[0].startswith("「"):
            continue  # not a row of the table (the header, the rule, the prose)
        banned, instead, allowed = (re.findall(r"「([^」]+)」", c) for c in cells)
        assert len(banned) == 1 and instead, f"glossary: a row needs one banned form and a term: {line}"
        rows.append((banned[0], instead[0], allowed))
    return rows


BANNED = banned_terms()


def _is_japanese(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff"


def _offences(text: str, where: str, symbols: bool) -> list[str]:
    """Each banned form in ``text`` outside its allowed forms, as 'where: 'banned' → instead'."""
    found = []
    for banned, instead, allowed in BANNED:
        if banned in SYMBOLS and not symbols:
            continue
        masked = text
        for form in allowed:  # an allowed form is blanked out before the banned one is looked for
            masked = masked.replace(form, "\0" * len(form))
        for m in re.finditer(re.escape(banned), masked):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{where}:{line}: 「{banned}」 → 「{instead}」")
    return found


def _notebook_text(path: Path) -> str:
    """Every cell's source and every text output of a saved notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        parts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append("".join(value))
    return "\n".join(parts)


def _japanese_strings() -> str:
    """The Japanese half of every two-language table: trace labels, figure labels, playground strings."""
    from nnscratch.lab.plots import _common, generative, vae
    from nnscratch.lab.trace import labels

    parts = []
    for table in (labels._SECTIONS, labels._LOSS_NAMES, labels._NUMBERED, labels._PLAIN):
        parts += list(table["ja"].values())
    for module in (_common, generative, vae):
        for value in vars(module).values():
            if isinstance(value, dict) and value and all(
                isinstance(v, tuple) and len(v) == 2 and all(isinstance(s, str) for s in v)
                for v in value.values()
            ):
                parts += [ja for ja, _ in value.values()]
    js = (SRC / "playground" / "static" / "i18n.js").read_text(encoding="utf-8")
    ja_block = re.search(r"\bja: \{(.*?)\n  \},", js, re.S)
    assert ja_block, "i18n.js: the ja block was not found"
    parts.append(ja_block.group(1))
    return "\n".join(parts)


def test_the_glossary_lists_the_banned_variants():
    banned = {b for b, _, _ in BANNED}
    assert {"確率勾配降下法", "全バッチ", "目標出力", "局所解", "二乗誤差", "η"} <= banned
    for b, instead, allowed in BANNED:
        assert b not in instead or instead in allowed, f"「{b}」: the term to use would itself be banned"
        assert all(b in form for form in allowed), f"「{b}」: an allowed form must contain it"
    text = GLOSSARY.read_text(encoding="utf-8")
    for term in ("確率的勾配降下法", "二乗和誤差", "正解値", "バッチ学習", "ミニバッチ勾配降下法", "学習率"):
        assert f"| {term}" in text, f"glossary: no row for {term}"


PAGES = [*sorted(p for p in (ROOT / "docs" / "ja").glob("*.md") if p != GLOSSARY),
         *sorted((ROOT / "docs" / "notebooks").glob("*.ja.ipynb"))]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_japanese_pages_use_the_glossary_terms(path):
    text = _notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    offences = _offences(text, path.name, symbols=True)
    assert not offences, "\n".join(offences)


def test_labels_figures_and_playground_use_the_glossary_terms():
    offences = _offences(_japanese_strings(), "Japanese strings", symbols=True)
    assert not offences, "\n".join(offences)


def test_docstrings_and_comments_use_the_glossary_terms():
    offences = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix in (".py", ".js", ".html"):
            text = path.read_text(encoding="utf-8")
            if any(_is_japanese(ch) for ch in text):
                offences += _offences(text, str(path.relative_to(ROOT)), symbols=False)
    assert not offences, "\n".join(offences)


def test_the_trace_names_the_target_and_the_squared_error_as_the_glossary():
    from nnscratch.lab.trace import labels

    assert labels.label("d", "ja") == "正解値"
    assert labels.label("E", "ja", loss="mse").startswith("誤差 (二乗和誤差")
    assert "½Σ" in labels.label("E", "ja", loss="mse")  # says what it computes
