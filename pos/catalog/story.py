"""A product's story (câu chuyện sản phẩm): English name, VI/EN descriptions, origin, producer's story, trace link.

Labels print the English name and a QR of the trace link, receipts the English name on request; the
product form edits it with the product, validated here in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.models import ProductStory
from pos.db import utcnow
from pos.text import nfc

# field -> (label on the form, longest allowed)
LIMITS: dict[str, tuple[str, int]] = {
    "name_en": ("tên tiếng Anh", 200),
    "description_vi": ("mô tả ngắn (tiếng Việt)", 500),
    "description_en": ("mô tả ngắn (tiếng Anh)", 500),
    "origin_commune": ("xã / phường", 80),
    "origin_district": ("huyện / quận", 80),
    "origin_province": ("tỉnh / thành phố", 80),
    "producer_story": ("câu chuyện của nhà sản xuất", 2000),
    "trace_url": ("đường dẫn truy xuất nguồn gốc", 500),
}
STORY_FIELDS = tuple(LIMITS)


@dataclass(frozen=True)
class Story:
    """A validated story; every field may be blank."""

    name_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    origin_commune: str = ""
    origin_district: str = ""
    origin_province: str = ""
    producer_story: str = ""
    trace_url: str = ""

    @property
    def is_blank(self) -> bool:
        """Nothing told at all."""
        return not any(getattr(self, f.name) for f in fields(self))

    @property
    def origin(self) -> str:
        """'Xã Hồng Thái, huyện Na Hang, tỉnh Tuyên Quang' as typed, the parts given joined by commas."""
        return ", ".join(p for p in (self.origin_commune, self.origin_district, self.origin_province) if p)


def story_url_problem(url: str) -> str | None:
    """Why a traceability link is refused (only http:// and https:// pages with a host), or None."""
    if any(ch.isspace() for ch in url):
        return "Đường dẫn truy xuất không được chứa dấu cách."
    try:
        parts = urlsplit(url)
    except ValueError:
        return "Đường dẫn truy xuất không hợp lệ."
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or not parts.hostname:
        return "Đường dẫn truy xuất phải bắt đầu bằng http:// hoặc https://, ví dụ https://truyxuat.tuyenquang.gov.vn/…"
    return None


def validate_story(raw: Mapping[str, Any], add_error: Any) -> Story:
    """The story fields of a form or JSON body, trimmed and NFC; problems go to ``add_error(field, message)``."""
    values: dict[str, str] = {}
    for name, (label, longest) in LIMITS.items():
        value = raw.get(name)
        text = nfc(value if isinstance(value, str) else "" if value is None else str(value))
        if name != "producer_story" and name not in ("description_vi", "description_en"):
            text = " ".join(text.split())  # one-line fields: no stray line breaks on a label
        if len(text) > longest:
            add_error(name, f"{label[:1].upper()}{label[1:]} dài tối đa {longest} ký tự.")
        values[name] = text
    if values["trace_url"] and (problem := story_url_problem(values["trace_url"])):
        add_error("trace_url", problem)
    return Story(**values)


def _as_story(row: ProductStory | None) -> Story:
    if row is None:
        return Story()
    return Story(**{name: getattr(row, name) for name in STORY_FIELDS})


def get_story(session: Session, product_id: int) -> Story:
    """A product's story (blank when none was told)."""
    return _as_story(session.get(ProductStory, product_id))


def stories_of(session: Session, product_ids: Iterable[int]) -> dict[int, Story]:
    """Stories of several products; products without one are absent."""
    ids = list(set(product_ids))
    if not ids:
        return {}
    rows = session.exec(select(ProductStory).where(ProductStory.product_id.in_(ids)))  # type: ignore[attr-defined]
    return {row.product_id: _as_story(row) for row in rows}


def save_story(session: Session, product_id: int, story: Story, actor_id: int | None = None) -> None:
    """Write a validated story (a blank one removes the row); audited when anything changed."""
    row = session.get(ProductStory, product_id)
    before = _as_story(row)
    if before == story:
        return
    if story.is_blank:
        if row is not None:
            session.delete(row)
    else:
        row = row or ProductStory(product_id=product_id)
        for name in STORY_FIELDS:
            setattr(row, name, getattr(story, name))
        row.updated_at = utcnow()
        session.add(row)
    changed = [name for name in STORY_FIELDS if getattr(before, name) != getattr(story, name)]
    audit.record(
        session,
        "product.story",
        user_id=actor_id,
        entity="product",
        entity_id=product_id,
        before={name: getattr(before, name) for name in changed},
        after={name: getattr(story, name) for name in changed},
    )
    session.flush()
