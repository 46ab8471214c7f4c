from __future__ import annotations

import shutil

import pytest


def _need(tool: str):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")


@pytest.fixture
def poppler():
    for tool in ("pdftotext", "pdffonts", "pdftoppm"):
        _need(tool)
