"""The personal data area: consent, "télécharger mes données", "supprimer mon compte"."""

import json

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth.security import login_required
from app.extensions import db
from app.network import forms, operations, personal_data
from app.network.views import bp


@bp.get("/mes-donnees")
@login_required
def my_data():
    return render_template(
        "network/my_data.html", person=operations.get_person_for_user(current_user)
    )


@bp.get("/mes-donnees/export.json")
@login_required
def export_my_data():
    """Download everything held about the account as JSON."""
    body = json.dumps(personal_data.export_personal_data(current_user), ensure_ascii=False,
                      indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = "attachment; filename=mes-donnees.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/mes-donnees/consentement")
@login_required
def withdraw_consent():
    person = operations.get_person_for_user(current_user)
    if person is not None and person.consent_dt is not None:
        operations.withdraw_consent(person)
        db.session.commit()
    flash(_("Votre fiche n'est plus visible que des membres connectés."), "success")
    return redirect(url_for("network.my_data"))


@bp.route("/mes-donnees/supprimer", methods=["GET", "POST"])
@login_required
def delete_my_account():
    """Confirm, then anonymise the account (contributions stay, signed "Compte supprimé")."""
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        if form.confirm_email.data.strip().lower() != current_user.email:
            form.confirm_email.errors.append(_("Cette adresse n'est pas celle de votre compte."))
        else:
            user = current_user._get_current_object()
            personal_data.delete_account(user)
            db.session.commit()
            logout_user()
            flash(_("Votre compte a été supprimé. Vos contributions restent, anonymisées."), "info")
            return redirect(url_for("core.index"))
    return render_template("network/delete_account.html", form=form)
