"""The file list over many files: what its queries read, and counts that stop at their caps."""

import re

import pytest
from django import forms
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.crypto import EncryptedCharField, HashedIdField
from common.paging import capped_count, counts_and_page_among_first
from common.templatetags.warmth import field_block
from hardship import selectors
from hardship.choices import FileStatus
from hardship.filters import FileFilter
from hardship.forms import FullIdExportForm, IdSearchForm
from hardship.models import HardshipFile
from hardship.selectors import (
    file_list_counts,
    file_list_page,
    file_list_rows,
    files_for_user,
    files_search,
    name_keys_for_user,
)
from hardship.templatetags.file_list import file_rows, status_tabs
from tests.factories import make_id_number, open_file

# What the list must never read: the ciphertext, the keyed hashes and the search keys.
UNSHOWN_COLUMNS = [
    field.column
    for field in HardshipFile._meta.fields
    if isinstance(field, EncryptedCharField | HashedIdField)
] + ["search_keys"]


@pytest.fixture
def seven_files(caseworker, standards):
    """Seven files: three applied, two first reviewed, one verified, one on file."""
    files = [
        open_file(by=caseworker, name=f"职工{n}", id_number=make_id_number(sequence=2001 + 2 * n))
        for n in range(7)
    ]
    statuses = [FileStatus.FIRST_REVIEWED] * 2 + [FileStatus.VERIFIED]
    for file, status in zip(files[3:6], statuses, strict=True):
        HardshipFile.objects.filter(pk=file.pk).update(status=status)
    HardshipFile.objects.filter(pk=files[6].pk).update(status=FileStatus.ON_FILE, category="deep")
    return files


def test_the_list_reads_neither_ciphertext_nor_search_keys(caseworker_client, seven_files):
    with CaptureQueriesContext(connection) as queries:
        response = caseworker_client.get(reverse("hardship:file_list"))

    rows_queries = [q["sql"] for q in queries if '"hardship_hardshipfile"."name"' in q["sql"]]
    assert len(rows_queries) == 1
    assert UNSHOWN_COLUMNS == ["id_number", "id_hash", "bank_account", "search_keys"]
    selected = rows_queries[0].split(" FROM ")[0]
    assert [c for c in UNSHOWN_COLUMNS if f'"hardship_hardshipfile"."{c}"' in selected] == []
    page = response.content.decode()
    assert seven_files[0].id_number_masked in page
    assert seven_files[0].id_number not in page
    assert '<span class="status status--on_file">在档</span>' in page
    assert '<td class="hide-narrow">深度困难</td>' in page


@pytest.mark.parametrize("files", [1, 3])
def test_a_filtered_and_searched_list_makes_as_few_queries_however_many_files(
    caseworker_client, caseworker, standards, django_assert_num_queries, files
):
    for n in range(files):
        open_file(by=caseworker, name="张建国", id_number=make_id_number(sequence=2101 + 2 * n))

    # session, user, user's unit, the counts with the page's keys, the page's rows, causes
    # (choices), session save (3)
    with django_assert_num_queries(9):
        response = caseworker_client.get(
            reverse("hardship:file_list"), {"q": "zjg", "status": "applied", "category": ""}
        )

    assert response.status_code == 200
    assert response.content.decode().count('class="status status--applied"') == files


def naive_counts(files, statuses, total_cap, status_cap):
    """The list's figures counted one by one, as the page did before: the reference."""
    asked = files.filter(status__in=statuses) if statuses else files
    return capped_count(asked, cap=total_cap), {
        status: capped_count(files.filter(status=status), cap=status_cap)
        for status in FileStatus.values
    }


@pytest.mark.parametrize("statuses", [[], ["applied"], ["applied", "verified"], ["on_file"]])
@pytest.mark.parametrize("status_cap", [1, 2, 1000])
@pytest.mark.parametrize("total_cap", [1, 2, 6, 7, 10_000])
def test_the_list_counts_are_capped_counts_whether_one_pass_sees_every_file_or_not(
    caseworker, seven_files, monkeypatch, statuses, status_cap, total_cap
):
    monkeypatch.setattr(selectors, "FILE_LIST_TOTAL_CAP", total_cap)
    monkeypatch.setattr(selectors, "FILE_LIST_STATUS_CAP", status_cap)
    files = files_for_user(user=caseworker)

    counted = file_list_counts(files=files, statuses=statuses)

    assert counted == naive_counts(files, statuses, total_cap, status_cap)


def walk(*, listed, files, statuses, searched, order, size=2):
    """Every page of a list through its "next" links, then back through "previous" ones:
    each page's files, cursors and figures."""
    seen, after, before = [], "", ""
    for _ in range(20):
        page, total, by_status = file_list_page(
            listed=listed, files=files, statuses=statuses, searched=searched,
            order=order, size=size, after=after, before=before,
        )  # fmt: skip
        seen.append(([f.pk for f in page.rows], page.next_cursor, page.previous_cursor,
                     page.is_first, total, by_status))  # fmt: skip
        if before or not page.next_cursor:
            if not page.previous_cursor:
                return seen
            after, before = "", page.previous_cursor
        else:
            after = page.next_cursor
    raise AssertionError("the walk never ended")


@pytest.mark.parametrize("sort", ["newest", "oldest", "name", "number"])
@pytest.mark.parametrize("statuses", [[], ["applied"], ["first_reviewed", "on_file"]])
@pytest.mark.parametrize("total_cap", [4, 10_000])
def test_a_searched_list_pages_and_counts_in_one_pass_as_it_would_apart(
    caseworker, seven_files, monkeypatch, sort, statuses, total_cap
):
    from hardship.views.files import SORTS

    monkeypatch.setattr(selectors, "FILE_LIST_TOTAL_CAP", total_cap)
    files = files_search(files_for_user(user=caseworker), text="职工")
    listed = files.filter(status__in=statuses) if statuses else files
    apart = walk(listed=listed, files=files, statuses=statuses, searched=False, order=SORTS[sort])

    in_one_pass = walk(
        listed=listed, files=files, statuses=statuses, searched=True, order=SORTS[sort]
    )

    assert in_one_pass == apart
    forwards = [pk for rows, _next, _previous, _first, *_figures in apart for pk in rows]
    expected = listed.order_by(*SORTS[sort]).values_list("pk", flat=True)
    assert forwards[: len(expected)] == list(expected)


def test_a_searched_list_reads_in_one_pass_when_it_sees_every_match(caseworker_client, seven_files):
    with CaptureQueriesContext(connection) as queries:
        page = caseworker_client.get(reverse("hardship:file_list"), {"q": "职工"}).content.decode()

    on_files = [
        q["sql"]
        for q in queries
        if "hardship_hardshipfile" in q["sql"] or "hardship_filenamekey" in q["sql"]
    ]
    assert len(on_files) == 2
    assert "MATERIALIZED" in on_files[0]
    assert "hardship_hardshipfile" not in on_files[0]  # counted from the name keys alone
    assert re.findall(r">(职工\d)</a>", page) == [f"职工{n}" for n in range(6, -1, -1)]
    assert '<span class="count">3</span>' in page.split('data-testid="status-count-applied"')[1]


def test_one_pass_over_no_possible_row_makes_no_query(caseworker, django_assert_num_queries):
    with django_assert_num_queries(0):
        counted = counts_and_page_among_first(
            files_for_user(user=caseworker).none(),
            field="status", rows=10, narrow=Q(), order=("-created_at", "-id"), size=5,
        )  # fmt: skip

    counts, whole, page = counted
    assert (counts, whole, page.rows, page.next_cursor) == ({}, True, [], None)


def test_one_pass_over_no_possible_key_row_makes_no_query(caseworker, django_assert_num_queries):
    with django_assert_num_queries(0):
        counted = counts_and_page_among_first(
            name_keys_for_user(user=caseworker).none(),
            listed=files_for_user(user=caseworker).none(), stands_for="file",
            field="status", rows=10, narrow=Q(), order=("-created_at", "-id"), size=5,
        )  # fmt: skip

    counts, whole, page = counted
    assert (counts, whole, page.rows, page.next_cursor) == ({}, True, [], None)


def test_one_pass_refuses_to_choose_by_another_tables_columns(caseworker):
    with pytest.raises(ValueError, match="own columns"):
        counts_and_page_among_first(
            files_for_user(user=caseworker),
            field="status", rows=10, narrow=Q(unit__name="x"), order=("-id",), size=5,
        )  # fmt: skip


def test_a_sibling_branchs_matches_are_neither_listed_nor_counted(
    caseworker_client, sibling, seven_files
):
    open_file(
        by=sibling, name="职工湘", id_number=make_id_number(sequence=2203), division_code="430100"
    )

    page = caseworker_client.get(reverse("hardship:file_list"), {"q": "职工"}).content.decode()

    assert "职工湘" not in page
    assert '<span class="count">3</span>' in page.split('data-testid="status-count-applied"')[1]
    assert "7 份档案" in page


def test_a_sibling_branchs_files_are_not_counted(caseworker_client, sibling, seven_files):
    open_file(
        by=sibling, name="湖南职工", id_number=make_id_number(sequence=2201), division_code="430100"
    )

    page = caseworker_client.get(reverse("hardship:file_list")).content.decode()

    assert '<span class="count">3</span>' in page.split('data-testid="status-count-applied"')[1]
    assert "湖南职工" not in page


def test_the_previous_page_shows_what_the_page_before_showed(
    caseworker_client, seven_files, monkeypatch
):
    from hardship.views import files as views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    url = reverse("hardship:file_list")
    pages = []
    for _ in range(3):
        page = caseworker_client.get(url).content.decode()
        pages.append(re.findall(r">(职工\d)</a>", page))
        following = re.search(r'href="\?([^"]*after=[^"]+)" rel="next"', page)
        if not following:
            break
        url = reverse("hardship:file_list") + "?" + following.group(1).replace("&amp;", "&")
    back = re.search(r'href="\?([^"]*before=[^"]+)" rel="prev"', page).group(1)

    previous = caseworker_client.get(
        reverse("hardship:file_list") + "?" + back.replace("&amp;", "&")
    ).content.decode()

    assert pages == [["职工6", "职工5", "职工4"], ["职工3", "职工2", "职工1"], ["职工0"]]
    assert re.findall(r">(职工\d)</a>", previous) == pages[1]


def filter_widgets(user, data: str, *, as_django_renders_them: bool) -> dict[str, str]:
    """The filter form's widgets, each written out by ours or by Django's templates; in the
    checkbox lists, whitespace between tags and words made one space (Django's templates
    indent their options)."""
    filters = FileFilter(QueryDict(data), queryset=HardshipFile.objects.none(), user=user)
    rendered = {}
    for name, field in filters.form.fields.items():
        if as_django_renders_them:
            field.widget.__class__ = next(
                c for c in type(field.widget).__mro__ if c.__module__ == "django.forms.widgets"
            )
        html = str(filters.form[name])
        if isinstance(field.widget, forms.CheckboxSelectMultiple):
            html = " ".join(re.sub(r">\s+<", "><", html).split())
        rendered[name] = html
    return rendered


@pytest.mark.parametrize(
    "data",
    [
        "",
        "status=on_file&status=applied&category=deep&needs=needs_medical&cause=1",
        'q=<b>&unit=a"b&model_worker=any&migrant=true&review=overdue&unchanged=on&never_helped=on',
        "migrant=false&model_worker=national&review=soon&status=bogus",
    ],
)
def test_the_filters_widgets_are_the_markup_django_would_write(caseworker, data):
    ours = filter_widgets(caseworker, data, as_django_renders_them=False)

    assert list(ours) == [
        *("q", "unit", "status", "category", "cause", "model_worker", "migrant", "employment"),
        *("needs", "review", "unchanged", "never_helped"),
    ]
    assert ours == filter_widgets(caseworker, data, as_django_renders_them=True)


def test_the_widgets_escape_what_was_typed(caseworker):
    ours = filter_widgets(caseworker, 'q=<b>&unit=a"b', as_django_renders_them=False)

    assert 'value="&lt;b&gt;"' in ours["q"]
    assert 'value="a&quot;b"' in ours["unit"]
    assert 'value="on_file" id="id_status_3"> 在档</label>' in ours["status"]


# The field include's markup as its template wrote it before it called field_block.
FIELD_TEMPLATE = Template("""<div class="field{% if field.errors %} field--invalid{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %}<span class="field__required" aria-hidden="true">*</span>{% endif %}</label>
  {% if field.errors %}{{ field.as_widget }}{% else %}{{ field }}{% endif %}
  {% if field.help_text %}<p class="field__help" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</p>{% endif %}
  {% for error in field.errors %}<p class="field__error" id="{{ field.auto_id }}_error">{{ error }}</p>{% endfor %}
</div>
""")
FIELD_INCLUDE = Template('{% include "includes/field.html" with field=field %}')


@pytest.mark.parametrize(
    ("data", "invalid"), [("", 1), ("q=zjg&status=bogus&model_worker=nobody&migrant=true", 3)]
)
def test_a_field_block_is_the_markup_the_field_include_had(caseworker, data, invalid):
    filters = FileFilter(QueryDict(data), queryset=HardshipFile.objects.none(), user=caseworker)
    fields = [filters.form[name] for name in filters.form.fields]
    fields += [IdSearchForm()["id_number"], IdSearchForm({"id_number": "x"})["id_number"]]
    fields += [FullIdExportForm({"reason": "<i>"})["reason"]]

    ours = [field_block(field) for field in fields]

    assert ours == [FIELD_TEMPLATE.render(Context({"field": field})) for field in fields]
    # Every page's include is the tag now.
    assert ours == [FIELD_INCLUDE.render(Context({"field": field})) for field in fields]
    assert sum("field--invalid" in block for block in ours) == invalid


# The file list's rows and tabs as its template wrote them before they were written in Python.
ROWS_TEMPLATE = Template("""{% load file_labels %}{% for file in rows %}{% with url=file.get_absolute_url %}
            <tr>
              <td><a href="{{ url }}">{{ file.file_number }}</a></td>
              <td><a href="{{ url }}">{{ file.name }}</a></td>
              <td class="hide-narrow mono">{{ file.id_number_masked }}</td>
              <td><span class="status status--{{ file.status }}">{{ file.status|status_label }}</span></td>
              <td class="hide-narrow">{{ file.category|category_label|default:"—" }}</td>
              <td class="hide-narrow">{{ file.main_cause }}</td>
              <td class="hide-narrow">{{ file.unit.name }}</td>
            </tr>
          {% endwith %}{% endfor %}""")
TABS_TEMPLATE = Template(
    """
      <a href="?{{ status_query }}" {% if not request.GET.status %}aria-current="true"{% endif %}>{% translate "All" %}</a>
      {% for value, label, count, capped in status_counts %}
        <a href="?{{ status_query }}&amp;status={{ value }}" {% if request.GET.status == value %}aria-current="true"{% endif %} data-testid="status-count-{{ value }}">{{ label }} <span class="count">{{ count }}{% if capped %}+{% endif %}</span></a>
      {% endfor %}
    """.replace("\n", "{% load i18n %}\n", 1)
)


def test_the_rows_are_the_markup_the_template_wrote(caseworker, seven_files):
    HardshipFile.objects.filter(pk=seven_files[0].pk).update(name="<b>\"&'", category="")
    rows = list(file_list_rows(files_for_user(user=caseworker)).order_by("-id"))

    ours = file_rows(rows)

    assert ours == ROWS_TEMPLATE.render(Context({"rows": rows}))
    assert ours.count("<tr>") == 7
    assert "&lt;b&gt;&quot;&amp;&#x27;</a>" in ours
    assert '<td class="hide-narrow">—</td>' in ours


@pytest.mark.parametrize(
    ("query", "current"),
    [("", 1), ("status=applied", 1), ("status=on_file&q=<b>", 1), ("status=other", 0)],
)
def test_the_status_tabs_are_the_markup_the_template_wrote(query, current):
    request = RequestFactory().get("/files/?" + query)
    status_query = QueryDict(query, mutable=True)
    status_query.pop("status", None)
    counts = [
        (value, label, n * 600, n * 600 > 1000)
        for n, (value, label) in enumerate(FileStatus.choices)
    ]
    context = {
        "request": request,
        "status_counts": counts,
        "status_query": status_query.urlencode(),
    }

    ours = status_tabs(Context(context), counts, context["status_query"])

    assert ours == TABS_TEMPLATE.render(Context(context))
    assert ours.count('aria-current="true"') == current
