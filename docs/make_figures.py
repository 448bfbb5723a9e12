"""Regenerate every figure of the tutorial: ``docs/images/<kind>.<lang>.png`` for lang ja and en.

    python docs/make_figures.py                      # all kinds, both languages, into docs/images/
    python docs/make_figures.py --kinds network,activations --lang en --out figures

Each figure is drawn by ``nnscratch.plot.draw`` with its defaults (seeded, so the images are the same on
every run except ``gradient_cost``, whose right panel shows measured times). Needs the ``lab`` extra.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nnscratch.lab import plots

HERE = Path(__file__).resolve().parent


def shrink(path: Path, colors: int) -> None:
    """Rewrite a PNG with a palette of ``colors`` colours (Pillow ships with matplotlib): flat figures
    lose nothing visible and the file gets about three times smaller."""
    from PIL import Image

    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/images/<kind>.<lang>.png")
    parser.add_argument("--out", default=str(HERE / "images"), help="folder (default docs/images)")
    parser.add_argument("--kinds", default=",".join(plots.KINDS), help="comma-separated kinds (default all)")
    parser.add_argument("--lang", choices=("ja", "en", "both"), default="both")
    parser.add_argument("--dpi", type=float, default=90, help="PNG resolution (default 90: small files)")
    parser.add_argument("--colors", type=int, default=128,
                        help="palette size of the PNGs (default 128: about 3× smaller; 0 keeps RGBA)")
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
            start = time.perf_counter()
            plots.draw(kind, out=path, lang=lang, dpi=args.dpi)
            if args.colors:
                shrink(path, args.colors)
            seconds = time.perf_counter() - start
            print(f"{path.name:32s} {path.stat().st_size / 1024:6.1f} KiB  {seconds:5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
