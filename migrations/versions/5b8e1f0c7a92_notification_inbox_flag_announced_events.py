"""notifications.in_inbox, announced_events (issue 16, notifications)

An inbox row can exist for an email alone (the owner turned the inbox off for that
kind); announced_events makes each fan-out (a draft opened, closes in three days, a new
reading, a batch fully disposed) start once.

Revision ID: 5b8e1f0c7a92
Revises: cd96fae2b532
Create Date: 2026-12-04 23:05:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5b8e1f0c7a92'
down_revision = 'cd96fae2b532'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announced_events',
    sa.Column('event_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_key', name=op.f('pk_announced_events'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_inbox', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('in_inbox')
    op.drop_table('announced_events')
