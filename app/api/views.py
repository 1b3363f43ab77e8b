"""API endpoints about the caller."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.security import login_required

blp = Blueprint("api_me", __name__, url_prefix="/api", description="Compte de l'appelant")


class MeSchema(Schema):
    id = fields.Int(required=True)
    email = fields.Email(required=True)
    display_name = fields.Str(required=True)
    role = fields.Function(lambda u: u.role.value, required=True)
    locale = fields.Str(allow_none=True)


@blp.route("/me")
@blp.doc(security=[{"bearerAuth": []}, {"sessionCookie": []}])
@blp.response(200, MeSchema)
@blp.alt_response(401, description="Non authentifié")
@login_required
def me():
    """Return the signed-in account."""
    return current_user
