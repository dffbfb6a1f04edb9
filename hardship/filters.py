"""The file list's filters (django-filter). Every queryset they narrow is already scoped."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceIterator, ModelMultipleChoiceField

from hardship.choices import Category, EmploymentStatus, FileStatus, ModelWorkerLevel
from hardship.models import NEED_FIELDS, FileNameKey, HardshipCause, HardshipFile
from hardship.selectors import (
    ID_NUMBER_LIKE,
    files_search,
    name_keys_for_user,
    search_name_key,
)
from people.access import units_visible_to

# How many matching units a unit filter may expand to; beyond that the person
# is asked to be more precise instead of the page listing 20,000 options.
UNIT_MATCH_LIMIT = 20


def _attributes(attrs: dict) -> str:
    """`` name="value"`` pairs as django/forms/widgets/attrs.html writes them, escaped."""
    return "".join(
        f" {key}" if value is True else f' {key}="{conditional_escape(value)}"'
        for key, value in attrs.items()
        if value is not False
    )


class _WrittenOut:
    """A widget that writes its markup in Python rather than through Django's widget templates
    (nested includes, one per option and one per attribute list): with them the filter form's
    twelve widgets took about a sixth of the list's time. The same markup as Django's
    templates, named beside each class (a test renders both and compares); every value is
    escaped."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        html = self.write(self.get_context(name, value, attrs)["widget"])
        return mark_safe(html)  # noqa: S308 - every value escaped by write()


class _Input(_WrittenOut):
    """django/forms/widgets/input.html."""

    def write(self, widget: dict) -> str:
        value = widget["value"]
        shown = "" if value is None else f' value="{conditional_escape(value)}"'
        return (
            f'<input type="{conditional_escape(widget["type"])}"'
            f' name="{conditional_escape(widget["name"])}"{shown}{_attributes(widget["attrs"])}>'
        )


class _TextInput(_Input, forms.TextInput):
    pass


class _CheckboxInput(_Input, forms.CheckboxInput):
    pass


class _SelectWrittenOut(_WrittenOut):
    """django/forms/widgets/select.html and select_option.html."""

    def write(self, widget: dict) -> str:
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{conditional_escape(option["value"])}"'
                f"{_attributes(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)


class _Select(_SelectWrittenOut, forms.Select):
    pass


class _NullBooleanSelect(_SelectWrittenOut, forms.NullBooleanSelect):
    pass


class _CheckboxList(_WrittenOut, forms.CheckboxSelectMultiple):
    """django/forms/widgets/multiple_input.html and input_option.html (no option groups: the
    list's choices have none)."""

    def write(self, widget: dict) -> str:
        options = "".join(
            f'<div><label for="{conditional_escape(option["attrs"]["id"])}">'
            f'<input type="{conditional_escape(option["type"])}" name="{conditional_escape(option["name"])}"'
            f' value="{conditional_escape(option["value"])}"{_attributes(option["attrs"])}>'
            f" {conditional_escape(option['label'])}</label></div>"
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        outer = {key: widget["attrs"][key] for key in ("id", "class") if widget["attrs"].get(key)}
        return f"<div{_attributes(outer)}>{options}</div>"


class _ChoicesInOneQuery(ModelChoiceIterator):
    """The choices read by one plain query. Django reads them through ``iterator()``, which
    on PostgreSQL opens a server-side cursor: three round trips for a handful of causes."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class _CauseField(ModelMultipleChoiceField):
    iterator = _ChoicesInOneQuery


class _CauseFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = _CauseField


class FileFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=_TextInput,
        help_text=_(
            "Name (汉字 or pinyin such as zhangjianguo or zjg), file number, phone, or a full ID number."
        ),
    )
    unit = django_filters.CharFilter(
        label=_("Unit (name or code)"),
        method="filter_unit",
        widget=_TextInput,
        help_text=_("Files of that unit and every unit below it."),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        # Only the file's own columns: no duplicates, so no DISTINCT over every column.
        distinct=False,
        choices=FileStatus.choices,
        widget=_CheckboxList,
    )
    category = django_filters.MultipleChoiceFilter(
        label=_("Category"),
        # Only the file's own columns: no duplicates, so no DISTINCT over every column.
        distinct=False,
        choices=Category.choices,
        widget=_CheckboxList,
    )
    cause = _CauseFilter(
        label=_("Cause of hardship"),
        queryset=HardshipCause.objects.filter(is_active=True),
        method="filter_cause",
        widget=_CheckboxList,
    )
    model_worker = django_filters.ChoiceFilter(
        label=_("Model worker"),
        choices=[
            ("any", _("Any model worker")),
            *[c for c in ModelWorkerLevel.choices if c[0] != "none"],
        ],
        method="filter_model_worker",
        widget=_Select,
    )
    migrant = django_filters.BooleanFilter(
        label=_("Migrant worker"), field_name="is_migrant_worker", widget=_NullBooleanSelect
    )
    employment = django_filters.MultipleChoiceFilter(
        label=_("Employment status"),
        # Only the file's own columns: no duplicates, so no DISTINCT over every column.
        distinct=False,
        field_name="employment_status",
        choices=EmploymentStatus.choices,
        widget=_CheckboxList,
    )
    needs = django_filters.MultipleChoiceFilter(
        label=_("Needs"),
        choices=[(f, HardshipFile._meta.get_field(f).verbose_name) for f in NEED_FIELDS],
        method="filter_needs",
        widget=_CheckboxList,
    )
    review = django_filters.ChoiceFilter(
        label=_("Yearly review"),
        choices=[("overdue", _("Overdue")), ("soon", _("Due within 30 days"))],
        method="filter_review",
        widget=_Select,
    )
    unchanged = django_filters.BooleanFilter(
        label=_("Not changed for a year"), method="filter_unchanged", widget=_CheckboxInput
    )

    never_helped = django_filters.BooleanFilter(
        label=_("On record, never helped"),
        method="filter_never_helped",
        widget=_CheckboxInput,
        help_text=_("No payment (other than rejected or cancelled) and no help service ever."),
    )

    class Meta:
        model = HardshipFile
        fields = []

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.matched_units = []
        self.too_many_units = False
        self.id_number_in_link = False
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        # The same class for every request: its fields hold nobody's data (the causes are read
        # each time the form is shown). django-filter builds it anew, field by field.
        if "_form_class" not in type(self).__dict__:
            type(self)._form_class = super().get_form_class()
        return type(self)._form_class

    def filter_queryset(self, queryset):
        # The status filter last, keeping the files every other filter lets through: the
        # status tabs count those per status (hardship.selectors.file_list_counts) without
        # filtering twice (a unit filter's lookup included).
        data = self.form.cleaned_data
        self._narrowed_by = set()
        for name, value in data.items():
            if name != "status":
                narrowed = self.filters[name].filter(queryset, value)
                if narrowed is not queryset:  # an empty filter gives back what it was given
                    self._narrowed_by.add(name)
                queryset = narrowed
        self._before_status = queryset
        return self.filters["status"].filter(queryset, data.get("status"))

    @property
    def qs_before_status(self):
        """The files every filter but the status keeps (call ``is_valid()`` first)."""
        _filtered = self.qs  # filtering keeps them
        return self._before_status

    @property
    def name_keys(self) -> QuerySet[FileNameKey] | None:
        """The name search's key rows of exactly ``qs_before_status`` when a name search (and a
        unit or categories) is all that narrows it; None otherwise (call ``is_valid()`` first).
        The list counts and pages from them (hardship.selectors.file_list_page)."""
        _filtered = self.qs  # filtering records what narrowed the files
        data = self.form.cleaned_data
        key = search_name_key(data.get("q") or "")
        if key is None or not self._narrowed_by <= {"q", "unit", "category"}:
            return None
        rows = name_keys_for_user(user=self.user).filter(key=key)
        if "unit" in self._narrowed_by:
            if not self.matched_units:
                return None
            rows = rows.filter(self._unit_condition)
        # The same filter as the files': the key rows hold the category under its name.
        return self.filters["category"].filter(rows, data.get("category"))

    @property
    def searched(self) -> bool:
        """Whether a search narrows the files (call ``is_valid()`` first)."""
        return bool(re.sub(r"\s+", "", self.form.cleaned_data.get("q") or ""))

    @property
    def statuses(self) -> list[str]:
        """The statuses asked for, none for all (call ``is_valid()`` first)."""
        return list(self.form.cleaned_data.get("status") or [])

    def filter_search(self, queryset, name, value):
        # A full ID number must not travel in a link (it would sit in browser
        # history and server logs): such searches go through the POST form.
        if ID_NUMBER_LIKE.match(re.sub(r"\s+", "", value or "")):
            self.id_number_in_link = True
            return queryset.none()
        return files_search(queryset, text=value)

    def filter_unit(self, queryset, name, value):
        value = value.strip()
        units = units_visible_to(self.user)
        exact = list(units.filter(code=value)[:1])
        matches = exact or list(
            units.filter(name__contains=value).order_by("path")[: UNIT_MATCH_LIMIT + 1]
        )
        self.too_many_units = len(matches) > UNIT_MATCH_LIMIT
        self.matched_units = matches[:UNIT_MATCH_LIMIT]
        if not self.matched_units:
            return queryset.none()
        condition = Q()
        for unit in self.matched_units:
            condition |= Q(unit_path__startswith=unit.path)
        self._unit_condition = condition  # the name keys hold the same path
        return queryset.filter(condition)

    def filter_cause(self, queryset, name, value):
        if not value:
            return queryset
        # A subquery rather than a join: no duplicate rows, so no DISTINCT to sort away.
        secondary = HardshipFile.secondary_causes.through.objects.filter(hardshipcause__in=value)
        return queryset.filter(
            Q(main_cause__in=value) | Q(pk__in=secondary.values("hardshipfile_id"))
        )

    def filter_model_worker(self, queryset, name, value):
        if value == "any":
            return queryset.exclude(model_worker_level=ModelWorkerLevel.NONE)
        return queryset.filter(model_worker_level=value)

    def filter_needs(self, queryset, name, value):
        return queryset.filter(**{field: True for field in value if field in NEED_FIELDS})

    def filter_review(self, queryset, name, value):
        today = timezone.localdate()
        on_file = queryset.filter(status=FileStatus.ON_FILE)
        if value == "overdue":
            return on_file.filter(review_due_on__lt=today)
        return on_file.filter(
            review_due_on__gte=today, review_due_on__lte=today + timedelta(days=30)
        )

    def filter_unchanged(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(content_changed_at__lt=timezone.now() - timedelta(days=365))

    def filter_never_helped(self, queryset, name, value):
        if not value:
            return queryset
        return files_never_helped(queryset)


# Payment states that never reached the household (funds.choices.DisbursementStatus).
_UNPAID_ENDINGS = ("rejected", "cancelled")


def files_never_helped(queryset):
    """Files on record with no payment (save rejected or cancelled ones) and no help service.

    Payments and help services belong to apps above this one, which it may not
    import; their models are looked up by name at run time, and the ORM turns
    both conditions into NOT EXISTS subqueries of one query.
    """
    disbursement = apps.get_model("funds", "Disbursement")
    help_service = apps.get_model("visits", "HelpService")
    paid = disbursement.objects.filter(file=OuterRef("pk")).exclude(status__in=_UNPAID_ENDINGS)
    helped = help_service.objects.filter(file=OuterRef("pk"))
    return queryset.filter(status=FileStatus.ON_FILE).filter(~Exists(paid), ~Exists(helped))
