from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class LiaisonPoint(db.Model):
    """基层立法联系点: a street office, community, enterprise, law firm or school appointed
    by the standing committee to gather opinions offline."""

    __tablename__ = "liaison_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LiaisonPoint {self.id} {self.name}>"
