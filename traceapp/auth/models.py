"""API tokens: random 32 bytes shown once, stored as SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from traceapp.db.base import Base
from traceapp.types import BigInt, UtcDateTime

ROLES = ("admin", "producer", "auditor")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInt, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    producer_public_id: Mapped[str | None] = mapped_column(String(32))
    # The custodial key that signs this token's writes.
    key_name: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
