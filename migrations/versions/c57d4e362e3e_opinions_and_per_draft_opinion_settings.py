"""opinions and per-draft opinion settings

Revision ID: c57d4e362e3e
Revises: ca65f8c038ff
Create Date: 2026-11-26 10:41:58.499487

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c57d4e362e3e'
down_revision = 'ca65f8c038ff'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('opinions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('provision_id', sa.Integer(), nullable=True),
    sa.Column('provision_key', sa.String(length=80), nullable=True),
    sa.Column('stance', sa.String(length=12), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('proposed_text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('submitter_name', sa.String(length=100), nullable=False),
    sa.Column('is_name_public', sa.Boolean(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('submitter_key', sa.String(length=120), nullable=False),
    sa.Column('delegation', sa.String(length=100), nullable=True),
    sa.Column('liaison_point_id', sa.Integer(), nullable=True),
    sa.Column('represented_count', sa.Integer(), nullable=False),
    sa.Column('moderation_state', sa.String(length=12), nullable=False),
    sa.Column('hidden_reason', sa.String(length=500), nullable=False),
    sa.Column('moderated_at', sa.DateTime(), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.Column('receipt_code', sa.String(length=20), nullable=False),
    sa.Column('submission_token', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_opinions_author_id_users')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_opinions_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['liaison_point_id'], ['liaison_points.id'], name=op.f('fk_opinions_liaison_point_id_liaison_points')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_opinions_moderated_by_id_users')),
    sa.ForeignKeyConstraint(['provision_id'], ['provisions.id'], name=op.f('fk_opinions_provision_id_provisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_opinions_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinions')),
    sa.UniqueConstraint('receipt_code', name=op.f('uq_opinions_receipt_code')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_opinions_submission_token'))
    )
    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opinions_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_opinions_draft_created', ['draft_id', 'created_at'], unique=False)
        batch_op.create_index('ix_opinions_draft_provision', ['draft_id', 'provision_id', 'moderation_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_opinions_liaison_point_id'), ['liaison_point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opinions_provision_id'), ['provision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_opinions_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        # Defaults for drafts that already exist: signed-in opinions, published at once,
        # not listed publicly (the conservative choice until staff decide).
        batch_op.add_column(sa.Column('allows_anonymous_opinions', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('moderation_mode', sa.String(length=8), nullable=False, server_default='post'))
        batch_op.add_column(sa.Column('shows_opinions_publicly', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_column('shows_opinions_publicly')
        batch_op.drop_column('moderation_mode')
        batch_op.drop_column('allows_anonymous_opinions')

    with op.batch_alter_table('opinions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opinions_version_id'))
        batch_op.drop_index(batch_op.f('ix_opinions_provision_id'))
        batch_op.drop_index(batch_op.f('ix_opinions_liaison_point_id'))
        batch_op.drop_index('ix_opinions_draft_provision')
        batch_op.drop_index('ix_opinions_draft_created')
        batch_op.drop_index(batch_op.f('ix_opinions_author_id'))

    op.drop_table('opinions')
