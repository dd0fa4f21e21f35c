"""Who a showroom's username is: the full names the records carry, kept once per showroom and username.

The records name a person by username (the key that matches across records) and, since sale, return and
void version 2 and shift close version 3, by full name too (what the office shows). A push keeps the newest
name of each username (``store_names``); the office's queries read it through ``full_name_sql`` and fall
back to the username for people no record has named yet (pushes from older showrooms).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pos.central.models import StaffName

# kind -> (the username field, the full-name field) of each person a record names
NAMED_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "sale": (("cashier", "cashier_name"), ("discount_approved_by", "discount_approved_by_name")),
    "return": (("cashier", "cashier_name"),),
    "void": (("voided_by", "voided_by_name"),),
    "shift_close": (("cashier", "cashier_name"),),
}

T_STAFF_NAME = StaffName.__table__


def names_in(records: Iterable[Any]) -> dict[str, tuple[int, str]]:
    """username -> (seq, full name) of the newest record of ``records`` naming each person."""
    found: dict[str, tuple[int, str]] = {}
    for record in records:
        for user_field, name_field in NAMED_FIELDS.get(record.KIND, ()):
            username = getattr(record.payload, user_field, None)
            name = (getattr(record.payload, name_field, "") or "").strip()
            if username and name and (username not in found or found[username][0] < record.seq):
                found[username] = (record.seq, name)
    return found


def store_names(conn: Connection, showroom_id: int, records: Iterable[Any]) -> None:
    """Keep the full names the new records carry (an older record never overwrites a newer name)."""
    found = names_in(records)
    if not found:
        return
    rows = [
        {"showroom_id": showroom_id, "username": username, "full_name": name, "seq": seq}
        for username, (seq, name) in sorted(found.items())
    ]
    statement = pg_insert(T_STAFF_NAME).values(rows)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["showroom_id", "username"],
            set_={"full_name": statement.excluded.full_name, "seq": statement.excluded.seq},
            where=T_STAFF_NAME.c.seq < statement.excluded.seq,
        )
    )


def full_name_sql(showroom_column: str, username_column: str) -> str:
    """SQL for the full name of the person in ``username_column`` (the username itself when none is known)."""
    return (
        f"COALESCE((SELECT sn.full_name FROM staff_name sn WHERE sn.showroom_id = {showroom_column} "
        f"AND sn.username = {username_column}), {username_column})"
    )


def full_name_join(showroom_column: str, username_column: str) -> tuple[str, str]:
    """``full_name_sql`` for a long table: the join to add after FROM and the name's SQL. PostgreSQL then reads
    the names once by a hash join instead of a subquery per row (a year's shifts: 73,000 of them)."""
    return (
        f" LEFT JOIN staff_name sn ON sn.showroom_id = {showroom_column} AND sn.username = {username_column}",
        f"COALESCE(sn.full_name, {username_column})",
    )


def full_names(session: Any, showroom_id: int) -> dict[str, str]:
    """username -> full name of everyone a showroom's records have named."""
    return {
        row.username: row.full_name
        for row in session.execute(T_STAFF_NAME.select().where(T_STAFF_NAME.c.showroom_id == showroom_id))
    }
