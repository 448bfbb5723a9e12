"""The house rules of docs/architecture.md, checked: imports go one way (bottom to top), modules and
functions stay small. Every import counts, also one inside a function; only ``if TYPE_CHECKING:`` blocks
are exempt."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "nnscratch"

# module (dotted, without "nnscratch.") or package prefix -> layer; a module imports only its own
# layer or lower ones
LAYERS = [
    ("_backend _validation files _losses _display _arch functions", 0),
    ("layers optim", 1),
    ("_accel", 2),
    ("network gradcheck", 3),
    ("presets layerstring", 4),  # named networks and the layer string: stacks of layers, built below RunSpec
    ("io", 5),
    ("callbacks training datasets preprocessing", 6),
    ("runfields spec report metrics", 7),
    ("model modelparts modelnet generative", 8),
    ("sklearn sweep", 9),
    ("cli lab playground", 10),
    ("_version", 0),  # the version, read from pyproject.toml or the installed metadata: standard library only
]
MAX_LINES = 420  # "about 400"
MAX_FUNCTION_LINES = 60  # a function or method, from its def line to its last, without its docstring


def layer_of(module: str) -> int | None:
    for names, layer in LAYERS:
        for name in names.split():
            if module == name or module.startswith(name + "."):
                return layer
    return None


def modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = path
    return out


def imports(path: Path, module: str) -> set[str]:
    """Every nnscratch module ``module`` imports (relative ones resolved), outside TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["nnscratch", *package[: len(package) - node.level + 1], base]).rstrip(".")
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("nnscratch."):
                found.add(name[len("nnscratch."):])
    return found


def test_imports_go_one_way():
    known = modules()
    wrong = []
    for module, path in known.items():
        mine = layer_of(module)
        assert mine is not None, f"{module} has no layer in LAYERS (add it, and to docs/architecture.md)"
        for imported in imports(path, module):
            target = imported if imported in known else imported.rpartition(".")[0]
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{module} (layer {mine}) imports {imported} (layer {theirs})")
    assert not wrong, "\n".join(wrong)


def test_modules_stay_small():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in modules().items()}
    long = [f"{m}: {n} lines" for m, n in sizes.items() if n > MAX_LINES]
    assert not long, long


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of a function from its ``def`` to its last line (decorators not counted), less its
    docstring's lines."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if docstring and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method in ``tree``, nested ones too, named by where they are (``Class.method``,
    ``outer.inner``)."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((prefix + node.name, node))
            found += functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            found += functions(node, f"{prefix}{node.name}.")
        else:
            found += functions(node, prefix)
    return found


def test_functions_stay_small():
    long = []
    for module, path in sorted(modules().items()):
        for name, node in functions(ast.parse(path.read_text(encoding="utf-8"))):
            lines = function_lines(node)
            if lines > MAX_FUNCTION_LINES:
                long.append(f"{module}.{name} (line {node.lineno}): {lines} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (without the docstring):\n" + "\n".join(long)


def import_graph() -> dict[str, set[str]]:
    """module → the nnscratch modules it imports (function-level imports too, ``TYPE_CHECKING`` blocks
    not): ``from a import b`` counts ``a`` and, when it is a module, ``a.b``."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = set()
        for imported in imports(path, module):
            target = imported if imported in known else imported.rpartition(".")[0]
            if target in known and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle ``[a, b, …, a]`` of ``graph``, or None (depth-first search, no recursion)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_at_run_time():
    """No module imports, even inside a function, a module that (transitively) imports it back."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)
# one argument order inside the library: the target before the prediction, as the course's (d, y)
TARGET_NAMES = {"d", "t", "truth", "target", "targets", "labels", "y_true"}
PREDICTION_NAMES = {"y", "u", "y_pred", "pred", "probs", "proba", "logits", "output", "y_hat"}


def test_the_target_comes_before_the_prediction():
    wrong = []
    for module, path in sorted(modules().items()):
        for name, node in functions(ast.parse(path.read_text(encoding="utf-8"))):
            args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            names = [a.arg for a in args]
            target = [i for i, n in enumerate(names) if n in TARGET_NAMES]
            prediction = [i for i, n in enumerate(names) if n in PREDICTION_NAMES]
            if target and prediction and prediction[0] < target[0]:
                wrong.append(f"{module}.{name}({', '.join(names)})")
    assert not wrong, "the target first, (d, y), as in nnscratch.functions:\n" + "\n".join(wrong)


def test_one_one_hot():
    """``functions.to_one_hot`` is the library's one one-hot: nothing else writes 1 at [rows, labels]
    or picks rows of an identity matrix."""
    import re

    pattern = re.compile(r"\[np\.arange\([^]]*\][^=\-+]*= *1|np\.eye\([^)]*\)\[")
    found = [f"{module}: {line.strip()}" for module, path in sorted(modules().items())
             if module != "functions"
             for line in path.read_text(encoding="utf-8").splitlines() if pattern.search(line)]
    assert not found, "use functions.to_one_hot:\n" + "\n".join(found)
