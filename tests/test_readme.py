"""README.md cannot rot: every ```python block runs, in order, in one namespace, in a fresh process
whose working directory is a temporary one. A block's printed output is compared with the ```text
block after it when that block is introduced by the comment

    <!-- output of the block above, checked by tests/test_readme.py -->

Keep README examples fast (the whole README runs in a few seconds) and their printed numbers
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
CHECKED = "<!-- output of the block above, checked by tests/test_readme.py -->"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)


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
            where = f"README.md, python block at line {block['line']}"
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
    assert proc.returncode == 0, f"a README python block failed:\n{proc.stderr}"
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


def test_readme_python_blocks_run_and_print_what_the_readme_shows(tmp_path):
    blocks = [b for b in markdown_blocks(README.read_text(encoding="utf-8")) if b["lang"] == "python"]
    assert blocks, "README.md has no python example"
    assert any("checked_output" in b for b in blocks), "the Quick start's output is no longer checked"
    outputs = run_blocks(blocks, tmp_path)
    for block, out in zip(blocks, outputs, strict=True):
        if "checked_output" in block:
            assert out.rstrip("\n") == block["checked_output"].rstrip("\n"), (
                f"README.md block at line {block['line']} now prints:\n{out}"
            )


def test_readme_quick_start_is_the_p13_network_with_gradcheck():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start: the course's 2-3-3-1 network (P13)", 1)[1].split("\n## ", 1)[0]
    code = "".join(b["code"] for b in markdown_blocks(section) if b["lang"] == "python")
    for needed in ('Network("2-3-3-1"', ".forward(", ".backward(", "gradcheck("):
        assert needed in code


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
