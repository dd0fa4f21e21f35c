"""config.toml -> Flask config: tables flattened to upper-case keys, then POS_* environment overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.toml"


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'server': {'port': 1}} -> {'SERVER_PORT': 1}; Flask ignores lower-case keys."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}".upper()
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}_"))
        else:
            flat[name] = value
    return flat


def _coerce(raw: str, current: Any) -> Any:
    """An environment string takes the type of the value it overrides."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    return raw


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Read the TOML file, apply POS_* overrides and resolve the instance folder and database URL."""
    env = dict(os.environ if env is None else env)
    config_path = Path(path or env.get("POS_CONFIG") or DEFAULT_CONFIG).resolve()
    with config_path.open("rb") as fh:
        values = flatten(tomllib.load(fh))
    for key, raw in env.items():
        if key.startswith("POS_") and key != "POS_CONFIG":
            name = key[4:]
            values[name] = _coerce(raw, values.get(name))
    instance = Path(values.get("INSTANCE_PATH") or "instance")
    if not instance.is_absolute():
        instance = config_path.parent / instance
    values["INSTANCE_PATH"] = str(instance.resolve())
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{(instance / 'showroom.db').resolve().as_posix()}"
    values["CONFIG_FILE"] = str(config_path)
    return values
