"""sign-in throttle without account lock-out; idempotency fingerprints

Failed sign-ins remember the account they were aimed at (to tell its owner), the
trusted device cookie they came with, and whether they were cleared (by the owner's
sign-in or an administrator's unlock); unlocks are recorded. Opinions stored through the
API under an Idempotency-Key keep a fingerprint of the request, so that the same key
with another body can be refused. Existing rows get NULL (unknown: treated as a match)
and ``is_cleared`` false.

Revision ID: e3a1c9d54b20
Revises: b8e4c1f07a2d
Create Date: 2026-12-04 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a1c9d54b20'
down_revision = 'b8e4c1f07a2d'
branch_labels = None
depends_on = None


def upgrade():
    # login_attempts holds short-lived throttle rows and has no children: rebuilding it
    # on SQLite (batch mode, for the foreign key) is harmless.
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('device_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('is_cleared', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_login_attempts_user_id_users'), 'users', ['user_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_login_attempts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_login_attempts_device_key_at', ['device_key', 'at'], unique=False)

    op.create_table('login_unlocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unlocked_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('cleared_failures', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unlocked_by_id'], ['users.id'], name=op.f('fk_login_unlocks_unlocked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_unlocks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_unlocks'))
    )
    with op.batch_alter_table('login_unlocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_unlocks_user_id'), ['user_id'], unique=False)

    # A plain ADD COLUMN, not batch mode: rebuilding opinions on SQLite would drop the
    # tally triggers that live on it.
    op.add_column('opinions', sa.Column('submission_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    # SQLite (3.35+) drops a column in place, so the tally triggers on opinions stay.
    op.drop_column('opinions', 'submission_fingerprint')

    with op.batch_alter_table('login_unlocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_unlocks_user_id'))
    op.drop_table('login_unlocks')

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_device_key_at')
        batch_op.drop_index(batch_op.f('ix_login_attempts_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_login_attempts_user_id_users'), type_='foreignkey')
        batch_op.drop_column('is_cleared')
        batch_op.drop_column('device_key')
        batch_op.drop_column('user_id')
