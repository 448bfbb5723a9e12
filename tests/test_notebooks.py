"""The course notebooks (docs/notebooks/*.ipynb) run top to bottom in a real Jupyter kernel of this
Python, show no error and no warning, and show the course's numbers; what is saved in them is a run.

Every notebook is run once per session by ``docs/make_notebooks.py``'s ``execute`` (nbclient, ipykernel's
``python3`` kernel written for ``sys.executable``); needs the ``notebook`` extra (in ``test``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from needs import need_module

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
COURSE = [p for p in NOTEBOOKS if p.name.startswith("day1.")]  # the course's Day 1, ja and en
DAY2 = [p for p in NOTEBOOKS if p.name.startswith("day2.")]  # Day 2: vanishing gradients … over-fitting

# Numbers of the course's exercises and confirmation tests, as print_vec or the cells print them
COURSE_NUMBERS = {
    "P22 total input u1 = xW1 + b1": "[0.6 1.3 2. ]",
    "single unit: u = z = 1.3": "[1.3]",
    "single layer: u = [1.4, 2.2, 3.0]": "[1.4 2.2 3. ]",
    "P52 softmax of the multiclass u2": "[0.01602796 0.05707321 0.20322929 0.72366954]",
    "P53 cross entropy": "0.3234204",
    "P56 error before the update": "0.09109144",
    "P56 error after the update": "0.08710972",
    "backprop exercise: y and dE/du2": "[[ 0.08706577 -0.08706577]]",
    "backprop exercise: output 1": "[[0.08706577 0.91293423]]",
    "P79 the reused delta1": "[[-0.02611973 -0.02611973 -0.02611973]]",
    "backprop exercise: grad['W2']": "[[ 0.10447893 -0.10447893]",
    "P84 (identity + squared error): delta2 = y - d": "[[-0.98 -1.71]]",
    "P84 (identity + squared error): grad['W2'] = z1.T delta2": "[[-0.588 -1.026]",
    "P69: one update per mini-batch, as a figure": "w(1) … w(5): [[0.0, 3.5]",
}
SAME = {"ja": "講座のコードと一致: True", "en": "the same as the course's code: True"}

# Day 2's confirmation tests, as print_vec shows them (label, value), per language
DAY2_NUMBERS = {
    "ja": [("dz/dx = dz/dt · dt/dx = 2t · 1", "6.0"), ("max σ′(u)", "0.25"), ("そのときの u", "0.0"),
           ("中間層のユニットがすべて同じ", "True"), ("L2: grad['W'] = 誤差の勾配 + 穴埋めの項", "True"),
           ("L1: grad['W'] = 誤差の勾配 + 穴埋めの項", "True"),
           ("OH: 6×6, フィルター 2×2, P = 1, S = 1", "7"), ("OH: 5×5, フィルター 3×3, P = 1, S = 2", "3"),
           ("Convolution.forward と一致", "True"), ("Convolution.backward と一致", "True")],
    "en": [("dz/dx = dz/dt · dt/dx = 2t · 1", "6.0"), ("max σ′(u)", "0.25"), ("at u", "0.0"),
           ("every hidden unit the same", "True"),
           ("L2: grad['W'] = the data gradient + the fill-in", "True"),
           ("L1: grad['W'] = the data gradient + the fill-in", "True"),
           ("OH: 6×6, filter 2×2, P = 1, S = 1", "7"), ("OH: 5×5, filter 3×3, P = 1, S = 2", "3"),
           ("the same as Convolution.forward", "True"), ("the same as Convolution.backward", "True")],
}


def _make_notebooks():
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "docs" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tools():
    for name in ("nbformat", "nbclient", "ipykernel"):
        need_module(name)
    return _make_notebooks()


@pytest.fixture(scope="module")
def executed(tools):
    """Each notebook, run once: {name: (saved, freshly executed)}."""
    import nbformat

    runs = {}
    for path in COURSE + DAY2:  # the display tour runs in tests/test_notebook_display.py
        saved = nbformat.read(str(path), as_version=4)
        runs[path.name] = (saved, tools.execute(path))
    return runs


def test_there_are_course_notebooks_in_both_languages():
    names = {p.name for p in NOTEBOOKS}
    assert {"day1.ja.ipynb", "day1.en.ipynb", "day2.ja.ipynb", "day2.en.ipynb"} <= names


def test_the_kernel_is_this_python(tools, tmp_path):
    """nbclient must start the kernel of the Python running the tests, not some python3 on the machine."""
    import nbformat

    with tools.kernel_manager(tmp_path) as km:
        assert km.kernel_spec.argv[0] == sys.executable
    nb = nbformat.v4.new_notebook()
    source = "import sys, nnscratch\nprint(sys.executable)\nprint(nnscratch.__file__)"
    nb.cells = [nbformat.v4.new_code_cell(source)]
    out = tools.output_text(tools.execute(nb)).splitlines()
    import nnscratch

    assert out[0] == sys.executable and Path(out[1]) == Path(nnscratch.__file__)


def test_problems_are_errors_and_standard_error(tools):
    """What counts against a notebook: an error output and any text on standard error (a warning)."""
    import nbformat

    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_code_cell(outputs=[v4.new_output("stream", name="stdout", text="fine\n")]),
        v4.new_code_cell(outputs=[v4.new_output("stream", name="stderr", text="UserWarning: Glyph\n")]),
        v4.new_markdown_cell("text"),
        v4.new_code_cell(outputs=[v4.new_output("error", ename="ValueError", evalue="x: bad", traceback=[])]),
        v4.new_code_cell(outputs=[v4.new_output("execute_result", data={"text/html": "<b>0.087</b>"})]),
    ]
    assert tools.problems(nb) == [
        "cell 2: standard error: UserWarning: Glyph",
        "cell 4: ValueError: x: bad",
    ]
    assert "<b>0.087</b>" in tools.output_text(nb) and "fine" in tools.output_text(nb)


@pytest.mark.parametrize("name", [p.name for p in COURSE + DAY2])
def test_notebook_runs_without_errors_or_warnings(executed, tools, name):
    fresh = executed[name][1]
    assert tools.problems(fresh) == [], f"{name}: " + "; ".join(tools.problems(fresh))


@pytest.mark.parametrize("name", [p.name for p in COURSE])
def test_notebook_shows_the_course_numbers(executed, tools, name):
    lang = name.split(".")[-2]
    for run, what in ((executed[name][1], "when run"), (executed[name][0], "as saved")):
        text = tools.output_text(run)
        missing = [f"{k} ({v})" for k, v in COURSE_NUMBERS.items() if v not in text]
        assert not missing, f"{name} {what} does not show: " + ", ".join(missing)
        assert SAME[lang] in text, f"{name} {what}: the trace and the course's code disagree"


@pytest.mark.parametrize("name", [p.name for p in DAY2])
def test_day2_notebook_answers_the_confirmation_tests(executed, tools, name):
    """Day 2: the confirmation tests' numbers, and what the course's exercises show, when run and as saved."""
    lang = name.split(".")[-2]
    for run, what in ((executed[name][1], "when run"), (executed[name][0], "as saved")):
        text = tools.output_text(run)
        for label, shown in DAY2_NUMBERS[lang]:
            assert f"*** {label} ***\n{shown}\n" in text, f"{name} {what}: {label} is not {shown}"
        test = "正答率(テスト)" if lang == "ja" else "test accuracy"
        accuracy = {m.group(1).strip(): float(m.group(2))
                    for m in re.finditer(rf"^(.+?)\s+{re.escape(test)} = ([0-9.]+)$", text, re.M)}
        # 勾配消失: sigmoid from σ = 0.01 stays at chance, He-initialised ReLU learns; batch norm rescues it
        assert accuracy["sigmoid – gauss 0.01"] < 0.2 and accuracy["ReLU – He"] > 0.8, accuracy
        assert accuracy["gauss 0.01 + BN"] > accuracy["gauss 0.01"] + 0.2, accuracy
        assert accuracy["Xavier + BN"] > accuracy["Xavier"] + 0.2, accuracy
        assert accuracy["SimpleConvNet (digits)"] > 0.95, accuracy  # the convolution part's small net
        train = "訓練" if lang == "ja" else "training"
        none = re.search(rf"^none\s+{train} ([0-9.]+)", text, re.M)
        assert none and float(none.group(1)) > 0.99, f"{name} {what}: the unregularised run does not over-fit"


@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_saved_notebook_is_a_whole_run(tools, name):
    """Every code cell of the saved notebook was run, in order, in one session, without a problem."""
    import nbformat

    saved = nbformat.read(str(ROOT / "docs" / "notebooks" / name), as_version=4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert [c.get("execution_count") for c in code] == list(range(1, len(code) + 1)), (
        f"{name}: saved outputs are stale or partial; run python docs/make_notebooks.py"
    )
    assert tools.problems(saved) == []
    assert not any("execution" in c.get("metadata", {}) for c in code), "timestamps make every run a change"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_anywhere(path):
    """Jupyter or Colab: the first code cell installs nnscratch when it is missing (from the package
    index, no local path); no %matplotlib, font or backend set-up anywhere; figures come from nnscratch."""
    import json

    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    first = cells[0]
    assert re.search(r"^try:\n\s+import nnscratch\nexcept ImportError:", first, re.M), first
    install = re.search(r"^\s+%pip install (.+)$", first, re.M)
    assert install and '"nnscratch[lab]"' in install.group(1), first
    assert not re.search(r"(^|\s)(-e|\.|/|file:)", install.group(1).replace('"nnscratch[lab]"', "")), first
    everything = "\n".join(cells)
    set_up = ("%matplotlib", "rcParams", "matplotlib.use", "font_manager", "font.family", "japanize")
    for banned in (*set_up, "sys.path", "chdir"):
        assert banned not in everything, f"{path.name}: {banned!r} in a code cell"
    local_path = re.search(r"""["'](/|~|[A-Za-z]:\\)""", everything)
    assert not local_path, f"{path.name}: a local path in a code cell"
    if path in COURSE:
        assert everything.count("nnscratch.plot.") >= 8
    if path in DAY2:  # the course's Day 2 figures: gradients, activations, and three runs' curves
        assert everything.count("nnscratch.plot.") >= 5 and 'datasets.load("mnist5k"' in everything
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
