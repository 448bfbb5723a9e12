"""nnscratch's files: ``.npz`` arrays plus JSON, never pickle — one bounded reader, one atomic writer,
one schema per kind (ファイル形式).

- :mod:`~nnscratch.files.zipread` — opens only regular files and checks a zip's directory before any
  data, streaming one member's bytes, bounded and CRC-checked;
- :mod:`~nnscratch.files.npz` — the bounded ``.npz`` reader: every ``.npy`` header checked, no pickle;
- :mod:`~nnscratch.files.archive` — the container: the atomic writer, the ``__meta__`` JSON rules and
  the one-line refusals;
- the schemas, each turning a file into checked plain values (dicts, arrays, names) and plain values
  into a file: :mod:`~nnscratch.files.network` (a Network, a Sequential stack, a checkpoint's
  container), :mod:`~nnscratch.files.model` (a Model's metadata), :mod:`~nnscratch.files.checkpoint`
  (a training checkpoint's state) and :mod:`~nnscratch.files.vae` (a VAE).

This package knows arrays and JSON only: it imports nothing of nnscratch above its bottom layer, so the
network, the Model, training and the VAE build their own objects from its values.
"""
