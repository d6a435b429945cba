"""Fixtures of the bulk-file tests: files are stored in the test's own folder, and a world of
employers, a bureau and employees (tests/contributions/bulk_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contributions.bulk_helpers import world


@pytest.fixture
def bulk_storage(settings: Any, tmp_path: Any) -> Any:
    settings.BULK_UPLOAD_DIR = tmp_path / "uploads"
    return settings.BULK_UPLOAD_DIR


@pytest.fixture
def w(bulk_storage: Any) -> dict[str, Any]:
    return world()
