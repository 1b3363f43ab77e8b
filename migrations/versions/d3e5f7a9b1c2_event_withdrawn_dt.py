"""agenda events: remember when a partner's feed withdrew an event, to restore it if it returns

Revision ID: d3e5f7a9b1c2
Revises: c2d4e6f8a0b1
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "d3e5f7a9b1c2"
down_revision = "c2d4e6f8a0b1"
branch_labels = None
depends_on = None


def upgrade():
    # Events cancelled before this column existed stay cancelled: nothing tells whether the
    # feed or a moderator did it, and a moderator's decision must not be undone.
    with op.batch_alter_table("agenda_events") as batch:
        batch.add_column(sa.Column("withdrawn_dt", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("agenda_events") as batch:
        batch.drop_column("withdrawn_dt")
