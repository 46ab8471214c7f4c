"""The benchmark scripts live in bench/ (not a package): make them importable here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    return BENCH
