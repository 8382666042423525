"""opinion read indexes: the tally's covering index and the clause listing's keyset index

ix_opinions_tally holds every column compute_tally reads, in the order of its GROUP BY,
so the tally of a large consultation is read from the index alone. ix_opinions_provision_listing
serves "newest first, 20 at a time" on a clause with keyset pagination on (created_at, id).

Revision ID: 7d3e2a9c4b10
Revises: 05367044ed9a
Create Date: 2026-11-26 12:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7d3e2a9c4b10'
down_revision = '05367044ed9a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.create_index('ix_opinions_tally', ['version_id', 'draft_id', 'provision_id', 'moderation_state',
                                                    'stance', 'category', 'represented_count', 'liaison_point_id',
                                                    'submitter_key'], unique=False)
        batch_op.create_index('ix_opinions_provision_listing', ['provision_id', 'moderation_state', 'created_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.drop_index('ix_opinions_provision_listing')
        batch_op.drop_index('ix_opinions_tally')
