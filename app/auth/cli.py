"""`flask users …` commands."""

import click
from flask import Blueprint

from app.auth import operations
from app.auth.models import Role
from app.extensions import db

bp = Blueprint("users", __name__, cli_group="users")


@bp.cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="")
def create(email, role, password, display_name):
    """Create a confirmed account."""
    try:
        user = operations.create_user(
            email, password, role=role, display_name=display_name, confirmed=True
        )
    except operations.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}).")


@bp.cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token later.")
def token(email, name):
    """Print a new API token for EMAIL (shown once)."""
    user = operations.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    value = operations.create_api_token(user, name)
    db.session.commit()
    click.echo(value)


@bp.cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role(email, role):
    """Change the role of an account."""
    user = operations.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    user.role = Role(role)
    db.session.commit()
    click.echo(f"{user.email} is now {role}.")
