"""The lab page's notebook screenshot (docs/images/notebook.png, on docs/en/lab.md): cells of the
executed display tour, rendered by nbconvert and captured by headless Chromium.

    pip install -e ".[notebook]"               # and Debian's chromium
    python docs/make_notebooks.py docs/notebooks/display_tour.ipynb   # the saved outputs first
    python docs/make_screenshot.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOUR = HERE / "notebooks" / "display_tour.ipynb"
OUT = HERE / "images" / "notebook.png"
CELLS = (2, 5, 6)  # execution counts shown: the network, training with the live view, the history


def main() -> int:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(TOUR), as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count") in CELLS]
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "tour.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--disable-background-networking", "--disable-component-update", "--no-first-run",
                        f"--user-data-dir={tmp}/profile", f"--screenshot={OUT}", "--window-size=1000,1470",
                        page.as_uri()], check=True, capture_output=True, timeout=120)
    print(f"{OUT.relative_to(HERE.parent)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
