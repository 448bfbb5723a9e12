"""docs/notebooks/display_tour.ipynb run by a real Jupyter kernel (nbclient + ipykernel): every object
shows as HTML, a returned figure as exactly one PNG, the live training view updates in place, and no
cell writes to stderr or warns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.needs import need_module

TOUR = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "display_tour.ipynb"


def _run():
    nbformat = need_module("nbformat")
    nbclient = need_module("nbclient")
    need_module("ipykernel")
    need_module("matplotlib")
    need_module("tqdm")

    seen: Counter = Counter()

    class Client(nbclient.NotebookClient):
        def process_message(self, msg, cell, cell_index):
            seen[(cell_index, msg["msg_type"])] += 1
            return super().process_message(msg, cell, cell_index)

    nb = nbformat.read(TOUR, as_version=4)
    Client(nb, timeout=300, kernel_name="python3").execute()
    return nb, seen


def _cell(nb, ending: str) -> tuple[int, dict]:
    """The code cell whose last line ends with ``ending``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.rstrip().splitlines()[-1].endswith(ending):
            return i, cell
    raise AssertionError(f"no cell ends with {ending!r}")


def _mimes(cell) -> list[str]:
    return [m for out in cell.outputs for m in out.get("data", {})]


def test_display_tour_runs_and_shows_everything_once():
    nb, seen = _run()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", out
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
            assert "Warning" not in str(out.get("text", "")), out.text
    for ending in ("net", 'lr=0.1, lang="en")', "history", "model"):  # network, trace, history, model
        _, cell = _cell(nb, ending)
        assert "text/html" in _mimes(cell), ending
        assert "\\n" not in cell.outputs[0]["data"]["text/plain"]
    _, summary = _cell(nb, "net.summary()")
    assert summary.outputs[0]["data"]["text/plain"].startswith("Network 2-3-3-1")  # no quotes, no \n

    _, figure = _cell(nb, 'training_curves(history, lang="en")')
    assert _mimes(figure).count("image/png") == 1 and "text/html" not in _mimes(figure)

    index, live = _cell(nb, "verbose=True)")
    assert seen[(index, "update_display_data")] >= 1  # the curve was redrawn in place
    html = [out["data"]["text/html"] for out in live.outputs if "text/html" in out.get("data", {})]
    assert len(html) == 1 and "epoch 60/60" in html[0] and "accuracy" in html[0] and "%" in html[0]
    assert "data:image/png;base64," in html[0]

    _, own = _cell(nb, "plt.show()")
    assert _mimes(own).count("image/png") == 1  # Japanese title, no missing-glyph warning (above)
