"""Run the course notebooks (``docs/notebooks/*.ipynb``) top to bottom and save them with their outputs.

    python docs/make_notebooks.py                               # every notebook, outputs saved in place
    python docs/make_notebooks.py docs/notebooks/day1.en.ipynb  # one
    python docs/make_notebooks.py --check                       # run, report problems, save nothing

The notebooks are the source: edit them in Jupyter, then run this to refresh the saved outputs. Each one
runs in a fresh kernel of *this* Python (ipykernel's ``python3`` kernel spec, written for
``sys.executable`` into a temporary folder), so it uses the nnscratch installed here and never a kernel
found elsewhere on the machine. The kernel starts in a temporary working directory (a notebook that
writes a file leaves nothing in the repository) and without ``MPLBACKEND``, as in Jupyter. Saved
notebooks carry no execution timestamps, so running twice without a change changes no file.

``tests/test_notebooks.py`` runs every notebook through :func:`execute` and fails on any error output or
text on standard error (a warning). Needs the ``notebook`` extra (nbclient, nbformat, ipykernel).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
TIMEOUT = 300  # seconds a single cell may take


@contextlib.contextmanager
def kernel_manager(folder: Path) -> Iterator[Any]:
    """A ``KernelManager`` for ipykernel's ``python3`` kernel of ``sys.executable``, sockets in ``folder``.

    The kernel spec is written into ``folder`` and is the only one the manager can see, so neither a
    user's own ``python3`` kernel nor a system-wide one is picked. IPC transport keeps the kernel off
    TCP (and quiet about it). The kernel, if one was started, is shut down on leaving.
    """
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = folder / "kernels"
    write_kernel_spec(kernels / "python3")
    specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    km = KernelManager(
        kernel_name="python3", kernel_spec_manager=specs, transport="ipc", ip=str(folder / "kernel-ipc")
    )
    try:
        yield km
    finally:  # nbclient leaves a kernel it was handed running: shut it down here
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        km.cleanup_resources()


@contextlib.contextmanager
def _jupyter_like_environment() -> Iterator[None]:
    """Start the kernel without ``MPLBACKEND`` (Jupyter's own default backend, as a learner has it)."""
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved


def execute(notebook: str | os.PathLike | Any, timeout: int = TIMEOUT) -> Any:
    """Run a notebook (a path, or an ``nbformat`` node, which is filled in) in a fresh kernel; return it.

    A cell that raises stops the run with nbclient's ``CellExecutionError`` (the cell and traceback
    named); the outputs of the cells before it are in the returned notebook only on success.
    """
    import nbformat
    from nbclient import NotebookClient

    if isinstance(notebook, (str, os.PathLike)):
        nb = nbformat.read(os.fspath(notebook), as_version=4)
    else:
        nb = notebook
    for cell in nb.cells:  # timings saved by another runner (Jupyter's own) would change on every run
        cell.get("metadata", {}).pop("execution", None)
    with tempfile.TemporaryDirectory(prefix="nnscratch-nb-") as tmp, kernel_manager(Path(tmp)) as km:
        work = Path(tmp) / "work"
        work.mkdir()
        client = NotebookClient(
            nb, km=km, timeout=timeout, record_timing=False, coalesce_streams=True,
            resources={"metadata": {"path": str(work)}},
        )
        with _jupyter_like_environment():
            client.execute()
    return nb


def problems(nb: Any) -> list[str]:
    """Every error output and every text on standard error in ``nb``, one line each (cell number first)."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {number}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                first = output.get("text", "").strip().splitlines()[:1]
                found.append(f"cell {number}: standard error: {first[0] if first else ''}")
    return found


def output_text(nb: Any) -> str:
    """All text the notebook's cells showed: streams and every ``text/*`` representation, in order."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/"):
                    parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Run the course notebooks and save their outputs")
    parser.add_argument("paths", nargs="*", help="notebooks (default docs/notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="run and report, save nothing")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.paths] or sorted(NOTEBOOKS.glob("*.ipynb"))
    status = 0
    for path in paths:
        nb = execute(path)
        found = problems(nb)
        for line in found:
            print(f"{path.name}: {line}", file=sys.stderr)
        status = status or (1 if found else 0)
        if not args.check and not found:
            text = nbformat.writes(nb) + "\n"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            print(f"{path.name}: {len(nb.cells)} cells, saved")
        else:
            print(f"{path.name}: {len(nb.cells)} cells, {len(found)} problem(s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
