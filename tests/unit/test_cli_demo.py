"""`pos demo` as a newcomer runs it: says what it is doing and how long the year took, once; a busy port explained."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from pos.cli import main


def test_pos_demo_says_what_it_does_and_seeds_once(tmp_path: Path) -> None:
    env = {"POS_DATABASE_URL": f"sqlite:///{(tmp_path / 'showroom.db').as_posix()}", "POS_INSTANCE_PATH": str(tmp_path)}
    first = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "Đang tạo hoặc nâng cấp cơ sở dữ liệu…"
    assert "Đang tạo dữ liệu mẫu: sản phẩm và một năm bán hàng…" in lines
    done = next(line for line in lines if line.startswith("Đã tạo dữ liệu mẫu (một năm bán hàng) trong "))
    assert done.endswith(" giây.") and "," in done  # 6,2 giây: the Vietnamese decimal comma
    assert "  manager  quanly / quanly123" in lines
    again = CliRunner().invoke(main, ["demo", "--no-serve"], env=env)
    assert again.exit_code == 0 and "Dữ liệu mẫu đã có sẵn; không tạo lại." in again.output
    assert "Đang tạo dữ liệu mẫu" not in again.output


def test_a_busy_port_is_explained_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            "POS_DATABASE_URL": f"sqlite:///{(tmp_path / 'showroom.db').as_posix()}",
            "POS_INSTANCE_PATH": str(tmp_path),
            "POS_SERVER_PORT": str(port),
        }
        result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert f"Cổng {port} đang được một chương trình khác dùng" in result.output
    assert f"POS_SERVER_PORT={port + 80} .venv/bin/pos serve" in result.output
    assert "Traceback" not in result.output and "Đang chạy" not in result.output
