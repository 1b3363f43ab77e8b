"""show jingles: intro and outro played around every audio edition of a show

Revision ID: c2d4e6f8a0b1
Revises: f3757bb87cb0
Create Date: 2026-11-30 20:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "c2d4e6f8a0b1"
down_revision = "f3757bb87cb0"
branch_labels = None
depends_on = None

PLACES = ("intro", "outro")


def upgrade():
    with op.batch_alter_table("podcast_shows") as batch:
        for place in PLACES:
            batch.add_column(sa.Column(f"{place}_jingle_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_podcast_shows_{place}_jingle_id_stored_files",
                "stored_files",
                [f"{place}_jingle_id"],
                ["id"],
                ondelete="SET NULL",
            )


def downgrade():
    with op.batch_alter_table("podcast_shows") as batch:
        for place in PLACES:
            batch.drop_constraint(
                f"fk_podcast_shows_{place}_jingle_id_stored_files", type_="foreignkey"
            )
            batch.drop_column(f"{place}_jingle_id")
