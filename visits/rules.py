"""Campaign target groups: which households a campaign's visit lists take.

A rule is stored on the campaign as JSON and read through ``TargetRule``. Each
season has a default (``default_rule``) that the organiser may narrow or widen
within the options below; ``target_files`` turns a rule into one queryset over
the organiser's branch, so the list builder can run it as a single
INSERT … SELECT.
"""

from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hardship.choices import Category, EmploymentStatus, FileStatus, ModelWorkerLevel, SchoolStage
from hardship.models import HardshipFile, HouseholdMember
from visits.choices import Season

SCHOOL_STAGES_FOR_AID = (SchoolStage.HIGH, SchoolStage.VOCATIONAL, SchoolStage.UNIVERSITY)
OUT_OF_WORK = (EmploymentStatus.LAID_OFF, EmploymentStatus.UNEMPLOYED)


@dataclass
class TargetRule:
    """Who is on the lists. Empty lists mean "no restriction"."""

    # The season's own test: all, students, outdoor jobs, out of work.
    season_test: str = "all"
    categories: list[str] = field(default_factory=list)
    # Model workers in hardship are always added in winter, whatever the other options.
    include_model_workers: bool = False
    model_worker_levels: list[str] = field(default_factory=list)
    migrant_workers_only: bool = False
    not_visited_for_days: int | None = None

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "TargetRule":
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        rule = cls(**known)
        rule.check()
        return rule

    def check(self) -> None:
        if self.season_test not in SEASON_TESTS:
            raise ValidationError({"season_test": _("Unknown target group.")})
        unknown = set(self.categories) - set(Category.values)
        if unknown:
            raise ValidationError({"categories": _("Unknown category.")})
        if set(self.model_worker_levels) - set(ModelWorkerLevel.values):
            raise ValidationError({"model_worker_levels": _("Unknown model worker level.")})
        if self.not_visited_for_days is not None and not 1 <= self.not_visited_for_days <= 3650:
            raise ValidationError(
                {"not_visited_for_days": _("Give a number of days between 1 and 3650.")}
            )


SEASON_TESTS = ("all", "students", "outdoor", "out_of_work")


def default_rule(season: str) -> TargetRule:
    """The practice of each season, as DOMAIN.md and the seeds describe it."""
    return {
        Season.WINTER: TargetRule(season_test="all", include_model_workers=True),
        Season.AUTUMN: TargetRule(season_test="students"),
        Season.SUMMER: TargetRule(season_test="outdoor"),
        Season.SPRING: TargetRule(season_test="out_of_work"),
    }[season]


def target_files(*, rule: TargetRule, branch_path: str) -> QuerySet[HardshipFile]:
    """The files a rule takes in the branch at ``branch_path``: files on record, by the rule."""
    files = HardshipFile.objects.filter(unit__path__startswith=branch_path)
    base = Q(status=FileStatus.ON_FILE)
    test = rule.season_test
    if test == "students":
        base &= Q(
            Exists(
                HouseholdMember.objects.filter(
                    file=OuterRef("pk"), school_stage__in=SCHOOL_STAGES_FOR_AID
                )
            )
        )
    elif test == "outdoor":
        base &= Q(job_is_outdoor_or_hot=True)
    elif test == "out_of_work":
        base &= Q(employment_status__in=OUT_OF_WORK) | Q(
            Exists(HouseholdMember.objects.filter(file=OuterRef("pk"), employment="unemployed"))
        )
    if rule.categories:
        base &= Q(category__in=rule.categories)
    if rule.model_worker_levels:
        base &= Q(model_worker_level__in=rule.model_worker_levels)
    if rule.migrant_workers_only:
        base &= Q(is_migrant_worker=True)
    if rule.not_visited_for_days:
        from visits.models import Visit

        since = timezone.localdate() - timedelta(days=rule.not_visited_for_days)
        base &= ~Q(Exists(Visit.objects.filter(file=OuterRef("pk"), visited_on__gte=since)))
    if rule.include_model_workers:
        base |= Q(status=FileStatus.ON_FILE) & ~Q(model_worker_level=ModelWorkerLevel.NONE)
    return files.filter(base)
