"""Pages of the directory, agenda and exchange space."""

from flask import Blueprint, render_template

bp = Blueprint("network", __name__, url_prefix="/reseau")


@bp.get("/")
def index():
    """Show the door of the network area."""
    return render_template("network/index.html")
