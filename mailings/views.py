"""Pages of the report emails: a person's own email settings, a campaign's progress emails."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from hardship.access import branch_view, get_object_for_user
from hardship.models import Role
from mailings.forms import CampaignProgressScheduleForm, ProfileForm
from mailings.models import CampaignProgressSchedule
from mailings.schedules import CAMPAIGN_PROGRESS_DEFAULT
from mailings.selectors import may_set_progress_schedule, opted_out_kinds
from mailings.services import campaign_progress_schedule_set, profile_update
from visits.models import Campaign


@branch_view()
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person: who they are, and which emails they get in which language."""
    user = request.user
    opted_out = opted_out_kinds(user=user)
    initial = {"language": user.language} | {f"opt_out_{kind}": True for kind in opted_out}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        profile_update(
            user=user, language=form.cleaned_data["language"], opted_out=form.opted_out()
        )
        messages.success(request, _("Your email settings are saved."))
        return redirect("mailings:profile")
    return render(
        request,
        "mailings/profile.html",
        {"form": form, "profile_user": user},
        status=400 if form.errors else 200,
    )


@branch_view(roles=(Role.CASEWORKER, Role.APPROVER))
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """How often the organiser's approvers get the campaign's progress by email."""
    campaign = get_object_for_user(
        Campaign.objects.select_related("organiser"),
        user=request.user,
        unit_path="organiser__path",
        pk=pk,
    )
    if not may_set_progress_schedule(user=request.user, campaign=campaign):
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
