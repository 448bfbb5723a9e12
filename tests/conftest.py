"""Shared pytest set-up. Keep it small: put helpers in the test module that uses them."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test (never the global np.random state)."""
    return np.random.default_rng(20240601)
