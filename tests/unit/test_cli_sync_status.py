"""`pos sync --status` counts exactly what the next push sends, and says when in the showroom's time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pos.cli import main
from tests.unit.test_sync_client import central, fill_outbox, issued, run, settings, transport  # noqa: F401

pytestmark = pytest.mark.postgres


def status(db_path: Path) -> tuple[int, str]:
    env = {"POS_DATABASE_URL": f"sqlite:///{db_path.as_posix()}", "POS_INSTANCE_PATH": str(db_path.parent)}
    result = CliRunner().invoke(main, ["sync", "--status"], env=env)
    assert result.exit_code == 0, result.output
    count = re.search(r"Bản ghi sẽ gửi ở lần đồng bộ tới: (\d+)", result.output)
    assert count, result.output
    return int(count.group(1)), result.output


def test_status_counts_what_the_push_sends(
    db_path: Path,
    engine: Any,
    uow: Any,
    settings: Any,  # noqa: F811
    transport: Any,  # noqa: F811
    make_product: Any,
    make_user: Any,
) -> None:
    make_product(name="Mật ong bạc hà")  # before the first run: producers and products travel as a snapshot
    make_user("thungan", "cashier")  # and every audit entry
    fill_outbox(uow, sales=20)
    waiting, output = status(db_path)
    assert "chưa lần nào" in output
    result = run(engine, settings, transport)
    assert result.ok, result.error
    assert result.pushed == waiting  # 6 said, 385 sent, no more

    waiting, output = status(db_path)
    # The last success in local time (dd/mm/yyyy hh:mm:ss), never a raw UTC ISO stamp.
    assert re.search(r"thành công gần nhất: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \(giờ cửa hàng\)", output), output
    assert "+00:00" not in output
    again = run(engine, settings, transport)
    assert again.pushed == waiting
