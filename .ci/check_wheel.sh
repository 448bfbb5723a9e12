#!/usr/bin/env bash
# The release as a user gets it. Build the sdist and, from it, the wheel (python -m build); install the
# wheel in a fresh virtual environment; then, from an empty temporary folder (so the checkout's src/ is not
# importable), check that the installed package is the one running, that `nnscratch --version` is
# pyproject.toml's version, that `nnscratch train` runs the README's main job (a 100-unit ReLU layer,
# softmax, Adam, 60 epochs, a held-out test split) on a small generated data set with nothing installed but
# the wheel and its dependencies (NumPy), and saves a model that `nnscratch summary` and `nnscratch
# predict` read, and that the playground's static files are in the installed package and in the sdist.
# Usage: bash .ci/check_wheel.sh  (with `build` installed: the test extra has it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

"$python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
sdist=$(ls "$work"/dist/nnscratch-*.tar.gz)
wheel=$(ls "$work"/dist/nnscratch-*.whl)
echo "built $(basename "$sdist") and $(basename "$wheel") in $((SECONDS - started)) s"

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel"
echo "installed the wheel in a fresh environment at $((SECONDS - started)) s"
mkdir "$work/run"
cd "$work/run"
export PATH="$work/venv/bin:$PATH"
unset PYTHONPATH

version=$(sed -n '/^\[project\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml")
test "$(nnscratch --version)" = "nnscratch $version" || { echo "nnscratch --version: $(nnscratch --version), expected $version"; exit 1; }

nnscratch train --data moons --quiet --save model.npz >train.txt
grep -q "^test " train.txt && grep -q "model saved to model.npz" train.txt || { cat train.txt; exit 1; }
nnscratch summary model.npz >summary.txt
grep -q "2 -> 100" summary.txt || { cat summary.txt; exit 1; }
printf 'x0,x1\n0.5,-0.3\n-1.0,0.8\n' >rows.csv
nnscratch predict model.npz rows.csv >predicted.csv
test "$(sed -n 1p predicted.csv)" = class && test "$(wc -l <predicted.csv)" -eq 3 || { cat predicted.csv; exit 1; }

# the installed package is the wheel's, and it carries every static file of the checkout's playground
python - "$root/src/nnscratch/playground/static" <<'PY'
import sys
from importlib.resources import files
from pathlib import Path

import nnscratch

here = Path(nnscratch.__file__).resolve()
assert "site-packages" in here.parts, f"nnscratch imported from {here}, not from the installed wheel"
source = Path(sys.argv[1])
installed = files("nnscratch.playground").joinpath("static")
names = sorted(p.name for p in source.iterdir() if p.is_file())
assert names, f"no static files in {source}"
for name in names:
    got = installed.joinpath(name)
    assert got.is_file(), f"the installed package lacks playground/static/{name}"
    assert got.read_bytes() == (source / name).read_bytes(), f"playground/static/{name} differs"
print(f"installed {here.parent.name} {nnscratch.__version__}: main job trained, {len(names)} static files")
PY
tar -tzf "$sdist" >sdist.txt  # listed once: `tar | grep -q` fails under pipefail when grep stops early
for f in "$root"/src/nnscratch/playground/static/*; do
  grep -q "/src/nnscratch/playground/static/$(basename "$f")$" sdist.txt \
    || { echo "the sdist lacks playground/static/$(basename "$f")"; exit 1; }
done
echo "wheel check passed in $((SECONDS - started)) s"
