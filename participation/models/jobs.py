"""Background jobs the platform tracks (exports, notification fan-outs, email delivery).

The job queue (Huey, ``participation.jobs``) carries only a job's id; this row is the
record people see: its state, progress, the file it produced and why it failed. A row
is written in the transaction that asks for the work and the queue message is sent
after that transaction commits, so a job exists exactly when what asked for it does.
A row left ``queued`` (a crash between commit and send) is sent again by the sweep
(``flask jobs sweep``, also run periodically by the consumer)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from participation.database import UTCDateTime, utcnow
from participation.extensions import db


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        # The sweep (queued rows to send again) and the admins' list of failures.
        Index("ix_jobs_state_created", "state", "created_at"),
        # "My exports" on a draft's page.
        Index("ix_jobs_draft_creator", "draft_id", "created_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable: the status and download links carry it (never the row id).
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[str] = mapped_column(String(40))           # the registered task's name
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED.value)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The produced file, under the instance's jobs/ folder, and when it is removed.
    file_name: Mapped[str] = mapped_column(String(255), default="")    # offered to the browser
    file_path: Mapped[str] = mapped_column(String(255), default="")    # relative to the files folder
    file_size: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def progress_percent(self) -> int:
        if self.state == JobState.DONE.value:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))
