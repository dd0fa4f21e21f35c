"""Time the central office's every-shift export over a year, CSV and XLSX, through the real Flask app.

    python bench/central.py --showrooms 100 --days 365 --sales 4 --keep     # 73,000 shifts; prints the database
    python bench/shifts.py --database pos_bench_central_xxxx [--repeat 5] [--save DIR]

Each request is timed whole (the streamed body read to its end) and until its first bytes, with the CPU time of
this process (the Flask side: rows read from the cursor, cells written, the XLSX deflated) and of the PostgreSQL
backends serving the app (read from /proc, so only for a server on this machine; a parallel worker's CPU is not
counted). Beside them, in the same run, PostgreSQL's COPY of the same rows (bench/central.py's raw_shift_copy).
The load average is printed before every round, since the machine may be shared. ``--save DIR`` writes the
bodies of the last round, to compare two versions of the code byte for byte. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from central import CSRF_RE, libpq_url, raw_shift_copy, sqlalchemy_url  # noqa: E402

from pos import create_app  # noqa: E402
from pos.central.office.views import CACHE_KEY  # noqa: E402
from pos.db import ENGINE_KEY  # noqa: E402

FIRST, LAST = date(2025, 12, 1), date(2026, 11, 30)  # bench/central.py's year
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(admin: psycopg.Connection, database: str) -> float:
    """CPU seconds so far of every backend connected to ``database`` except ``admin``'s own."""
    pids = [
        r[0]
        for r in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,)
        )
    ]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="a database kept by bench/central.py --keep")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--save", type=Path, help="write the last round's bodies into this folder")
    a = parser.parse_args()

    server = os.environ.get("POS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    instance = tempfile.mkdtemp(prefix="bench-shifts-")
    app = create_app(
        overrides={"ROLE": "central", "DATABASE_URL": sqlalchemy_url(server, a.database), "INSTANCE_PATH": instance}
    )
    client = app.test_client()
    found = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login",
        data={"username": "bench", "password": "bench-matkhau", "csrf_token": found.group(1) if found else ""},
    )
    assert answer.status_code in (302, 303), answer.status_code
    args = {"from": f"{FIRST:%d/%m/%Y}", "to": f"{LAST:%d/%m/%Y}", "showroom": ""}
    formats = a.formats.split(",")
    runs: dict[str, list[dict[str, float]]] = {fmt: [] for fmt in formats}
    copies: list[float] = []
    loads: list[float] = []
    with psycopg.connect(libpq_url(server, a.database), autocommit=True) as admin:
        for n in range(a.repeat):
            load = os.getloadavg()[0]
            loads.append(load)
            copies.append(raw_shift_copy(server, a.database, FIRST, LAST, 1))
            line = [f"round {n + 1}: load {load:.2f}, COPY {copies[-1]:.3f} s"]
            for fmt in formats:
                app.extensions.pop(CACHE_KEY, None)
                backend = backend_cpu(admin, a.database)
                cpu = time.process_time()
                started = time.perf_counter()
                response = client.get(f"/office/shifts.{fmt}", query_string=args)
                body = iter(response.response)
                parts = [next(body, b"")]
                first = time.perf_counter() - started
                parts.extend(body)
                response.close()
                took = time.perf_counter() - started
                cpu = time.process_time() - cpu
                backend = backend_cpu(admin, a.database) - backend
                assert response.status_code == 200, (fmt, response.status_code)
                size = sum(len(p) for p in parts)
                runs[fmt].append({"s": took, "first_s": first, "cpu_s": cpu, "backend_cpu_s": backend, "bytes": size})
                line.append(f"{fmt} {took:.3f} s (first {first:.3f}, cpu {cpu:.3f}, backend {backend:.2f}, {size:,} B)")
                if a.save and n == a.repeat - 1:
                    a.save.mkdir(parents=True, exist_ok=True)
                    (a.save / f"shifts.{fmt}").write_bytes(b"".join(parts))
            print("; ".join(line), flush=True)
    app.extensions[ENGINE_KEY].dispose()

    copy_s = min(copies)
    figures: dict[str, Any] = {"raw_year_shifts_copy_s": round(copy_s, 3), "copy_median_s": statistics.median(copies)}
    for fmt, timings in runs.items():
        for field in ("s", "first_s", "cpu_s", "backend_cpu_s"):
            values = [t[field] for t in timings]
            figures[f"{fmt}_{field}_best"] = round(min(values), 3)
            figures[f"{fmt}_{field}_median"] = round(statistics.median(values), 3)
        figures[f"{fmt}_bytes"] = timings[-1]["bytes"]
        # Each round's export against the COPY of the same round, then the median of those ratios
        ratios = [t["s"] / c for t, c in zip(timings, copies, strict=True)]
        figures[f"{fmt}_vs_copy_median"] = round(statistics.median(ratios), 2)
    figures["load_average"] = [round(min(loads), 2), round(max(loads), 2)]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
