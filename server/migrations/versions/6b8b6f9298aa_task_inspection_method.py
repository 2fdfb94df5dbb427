"""a task's inspection method (现场检查 / 书面检查 / 网络监测); a media file's PDF page count

Revision ID: 6b8b6f9298aa
Revises: 011ac7c8287d
Create Date: 2026-12-03 13:23:12.374483

Existing tasks were all carried out on site (nothing could create another kind), so the server default
fills them with on_site. Media files were all images until now: their page count stays empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b8b6f9298aa'
down_revision = '011ac7c8287d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=16), server_default='on_site', nullable=False))
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pages', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_column('pages')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('method')
