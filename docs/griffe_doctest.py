"""A Griffe extension for the API reference (mkdocs.yml): the docstrings are written for ``help()`` and
doctest, in reST's inline style; this makes them read well as Markdown without changing them.

- An interactive example (``>>>`` and ``...`` lines and the output after them, up to a blank line)
  becomes a ``pycon`` code block: otherwise Markdown reads ``>>>`` as a quote and ``x["loss"]`` in the
  output as a link.
- ``:func:`name```, ``:class:`name```, ``:meth:``, ``:mod:``, ``:attr:``, ``:data:``, ``:exc:`` become
  ``name`` as code.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj|py:\w+):`~?([^`]+)`")


def markdown_docstring(text: str) -> str:
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i][len(indent):])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [indent + "```pycon", *(indent + b for b in block), indent + "```", ""]
            continue
        out.append(ROLE.sub(r"`\1`", line))
        i += 1
    return "\n".join(out).rstrip("\n")


class DoctestBlocks(griffe.Extension):
    def on_object(self, *, obj, loader, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
