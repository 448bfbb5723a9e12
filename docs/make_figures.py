"""Regenerate every figure of the tutorial: ``docs/images/<kind>.<lang>.png`` for lang ja and en.

    python docs/make_figures.py                      # all kinds, both languages, into docs/images/
    python docs/make_figures.py --kinds network,activations --lang en --out figures

Each figure is drawn by ``nnscratch.plot.draw`` with its defaults, seeded, and saved without metadata
(no date, no software version), so a figure whose code did not change comes out byte for byte the same:
a file whose new bytes equal the old ones is left alone (not even rewritten), and ``git status`` stays
clean. ``gradient_cost`` is the exception: its right panel shows times measured on this machine, which
differ on every run, so an existing ``gradient_cost`` image is kept unless ``--remeasure`` is given.
Needs the ``lab`` extra.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from nnscratch.lab import plots

HERE = Path(__file__).resolve().parent
MEASURED = ("gradient_cost",)  # kinds that draw timings: redrawn only with --remeasure


def shrink(path: Path, colors: int) -> None:
    """Rewrite a PNG with a palette of ``colors`` colours (Pillow ships with matplotlib): flat figures
    lose nothing visible and the file gets about three times smaller. ``colors=0`` keeps the colours.
    Either way the PNG is written again without text chunks (matplotlib's ``Software`` version)."""
    from PIL import Image

    with Image.open(path) as image:
        if colors:
            reduced = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
        else:
            reduced = image.copy()  # a copy carries the pixels, not the text chunks
    reduced.save(path, optimize=True)


def render(kind: str, lang: str, path: Path, dpi: float, colors: int) -> str:
    """Draw ``kind`` into ``path`` unless the file already holds exactly those bytes.

    Returns ``"written"`` or ``"unchanged"``. The figure is drawn into a temporary file in the same
    folder and moved over ``path`` only when it differs, so an unchanged figure keeps its file (and its
    modification time) and an interrupted run leaves no half-written image.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".png")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        plots.draw(kind, out=tmp, lang=lang, dpi=dpi)
        shrink(tmp, colors)
        if path.exists() and path.read_bytes() == tmp.read_bytes():
            return "unchanged"
        os.replace(tmp, path)
        return "written"
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/images/<kind>.<lang>.png")
    parser.add_argument("--out", default=str(HERE / "images"), help="folder (default docs/images)")
    parser.add_argument("--kinds", default=",".join(plots.KINDS), help="comma-separated kinds (default all)")
    parser.add_argument("--lang", choices=("ja", "en", "both"), default="both")
    parser.add_argument("--dpi", type=float, default=90, help="PNG resolution (default 90: small files)")
    parser.add_argument("--colors", type=int, default=128,
                        help="palette size of the PNGs (default 128: about 3× smaller; 0 keeps RGBA)")
    parser.add_argument("--remeasure", action="store_true",
                        help="redraw gradient_cost (measured times) even when its image exists")
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in plots.KINDS]
    if unknown:
        print(f"--kinds: unknown kind {unknown[0]!r}; expected some of {', '.join(plots.KINDS)}",
              file=sys.stderr)
        return 2
    langs = ("ja", "en") if args.lang == "both" else (args.lang,)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        for lang in langs:
            path = out / f"{kind}.{lang}.png"
            if kind in MEASURED and path.exists() and not args.remeasure:
                print(f"{path.name:32s} kept (measured times differ on every run; --remeasure redraws it)")
                continue
            start = time.perf_counter()
            what = render(kind, lang, path, args.dpi, args.colors)
            seconds = time.perf_counter() - start
            print(f"{path.name:32s} {path.stat().st_size / 1024:6.1f} KiB  {seconds:5.2f} s  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
