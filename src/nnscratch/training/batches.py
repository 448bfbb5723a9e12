"""The batches of an epoch (エポック): full batch, online (オンライン学習) or mini-batches
(ミニバッチ勾配降下法).

``batch_size=None`` is one batch of all N rows (バッチ勾配降下法), ``1`` one row per step, ``k`` batches of
k rows (the last one smaller when k does not divide N). With ``shuffle`` each epoch walks a fresh
permutation drawn from the run's generator, so every sample is used exactly once per epoch.

Nothing is allocated per step: shuffled mini-batches are gathered with ``ndarray.take(..., out=)`` into
buffers made once (a full batch lands in the same buffer object every step, so the layers' prepared
BLAS calls reuse its address), an online row is copied into one kept 1-row buffer, and unshuffled
batches are views.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nnscratch._validation import check_finite

__all__ = ["Batches"]

Batch = tuple[np.ndarray, np.ndarray, "np.ndarray | None", int]


class Batches:
    """The batches of (x, d) — and of ``truth``, the per-sample answers accuracy is counted against.

    ``epoch(rng)`` yields ``(x_batch, d_batch, truth_batch or None, rows)`` for one epoch. The arrays
    are buffers or views, valid until the next batch.

    NaN/inf in x: shuffled mini-batches are not checked on the way (``verify`` says x has not been seen
    whole yet, in the first epoch of a call). NaN or inf in a row always ends in a non-finite loss or
    non-finite parameters by the end of the epoch that visits it, which the loop's guard catches; the
    loop then checks x and reports it instead of a divergence (a pass over all of x on every call,
    or a check of every batch, would cost a user who calls train() once per epoch 3–6 % of a small
    network's epoch). The other modes check all of x once, here.
    """

    def __init__(
        self, x: np.ndarray, d: np.ndarray, truth: np.ndarray | None, batch_size: int | None, shuffle: bool
    ) -> None:
        self.x, self.d, self.truth = x, d, truth
        n = self.n = x.shape[0]
        bs = self.size = n if batch_size is None else min(int(batch_size), n)
        gather = shuffle and bs < n  # a full batch needs no permutation: the mean gradient is the same
        self.online = gather and bs == 1
        self.gathered = gather and not self.online
        self.verify = self.gathered
        if not self.verify:
            check_finite("x", x)
        if self.online:
            self._xrow = np.empty((1,) + x.shape[1:], dtype=x.dtype)
        if self.gathered:
            self._xbuf = np.empty((bs,) + x.shape[1:], dtype=x.dtype)
            self._dbuf = np.empty((bs,) + d.shape[1:], dtype=d.dtype)
            self._tbuf = None
            if truth is not None and truth is not d:
                self._tbuf = np.empty((bs,) + truth.shape[1:], dtype=truth.dtype)

    def epoch(self, rng: np.random.Generator) -> Iterator[Batch]:
        """One epoch's batches; a shuffled mode draws its permutation from ``rng`` when it starts."""
        if self.online:
            return self._online(rng)
        if self.gathered:
            return self._gathered(rng)
        return self._sequential()

    def _online(self, rng: np.random.Generator) -> Iterator[Batch]:
        x, d, truth, xrow = self.x, self.d, self.truth, self._xrow
        for i in rng.permutation(self.n).tolist():
            xrow[0] = x[i]  # one buffer object for every step: the layers' BLAS calls stay prepared
            yield xrow, d[i : i + 1], None if truth is None else truth[i : i + 1], 1

    def _gathered(self, rng: np.random.Generator) -> Iterator[Batch]:
        n, bs, truth = self.n, self.size, self.truth
        xbuf, dbuf, tbuf = self._xbuf, self._dbuf, self._tbuf
        take_x, take_d, take = self.x.take, self.d.take, np.take
        order = rng.permutation(n)
        for s in range(0, n, bs):
            idx = order[s : s + bs]
            m = idx.shape[0]
            # ndarray.take: no wrapper; a full batch lands in xbuf itself, the same object every step
            xb = take_x(idx, axis=0, out=xbuf if m == bs else xbuf[:m], mode="clip")
            db = take_d(idx, axis=0, out=dbuf[:m], mode="clip")
            if truth is None:
                yield xb, db, None, m
            else:
                yield xb, db, db if tbuf is None else take(truth, idx, axis=0, out=tbuf[:m], mode="clip"), m

    def _sequential(self) -> Iterator[Batch]:
        x, d, truth, n, bs = self.x, self.d, self.truth, self.n, self.size
        for s in range(0, n, bs):
            e = s + bs if s + bs < n else n
            yield x[s:e], d[s:e], None if truth is None else truth[s:e], e - s
