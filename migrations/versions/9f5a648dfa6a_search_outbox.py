"""search outbox: changes the full-text index has yet to take in

Rows are written by search/tracking.py in the same transaction as the change they name
and deleted by the indexer once applied. The table holds no content, only
(entity, entity_id) pairs, so it can be emptied at any time by `flask search rebuild`.

Revision ID: 9f5a648dfa6a
Revises: 19121aef3e4f
Create Date: 2026-11-26 11:03:51.920461

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9f5a648dfa6a'
down_revision = '19121aef3e4f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox')),
    )


def downgrade():
    op.drop_table('search_outbox')
