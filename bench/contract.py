"""Decoding the sync contract: msgspec (what the central server uses) against JSON parsing plus pydantic.

    python bench/contract.py

The same push bodies (a showroom-day of 800 sales and its catalogue, in batches of 500 records, as the
client sends them) are decoded and validated by: msgspec into the contract's structs (pos/sync/contract.py);
json.loads then pydantic validating the same rules (bench/pydantic_contract.py, the models the server used
before); pydantic's own JSON parsing; and json.loads alone (the floor for any library
that first parses into Python objects). Best of five runs each. The last line is one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


import pydantic_contract  # noqa: E402  (bench/pydantic_contract.py)

from pos.sync import contract  # noqa: E402
from pos.sync.samples import SampleShowroom, batch_document  # noqa: E402

RUNS = 5
BATCH = 500


def best(work: Any, bodies: list[bytes]) -> float:
    fastest = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        for body in bodies:
            work(body)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


def main() -> None:
    shop = SampleShowroom("BENCH", seed=1)
    records = shop.catalogue_records(datetime(2026, 11, 1, tzinfo=UTC)) + shop.day(date(2026, 11, 1), sales=800)
    bodies = [
        json.dumps(batch_document("BENCH", records[i : i + BATCH], i + 1)).encode()
        for i in range(0, len(records), BATCH)
    ]
    adapter = pydantic_contract.batch_adapter
    adapter.validate_python(json.loads(bodies[0]))  # the same bodies are valid for both
    figures: dict[str, Any] = {"records": len(records), "bodies": len(bodies), "bytes": sum(map(len, bodies))}
    figures["msgspec_s"] = round(best(contract.decode_batch, bodies), 4)
    figures["json_pydantic_s"] = round(best(lambda b: adapter.validate_python(json.loads(b)), bodies), 4)
    figures["pydantic_json_s"] = round(best(adapter.validate_json, bodies), 4)
    figures["json_loads_s"] = round(best(json.loads, bodies), 4)
    figures["msgspec_speedup_vs_json_pydantic"] = round(figures["json_pydantic_s"] / figures["msgspec_s"], 1)
    figures["msgspec_speedup_vs_json_loads"] = round(figures["json_loads_s"] / figures["msgspec_s"], 1)
    for key in ("msgspec_s", "json_pydantic_s", "pydantic_json_s", "json_loads_s"):
        print(f"{key:<18} {figures[key]:.4f} s for {len(records)} records ({len(records) / figures[key]:,.0f}/s)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
