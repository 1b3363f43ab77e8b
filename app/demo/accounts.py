"""Demo accounts, one per role (password: the role name twice, e.g. "animatoranimator")."""

from app.auth import operations
from app.auth.models import Role

ACCOUNTS = (
    ("admin@demo.circuits-courts.fr", Role.ADMIN, "Camille Admin"),
    ("animation@demo.circuits-courts.fr", Role.ANIMATOR, "Léa Animatrice"),
    ("moderation@demo.circuits-courts.fr", Role.MODERATOR, "Karim Modérateur"),
    ("contribution@demo.circuits-courts.fr", Role.CONTRIBUTOR, "Jeanne Contributrice"),
    ("apprenant@demo.circuits-courts.fr", Role.LEARNER, "Paul Apprenant"),
)


def demo_password(role: Role) -> str:
    """Return the documented demo password for a role."""
    return role.value * 2


def load(ctx) -> None:
    for email, role, name in ACCOUNTS:
        user = operations.get_user_by_email(email)
        if user is None:
            user = operations.create_user(
                email, demo_password(role), role=role, display_name=name, confirmed=True
            )
            ctx.log(f"  account {email} / {demo_password(role)} ({role.value})")
        ctx.users[role.value] = user
