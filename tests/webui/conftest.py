"""Page-test fixtures: uploads under the test's own folder, an admin official."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import accounts
from tests.conftest import PASSWORD


@pytest.fixture
def data_dir(app: Any, tmp_path: Path) -> Path:
    """DATA_DIR (designer uploads) inside the test's own folder."""
    app.config["DATA_DIR"] = str(tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def admin(engine: Any, world: Any) -> Any:
    with engine.transaction() as s:
        return accounts.add_official(s, "admin", full_name="Quản trị viên", agency_code="000.00.15.H12",
                                     roles="admin", password=PASSWORD, now=engine.now())
