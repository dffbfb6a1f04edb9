"""What the mailings app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from mailings.forms import EmailOptOutForm
from mailings.selectors import may_set_progress_schedule, opted_out_kinds
from mailings.services import email_opt_outs_set
from people.profile import ProfileSettings, profile_settings_register
from visits.slots import CAMPAIGN_PAGE


@CAMPAIGN_PAGE.fill(order=90)
def campaign_progress_emails_section(*, campaign, user, **_page) -> Section | None:
    """A link to the campaign's progress-email settings, for those who may set them."""
    if not may_set_progress_schedule(user, campaign):
        return None
    return Section("mailings/campaign_section.html")


def _opt_out_form(user, data) -> EmailOptOutForm:
    initial = {f"opt_out_{kind}": True for kind in opted_out_kinds(user=user)}
    return EmailOptOutForm(data, initial=initial)


profile_settings_register(
    ProfileSettings(
        key="email_opt_outs",
        template="mailings/profile_settings.html",
        form=_opt_out_form,
        save=lambda user, form: email_opt_outs_set(user=user, opted_out=form.opted_out()),
    )
)
