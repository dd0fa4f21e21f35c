"""Showrooms and their sync credentials: register, rotate, revoke, and authenticate a signed request.

The scheme is described in pos/sync/signing.py. The secret is returned once, by register_showroom and
rotate_credential, for the office to hand to the showroom; only the derived key is stored. A showroom has at
most one live credential: rotating revokes the old one at once, revoking leaves none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, select

from pos.central import errors
from pos.central.errors import SyncApiError
from pos.central.models import Showroom, ShowroomCredential, SyncNonce
from pos.central.office_log import log_action
from pos.db import utcnow
from pos.errors import Conflict, NotFound, ValidationError
from pos.sync import signing
from pos.text import nfc


@dataclass(frozen=True)
class IssuedSecret:
    """A secret shown once: the showroom code, the secret and the fingerprint of its key."""

    code: str
    secret: str
    key_id: str


def get_showroom(session: Session, code: str) -> Showroom:
    """The showroom with this code, or NotFound."""
    showroom = session.exec(select(Showroom).where(Showroom.code == nfc(code))).first()
    if showroom is None:
        raise NotFound(f"Không có cửa hàng mã “{nfc(code)}”.", "code")
    return showroom


def list_showrooms(session: Session) -> list[Showroom]:
    """Every registered showroom, by code."""
    return list(session.exec(select(Showroom).order_by(Showroom.code)))


def live_credential(session: Session, showroom_id: int) -> ShowroomCredential | None:
    """The showroom's credential in use, if any."""
    return session.exec(
        select(ShowroomCredential).where(
            ShowroomCredential.showroom_id == showroom_id,
            ShowroomCredential.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()


def register_showroom(
    session: Session,
    code: str,
    name: str,
    province: str,
    district: str = "",
    address: str = "",
    actor: str = "",
) -> IssuedSecret:
    """Register a showroom and issue its first secret (returned once, never stored)."""
    code, name, province, district, address = (nfc(v) for v in (code, name, province, district, address))
    if not signing.is_valid_code(code):
        raise ValidationError(
            "Mã cửa hàng gồm 1–20 chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.", "code"
        )
    if not name or len(name) > 200:
        raise ValidationError("Nhập tên cửa hàng (tối đa 200 ký tự).", "name")
    if not province or len(province) > 80:
        raise ValidationError("Nhập tỉnh/thành phố (tối đa 80 ký tự).", "province")
    if len(district) > 80:
        raise ValidationError("Quận/huyện tối đa 80 ký tự.", "district")
    if len(address) > 250:
        raise ValidationError("Địa chỉ tối đa 250 ký tự.", "address")
    taken = session.exec(select(Showroom).where(func.lower(Showroom.code) == code.lower())).first()
    if taken is not None:
        raise Conflict(f"Mã cửa hàng “{taken.code}” đã được đăng ký.", "code")
    showroom = Showroom(code=code, name=name, province=province, district=district, address=address)
    session.add(showroom)
    session.flush()
    issued = _issue(session, showroom, actor)
    log_action(
        session, actor, "showroom.register", "showroom", code, name=name, province=province, key_id=issued.key_id
    )
    return issued


def rotate_credential(session: Session, code: str, actor: str = "") -> IssuedSecret:
    """Issue a new secret; the old one stops working at once."""
    showroom = _locked(session, code)
    revoked = _revoke_live(session, showroom, actor)
    issued = _issue(session, showroom, actor)
    log_action(session, actor, "credential.rotate", "showroom", code, key_id=issued.key_id, revoked=revoked)
    return issued


def revoke_credential(session: Session, code: str, actor: str = "") -> list[str]:
    """Revoke the showroom's credential: it can push nothing until a new secret is issued."""
    showroom = _locked(session, code)
    revoked = _revoke_live(session, showroom, actor)
    if not revoked:
        raise Conflict(f"Cửa hàng “{showroom.code}” không có khóa đồng bộ nào đang dùng.")
    log_action(session, actor, "credential.revoke", "showroom", code, revoked=revoked)
    return revoked


def _locked(session: Session, code: str) -> Showroom:
    """The showroom row, locked so two rotations cannot both leave a live key."""
    showroom = session.exec(select(Showroom).where(Showroom.code == nfc(code)).with_for_update()).first()
    if showroom is None:
        raise NotFound(f"Không có cửa hàng mã “{nfc(code)}”.", "code")
    return showroom


def _revoke_live(session: Session, showroom: Showroom, actor: str) -> list[str]:
    now = utcnow()
    revoked = []
    for credential in session.exec(
        select(ShowroomCredential).where(
            ShowroomCredential.showroom_id == showroom.id,
            ShowroomCredential.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ):
        credential.revoked_at = now
        credential.revoked_by = actor[:60]
        session.add(credential)
        revoked.append(credential.key_id)
    session.flush()
    return revoked


def _issue(session: Session, showroom: Showroom, actor: str) -> IssuedSecret:
    secret = signing.new_secret()
    key = signing.derive_key(secret, showroom.code)
    credential = ShowroomCredential(
        showroom_id=showroom.id,  # type: ignore[arg-type]
        key_id=signing.key_id(key),
        verifier=key.hex(),
        created_by=actor[:60],
    )
    session.add(credential)
    session.flush()
    return IssuedSecret(showroom.code, secret, credential.key_id)


# --- Authenticating a request ----------------------------------------------------------------------------------


def authenticate(
    session: Session,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    max_skew_s: int = signing.MAX_SKEW_S,
) -> Showroom:
    """The showroom that signed this request, after checking signature, freshness, revocation and replay.

    The nonce is recorded in the caller's transaction: if the request then fails, the nonce goes with it.
    """
    parsed = signing.parse_headers(headers)
    if parsed is None:
        raise SyncApiError(
            "Thiếu hoặc sai thông tin xác thực đồng bộ (mã cửa hàng, thời điểm, nonce, chữ ký).",
            401,
            errors.BAD_CREDENTIALS,
        )
    code, timestamp, nonce, sig = parsed
    showroom = session.exec(select(Showroom).where(Showroom.code == code)).first()
    credentials = (
        list(session.exec(select(ShowroomCredential).where(ShowroomCredential.showroom_id == showroom.id)))
        if showroom is not None
        else []
    )
    matched = next(
        (
            c
            for c in credentials
            if signing.verify(bytes.fromhex(c.verifier), sig, method, path, code, timestamp, nonce, body)
        ),
        None,
    )
    if showroom is None or matched is None:
        raise SyncApiError("Mã cửa hàng hoặc khóa đồng bộ không đúng.", 401, errors.BAD_CREDENTIALS)
    if matched.revoked_at is not None or not showroom.is_active:
        raise SyncApiError(
            "Khóa đồng bộ này đã bị thu hồi hoặc thay mới; hãy nhập khóa mới do văn phòng trung tâm cấp.",
            401,
            errors.REVOKED,
        )
    if not signing.is_fresh(timestamp, now, max_skew_s):
        raise SyncApiError(
            f"Đồng hồ máy cửa hàng lệch quá {max_skew_s // 60} phút so với máy chủ trung tâm.",
            401,
            errors.STALE_TIMESTAMP,
            server_time=int(now),
        )
    seen = session.execute(
        pg_insert(SyncNonce)
        .values(showroom_id=showroom.id, nonce=nonce, seen_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SyncNonce.nonce)
    ).first()
    if seen is None:
        raise SyncApiError("Yêu cầu này đã được gửi trước đó (phát lại); bị từ chối.", 409, errors.REPLAY)
    return showroom


def forget_old_nonces(session: Session, max_skew_s: int = signing.MAX_SKEW_S) -> int:
    """Drop nonces older than twice the freshness window: a request that old is refused by its timestamp."""
    from datetime import timedelta

    from sqlalchemy import delete

    cutoff = utcnow() - timedelta(seconds=2 * max_skew_s)
    result = session.execute(delete(SyncNonce).where(SyncNonce.seen_at < cutoff))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
