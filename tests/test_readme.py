"""README.md and the documentation site's pages cannot rot: every ```python block of README.md and of
each page in ``PAGES`` (the site's own pages; the tutorials run in tests/test_examples.py and the course
differences in tests/test_course_differences.py) runs on its own, in a fresh process whose working
directory is a temporary one, unless its first line says

    # continues the block above

in which case it runs after that block, in the same namespace (a reader copying a block into a new
file or notebook cell gets either a whole program or that sentence). A block's printed output is
compared with the ```text block after it when that block is introduced by the comment

    <!-- output of the block above, checked by tests/test_readme.py -->

Keep these examples fast (each page runs in a few seconds) and their printed numbers
independent of the machine (float64, rounded printing, no timings).

Also here: ``ruff check src tests`` must be clean.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# the README and the site's pages whose blocks run here (the tutorials have their own test)
PAGES = [README, ROOT / "docs" / "index.md"] + sorted(
    p for lang in ("en", "ja") for p in (ROOT / "docs" / lang).glob("*.md") if p.name != "tutorial.md"
)
CHECKED = "<!-- output of the block above, checked by tests/test_readme.py -->"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
CONTINUES = re.compile(r"\A# continues the block above\b")


def markdown_blocks(text: str) -> list[dict]:
    """Fenced blocks in order: {"lang", "code", "line", "checked_output"} (the output only for python)."""
    blocks = []
    matches = list(FENCE.finditer(text))
    for i, m in enumerate(matches):
        lang = m.group(1).strip().lower()
        block = {"lang": lang, "code": m.group(2), "line": text.count("\n", 0, m.start()) + 1}
        if lang == "python" and i + 1 < len(matches):
            nxt = matches[i + 1]
            between = text[m.end() : nxt.start()]
            if CHECKED in between and nxt.group(1).strip().lower() == "text":
                block["checked_output"] = nxt.group(2)
        blocks.append(block)
    return blocks


DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, sys
    blocks = json.loads(sys.stdin.read())
    namespace = {"__name__": "__main__"}
    outputs = []
    for block in blocks:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            where = f"{block.get('page', 'README.md')}, python block at line {block['line']}"
            exec(compile(block["code"], where, "exec"), namespace)
        outputs.append(buffer.getvalue())
    sys.stdout.write(json.dumps(outputs))
    """
)


def run_blocks(blocks: list[dict], cwd: Path, timeout: float = 120) -> list[str]:
    import os

    env = dict(os.environ, MPLBACKEND="Agg")  # any plotting example draws off-screen
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    assert proc.returncode == 0, (
        f"a python block failed (one that uses names from the block before it must start with "
        f"'# continues the block above'):\n{proc.stderr}"
    )
    return json.loads(proc.stdout)


def test_markdown_block_parser():
    text = (
        "intro\n```python\nprint(1)\n```\n\nprints:\n\n" + CHECKED + "\n```text\n1\n```\n"
        "```bash\nls\n```\n```python\nx = 2\n```\n```text\nnot checked\n```\n"
    )
    blocks = markdown_blocks(text)
    assert [b["lang"] for b in blocks] == ["python", "text", "bash", "python", "text"]
    assert blocks[0]["code"] == "print(1)\n" and blocks[0]["checked_output"] == "1\n"
    assert blocks[0]["line"] == 2
    assert "checked_output" not in blocks[3]


def chains(blocks: list[dict]) -> list[list[dict]]:
    """Python blocks grouped into programs: a block starts one unless it says it continues the last."""
    groups: list[list[dict]] = []
    for block in blocks:
        if CONTINUES.match(block["code"]):
            assert groups, f"{block.get('page', 'README.md')} block at line {block['line']} continues nothing"
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def test_chains_split_at_blocks_that_do_not_continue():
    blocks = [{"code": "x = 1\n", "line": 1}, {"code": "# continues the block above\nprint(x)\n", "line": 5},
              {"code": "import numpy\n", "line": 9}]
    assert [[b["line"] for b in chain] for chain in chains(blocks)] == [[1, 5], [9]]
    with pytest.raises(AssertionError, match="continues nothing"):
        chains(blocks[1:])


def page_name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def python_blocks(page: Path) -> list[dict]:
    blocks = [b for b in markdown_blocks(page.read_text(encoding="utf-8")) if b["lang"] == "python"]
    for block in blocks:
        block["page"] = page_name(page)
    return blocks


def test_the_readme_shows_checked_python():
    blocks = python_blocks(README)
    assert blocks, "README.md has no python example"
    assert any("checked_output" in b for b in blocks), "the Quick start's output is no longer checked"


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=page_name)
def test_python_blocks_run_and_print_what_the_page_shows(page, tmp_path):
    blocks = python_blocks(page)
    outputs = []
    for number, chain in enumerate(chains(blocks)):  # each program in a fresh process and folder
        folder = tmp_path / f"program{number}"
        folder.mkdir()
        outputs += run_blocks(chain, folder)
    for block, out in zip(blocks, outputs, strict=True):
        if "checked_output" in block:
            assert out.rstrip("\n") == block["checked_output"].rstrip("\n"), (
                f"{block['page']} block at line {block['line']} now prints:\n{out}"
            )


def test_the_pages_run_every_example_and_are_in_the_site():
    """The README's examples moved to the site's pages: the pages this test runs are the ones the site
    shows (mkdocs.yml's nav), and the examples that every page needs are still somewhere."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        name = page.relative_to(ROOT / "docs").as_posix()
        assert name in nav, f"{page_name(page)} is not in mkdocs.yml's nav"
    code = "".join(b["code"] for page in PAGES for b in python_blocks(page))
    for needed in ('RunSpec(data="animals"', 'Network("2-3-3-1"', "nnscratch.Trainer(", "checkpoint=",
                   "NNClassifier(", "GaussianClassifier()", "nnscratch.sweep(", 'parallel_backend("dask")',
                   "DivergenceWarning", 'savetxt("pos.csv"'):
        assert needed in code, f"no page runs an example with {needed}"


E_NUMBER = re.compile(r"\b\d\.\d+e[-+]\d+\b")


def test_command_tour_prints_what_the_page_shows(tmp_path):
    """The online-learning tour: the python block that makes pos.csv, then the bash block (train,
    stream < pos.csv, gradcheck) print the text block after it, the training table left out. The
    gradient check's relative errors are round-off: compared as numbers below its tolerance."""
    import os
    import shlex

    page, at = next(
        (page, i) for page in PAGES for i, b in enumerate(markdown_blocks(page.read_text(encoding="utf-8")))
        if b["lang"] == "bash" and "nnscratch stream" in b["code"]
    )
    blocks = markdown_blocks(page.read_text(encoding="utf-8"))
    maker, commands, shown = blocks[at - 1], blocks[at], blocks[at + 1]
    assert maker["lang"] == "python" and "pos.csv" in maker["code"], f"{page_name(page)} no longer says how"
    assert shown["lang"] == "text"
    run_blocks([maker], tmp_path)
    assert (tmp_path / "pos.csv").read_text().startswith("x0,x1,f(x)\n")

    cli = f"{shlex.quote(sys.executable)} -m nnscratch.cli"
    env = dict(os.environ, NNSCRATCH_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    printed = []
    for line in commands["code"].splitlines():
        command = line.split("  #", 1)[0].strip()
        assert command.startswith("nnscratch "), line
        proc = subprocess.run(re.sub(r"^nnscratch ", cli + " ", command), shell=True, cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{command}: {proc.stderr}"
        if " train " not in f" {command} ":  # the training table is left out of the page
            printed.append(proc.stdout)
    actual, expected = "".join(printed).rstrip("\n"), shown["code"].rstrip("\n")
    assert E_NUMBER.sub("<error>", actual) == E_NUMBER.sub("<error>", expected), actual
    errors = [float(v) for v in E_NUMBER.findall(actual)]
    assert len(errors) == 7 and max(errors) <= 1e-6  # six parameters and the largest


@pytest.mark.parametrize("page", [README, ROOT / "docs" / "en" / "index.md"], ids=page_name)
def test_quick_start_is_the_p13_network_with_gradcheck(page):
    text = page.read_text(encoding="utf-8")
    section = text.split("## Quick start: the course's 2-3-3-1 network (P13)", 1)[1].split("\n## ", 1)[0]
    code = "".join(b["code"] for b in markdown_blocks(section) if b["lang"] == "python")
    for needed in ('Network("2-3-3-1"', ".forward(", ".backward(", "gradcheck("):
        assert needed in code


def test_readme_is_the_front_page():
    """The README stays short (the rest is in the site) and keeps the install and test commands CI uses."""
    text = README.read_text(encoding="utf-8")
    assert text.count("\n") <= 250, "README.md is the front page: move long sections to docs/"
    assert 'pip install ".[lab]"' in text and "python -m pytest" in text


def test_ruff_is_clean():
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the test extra)")
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format=concise", "src", "tests"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
