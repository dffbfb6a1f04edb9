"""Pages of the report emails: a campaign's progress emails (a person's own email settings are
a part of their profile page, mailings/sections.py)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mailings.forms import CampaignProgressScheduleForm
from mailings.models import CampaignProgressSchedule
from mailings.schedules import CAMPAIGN_PROGRESS_DEFAULT
from mailings.selectors import may_set_progress_schedule
from mailings.services import campaign_progress_schedule_set
from people.access import branch_view, get_object_for_user
from people.models import Role
from visits.models import Campaign


@branch_view(roles=(Role.CASEWORKER, Role.APPROVER))
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """How often the organiser's approvers get the campaign's progress by email."""
    campaign = get_object_for_user(
        Campaign.objects.select_related("organiser"),
        user=request.user,
        unit_path="organiser__path",
        pk=pk,
    )
    if not may_set_progress_schedule(request.user, campaign):
        raise Http404
    schedule = CampaignProgressSchedule.objects.filter(campaign=campaign).first()
    form = CampaignProgressScheduleForm(
        request.POST or None,
        instance=schedule,
        initial=CAMPAIGN_PROGRESS_DEFAULT if schedule is None else None,
    )
    if request.method == "POST" and form.is_valid():
        campaign_progress_schedule_set(
            campaign=campaign,
            by=request.user,
            frequency=form.cleaned_data["frequency"],
            weekday=form.cleaned_data["weekday"],
            hour=form.cleaned_data["hour"],
        )
        messages.success(request, _("The campaign's progress emails are set."))
        return redirect(campaign)
    return render(
        request,
        "mailings/campaign_progress.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )
