"""Japanese text in the learner's own matplotlib figures (日本語フォント): :func:`japanese_fonts`.

matplotlib's own font (DejaVu Sans) has no Japanese glyphs: ``plt.title("誤差の推移")`` draws empty
boxes and warns "Glyph … missing from font(s) DejaVu Sans". The figures of ``nnscratch.plot`` set their
font themselves and need nothing; for your own figures call :func:`japanese_fonts` once.
"""

from __future__ import annotations

__all__ = ["japanese_fonts", "JA_FONT"]

JA_FONT = "IPAexGothic"  # the font the PyPI package matplotlib-fontja ships
_FALLBACK = "DejaVu Sans"  # matplotlib's own: the glyphs IPAex Gothic lacks (⋮, some math symbols)


def japanese_fonts() -> list[str]:
    """Make every later matplotlib text render Japanese: registers IPAex Gothic (from
    ``matplotlib-fontja``, installed with ``pip install 'nnscratch[lab]'``) and sets
    ``rcParams["font.family"] = ["IPAexGothic", "DejaVu Sans"]``. Returns that family list.

    It changes matplotlib's global settings (for pyplot and every new figure), which is what a learner
    wants in a notebook; undo it with ``matplotlib.rcdefaults()``.

    >>> import nnscratch.lab
    >>> nnscratch.lab.japanese_fonts()                       # doctest: +SKIP
    ['IPAexGothic', 'DejaVu Sans']
    >>> import matplotlib.pyplot as plt                      # doctest: +SKIP
    >>> plt.plot([3, 2, 1]); plt.title("誤差の推移")          # doctest: +SKIP
    """
    try:
        import matplotlib
    except ImportError:
        raise ImportError("japanese_fonts needs matplotlib: pip install 'nnscratch[lab]'") from None
    try:
        import matplotlib_fontja
    except ImportError:
        raise ImportError(
            "japanese_fonts needs the Japanese font of matplotlib-fontja: pip install 'nnscratch[lab]'"
        ) from None
    matplotlib_fontja.japanize()  # registers the font file (again, if an import already did)
    family = [JA_FONT, _FALLBACK]
    matplotlib.rcParams["font.family"] = family
    return family
