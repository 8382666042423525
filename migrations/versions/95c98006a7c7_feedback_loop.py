"""feedback loop: dispositions, assignments, reply templates, the feedback report, the audit
log, the inbox. On SQLite the opinions columns are added with plain ALTER TABLE (no batch
rebuild, which would drop the tally triggers on opinions).

Revision ID: 95c98006a7c7
Revises: e3a1c9d54b20
Create Date: 2026-12-04 19:53:53.783899

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '95c98006a7c7'
down_revision = 'e3a1c9d54b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('provision_key', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_assignments_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('draft_id', 'provision_key', name=op.f('uq_assignments_draft_id_provision_key'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_draft_id'), ['draft_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('selection', sa.JSON(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=140), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_audit_entries_draft_id_drafts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_audit_entries_idempotency_key'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor', ['actor_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_entries_draft', ['draft_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_object', ['object_type', 'object_id', 'id'], unique=False)

    op.create_table('feedback_reports',
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_feedback_reports_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_feedback_reports_published_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_feedback_reports_updated_by_id_users')),
    sa.PrimaryKeyConstraint('draft_id', name=op.f('pk_feedback_reports'))
    )
    op.create_table('feedback_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('provision_key', sa.String(length=80), nullable=False),
    sa.Column('main_opinions', sa.Text(), nullable=False),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_feedback_sections_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_feedback_sections_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_sections')),
    sa.UniqueConstraint('draft_id', 'provision_key', name=op.f('uq_feedback_sections_draft_id_provision_key'))
    )
    with op.batch_alter_table('feedback_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_sections_draft_id'), ['draft_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('event_key', sa.String(length=120), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_notifications_draft_id_drafts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'event_key', name=op.f('uq_notifications_user_id_event_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('disposition', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reply_templates_created_by_id_users')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_reply_templates_draft_id_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates'))
    )
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_templates_draft_id'), ['draft_id'], unique=False)

    if op.get_bind().dialect.name == 'sqlite':
        # Plain ADD COLUMN, the reference written in place: a batch rebuild of opinions
        # would drop the tally triggers on it.
        for column in ("disposition VARCHAR(20) DEFAULT 'pending' NOT NULL",
                       "disposition_reason TEXT DEFAULT '' NOT NULL",
                       "disposition_note TEXT DEFAULT '' NOT NULL",
                       "disposed_at DATETIME",
                       "disposed_by_id INTEGER CONSTRAINT fk_opinions_disposed_by_id_users REFERENCES users (id)"):
            op.execute(f"ALTER TABLE opinions ADD COLUMN {column}")
    else:
        op.add_column('opinions', sa.Column('disposition', sa.String(length=20), server_default='pending',
                                            nullable=False))
        op.add_column('opinions', sa.Column('disposition_reason', sa.Text(), server_default='', nullable=False))
        op.add_column('opinions', sa.Column('disposition_note', sa.Text(), server_default='', nullable=False))
        op.add_column('opinions', sa.Column('disposed_at', sa.DateTime(), nullable=True))
        op.add_column('opinions', sa.Column('disposed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_opinions_disposed_by_id_users'), 'opinions', 'users', ['disposed_by_id'], ['id'])
    op.create_index('ix_opinions_draft_disposition', 'opinions', ['draft_id', 'disposition'], unique=False)


def downgrade():
    op.drop_index('ix_opinions_draft_disposition', table_name='opinions')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if not sqlite:
        op.drop_constraint(op.f('fk_opinions_disposed_by_id_users'), 'opinions', type_='foreignkey')
    for column in ('disposed_by_id', 'disposed_at', 'disposition_note', 'disposition_reason', 'disposition'):
        if sqlite:
            # In place (SQLite 3.35+), so the tally triggers on opinions stay.
            op.execute(f"ALTER TABLE opinions DROP COLUMN {column}")
        else:
            op.drop_column('opinions', column)

    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_templates_draft_id'))

    op.drop_table('reply_templates')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    with op.batch_alter_table('feedback_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_sections_draft_id'))

    op.drop_table('feedback_sections')
    op.drop_table('feedback_reports')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_object')
        batch_op.drop_index('ix_audit_entries_draft')
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
        batch_op.drop_index('ix_audit_entries_actor')

    op.drop_table('audit_entries')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_draft_id'))

    op.drop_table('assignments')
