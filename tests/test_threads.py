"""Threads that fit the work (nnscratch._accel.threads.fitting): one BLAS thread for small products, no
more threads than free cores for mid-sized ones, the count put back afterwards."""

from __future__ import annotations

import os

import pytest

from nnscratch._accel import threads


@pytest.fixture
def calls(monkeypatch):
    """The counts fitting() sets, with 2 threads to start from (the setter recorded, not called)."""
    seen: list[int] = []
    monkeypatch.setattr(threads, "blas_threads", lambda: 2)
    monkeypatch.setattr(threads, "_set", seen.append)
    return seen


def _free(monkeypatch, n):
    monkeypatch.setattr(threads, "free_cores", lambda: n)


def test_small_products_run_on_one_thread_whatever_the_load(calls, monkeypatch):
    _free(monkeypatch, 2)
    with threads.fitting(threads.SINGLE_THREAD_FLOPS - 1):
        assert calls == [1]
    assert calls == [1, 2]  # put back


@pytest.mark.parametrize("free, expected", [(0, [1, 2]), (1, [1, 2]), (2, []), (None, [])])
def test_mid_sized_products_take_only_free_cores(calls, monkeypatch, free, expected):
    _free(monkeypatch, free)
    with threads.fitting(threads.BUSY_CHECK_FLOPS - 1):
        pass
    assert calls == expected


def test_large_products_keep_their_threads_and_never_look_at_the_load(calls, monkeypatch):
    def fail():
        raise AssertionError("free_cores() called for a large network")

    monkeypatch.setattr(threads, "free_cores", fail)
    with threads.fitting(threads.BUSY_CHECK_FLOPS):
        pass
    assert calls == []


def test_free_cores_reads_a_count_within_the_cores():
    free = threads.free_cores()
    if free is None:
        pytest.skip("this system's /proc does not give the runnable threads")

    assert 0 <= free <= (os.cpu_count() or 1)
