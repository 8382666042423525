"""liaison-point batches: the batches table, and each opinion's batch and row

A batch (批次) is one upload of a liaison point's opinion table; its rows are opinions.
Two unique constraints carry "never twice" under concurrency: (point, draft, file digest)
and the API idempotency key. draft_id is nullable behind a check constraint so that a
batch can later answer a legislative-plan call (add the column, widen the check).
Existing opinions get NULL batch columns (they were not batch rows).

Revision ID: 05367044ed9a
Revises: 9f5a648dfa6a
Create Date: 2026-11-26 11:30:11.668854

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '05367044ed9a'
down_revision = '9f5a648dfa6a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('liaison_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('liaison_point_id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('activity_kind', sa.String(length=12), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('activity_place', sa.String(length=200), nullable=False),
    sa.Column('participants', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('is_entered_by_staff', sa.Boolean(), nullable=False),
    sa.Column('late_reason', sa.String(length=500), nullable=False),
    sa.Column('source_format', sa.String(length=8), nullable=False),
    sa.Column('source_encoding', sa.String(length=20), nullable=False),
    sa.Column('source_filename', sa.String(length=255), nullable=False),
    sa.Column('source_digest', sa.String(length=64), nullable=False),
    sa.Column('stored_file', sa.String(length=80), nullable=False),
    sa.Column('idempotency_key', sa.String(length=140), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('represented_total', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('draft_id IS NOT NULL', name=op.f('ck_liaison_batches_has_target')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_liaison_batches_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_liaison_batches_entered_by_id_users')),
    sa.ForeignKeyConstraint(['liaison_point_id'], ['liaison_points.id'], name=op.f('fk_liaison_batches_liaison_point_id_liaison_points')),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_liaison_batches_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_liaison_batches')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_liaison_batches_idempotency_key')),
    sa.UniqueConstraint('liaison_point_id', 'draft_id', 'source_digest', name=op.f('uq_liaison_batches_liaison_point_id_draft_id_source_digest'))
    )
    with op.batch_alter_table('liaison_batches', schema=None) as batch_op:
        batch_op.create_index('ix_liaison_batches_draft_id', ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_liaison_batches_entered_by_id'), ['entered_by_id'], unique=False)
        batch_op.create_index('ix_liaison_batches_point_created', ['liaison_point_id', 'created_at'], unique=False)

    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('batch_row', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_opinions_batch_id_batch_row'), ['batch_id', 'batch_row'])
        batch_op.create_foreign_key(batch_op.f('fk_opinions_batch_id_liaison_batches'), 'liaison_batches', ['batch_id'], ['id'], ondelete='CASCADE')



def downgrade():
    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opinions_batch_id_liaison_batches'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_opinions_batch_id_batch_row'), type_='unique')
        batch_op.drop_column('batch_row')
        batch_op.drop_column('batch_id')

    with op.batch_alter_table('liaison_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_liaison_batches_point_created')
        batch_op.drop_index(batch_op.f('ix_liaison_batches_entered_by_id'))
        batch_op.drop_index('ix_liaison_batches_draft_id')

    op.drop_table('liaison_batches')
