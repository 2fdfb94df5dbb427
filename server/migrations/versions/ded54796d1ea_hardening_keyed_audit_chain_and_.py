"""hardening: keyed audit chain and published heads, server-side sessions, login throttles

Existing audit entries are kept exactly as they are and marked chain 1 (the unkeyed SHA-256 chain); the
app's first keyed append seals them with an `audit.rekey` entry (run `spotcheck audit-publish-head` right
after upgrading, which does that and publishes the first head). Login locks (users.failed_logins,
users.locked_until) give way to the login_throttles counters; office sessions move to user_sessions, so
everyone logs in again once after the upgrade.

Revision ID: ded54796d1ea
Revises: 54d55142574c
Create Date: 2026-12-03 09:24:16.653849

"""
from alembic import op
import sqlalchemy as sa

import server.models.types
from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())


# revision identifiers, used by Alembic.
revision = 'ded54796d1ea'
down_revision = '54d55142574c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_published_heads',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=False),
    sa.Column('public_key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_audit_published_heads'))
    )
    op.create_table('login_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', server.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_username', sa.String(length=64), nullable=False),
    sa.Column('last_address', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_login_throttles_scope'))
    )
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', server.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    # The rows already there are the legacy chain: chain 1, no key. The defaults serve only this backfill.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=False, server_default=''))
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('chain', server_default=None)
        batch_op.alter_column('key_id', server_default=None)
    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.alter_column('chain', server_default=None)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')



def downgrade():
    # Entries written since the upgrade are HMAC-chained and will not verify under the old code.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', server.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('audit_heads', schema=None) as batch_op:
        batch_op.drop_column('chain')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('key_id')
        batch_op.drop_column('chain')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    op.drop_table('login_throttles')
    op.drop_table('audit_published_heads')
