from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.cli_mistakes import GOOD


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """An empty working folder (the current one) holding `good.yaml`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path
