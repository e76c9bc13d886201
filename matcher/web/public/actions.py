"""The business's actions on its request page: accept, decline, withdraw, rate.

Every action is a POST to /r/<token>/...; a refused one changes nothing and says why on the
page it redirects back to.
"""

from flask import abort, flash, redirect, url_for
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from matcher.businesses import quote_requests
from matcher.db import get_session
from matcher.models import utcnow
from matcher.quotes import comparison, decisions
from matcher.quotes.errors import NotFound, QuoteError
from matcher.web.forms import SafeForm, choice_list, strip_filter
from matcher.web.public import bp
from matcher.wording import plural


class ActionForm(SafeForm):
    """A button: nothing but the CSRF token."""


class RatingForm(SafeForm):
    stars = RadioField(
        "Your rating",
        [InputRequired("Choose from 1 to 5 stars.")],
        choices=choice_list((str(n), plural(n, "star")) for n in range(5, 0, -1)),
    )
    comment = TextAreaField(
        "A comment (optional)", [Optional(), Length(max=2000)], filters=[strip_filter]
    )


def page_context(session, quote_request) -> dict:
    """What the request page needs to show and act on the quotes."""
    return {
        "comparison": comparison.comparison_for(session, quote_request, now=utcnow()),
        "action_form": ActionForm(formdata=None),
        "rating_form": RatingForm(formdata=None),
    }


def _act(token: str, action, success: str, form_class=ActionForm, **fields):
    from matcher.web.public.routes import missing_request_page, render_request_page

    session = get_session()
    quote_request = quote_requests.find_by_token(session, token)
    if quote_request is None:
        return missing_request_page(token)
    form = form_class()
    back = redirect(url_for("public.request_page", token=token, _anchor="quotes"), code=303)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_request_page(quote_request, token, status=422, rating_form=form)
    if quote_requests.lock_live_request(session, quote_request.id) is None:
        # Purged since the link was read.
        return missing_request_page(token)
    try:
        action(session, quote_request, form)
    except NotFound:
        abort(404)
    except QuoteError as error:
        # A refusal keeps only a lead taken back from a provider no longer vouched for.
        session.commit() if error.keeps_changes else session.rollback()
        flash(error.message, "error")
        return back
    session.commit()
    flash(success, "success")
    return back


@bp.post("/r/<token>/quotes/<int:quote_id>/accept")
def accept_quote(token: str, quote_id: int):
    return _act(
        token,
        lambda s, r, _: decisions.accept_quote(s, request_id=r.id, quote_id=quote_id, now=utcnow()),
        "You accepted the quote. The provider has your details and will contact you; "
        "theirs are below.",
    )


@bp.post("/r/<token>/quotes/<int:quote_id>/decline")
def decline_quote(token: str, quote_id: int):
    return _act(
        token,
        lambda s, r, _: decisions.decline_quote(
            s, request_id=r.id, quote_id=quote_id, now=utcnow()
        ),
        "You declined the quote. We have told the provider politely.",
    )


@bp.post("/r/<token>/withdraw")
def withdraw_request(token: str):
    return _act(
        token,
        lambda s, r, _: decisions.withdraw_request(s, request_id=r.id, now=utcnow()),
        "Your request is withdrawn. Any provider invited to it has been told; nobody will"
        " contact you about it.",
    )


@bp.post("/r/<token>/rate")
def rate_provider(token: str):
    return _act(
        token,
        lambda s, r, form: decisions.rate_provider(
            s,
            request_id=r.id,
            stars=int(form.stars.data),
            comment=form.comment.data,
            now=utcnow(),
        ),
        "Thank you for your rating: it helps other businesses choose.",
        form_class=RatingForm,
    )
