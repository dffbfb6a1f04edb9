"""Importing hardship files from Excel: upload, column matching, dry run, import.

Spreadsheets are built here with openpyxl, as caseworkers' Excel would save
them. The dry run and the import are jobs, run directly as a worker runs them
(``document_run``; once through a real worker); messages are checked in English,
where the source strings are the text.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertNotContains

from common.errors import RuleBroken
from documents.services import document_run
from hardship.choices import FileStatus
from hardship.importing.columns import (
    COLUMNS,
    COLUMNS_BY_KEY,
    DATA_SHEET,
    EXAMPLE_ID_NUMBER,
    VALUES_SHEET,
)
from hardship.importing.reading import SpreadsheetProblem, read_spreadsheet
from hardship.importing.services import (
    import_batch_confirm,
    import_batch_create,
    import_batch_import,
    import_batch_match_columns,
)
from hardship.models import (
    FileNumberCounter,
    FileTransition,
    HardshipFile,
    HouseholdMember,
    ImportBatch,
)
from hardship.urls_imports import urlpatterns as import_patterns
from people.access import BRANCH, access_rule_of
from tests.factories import make_id_number, open_file

# The import pages as the lead wires them: hardship/urls.py includes them under imports/.

HEADERS = [column.header for column in COLUMNS]
Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def in_english():
    """Services called directly speak English, whatever the compiled translations hold.

    A request through the test client activates its own language for the rest of the
    test (the language middleware), so assertions after one say which language they read.
    """
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def english(client):
    client.cookies["warmth_language"] = "en"
    return client


def household(number: int = 1, **overrides) -> dict:
    """One good row, by column key, with coded columns given by their codes."""
    birth = (date(1960, 1, 1) + timedelta(days=number)).strftime("%Y%m%d")
    row = {
        "name": f"职工{number}",
        "id_number": make_id_number(birth=birth, sequence=11),
        "phone": "13912345678",
        "address": "武汉市江岸区大智路 18 号",
        "division_code": "420102",
        "hukou_type": "urban",
        "marital_status": "married",
        "employment_status": "laid_off",
        "annual_income": 18000,
        "medical_costs": "6000.50",
        "household_size": 3,
        "main_cause": "illness",
        "needs": "living、medical",
    }
    row.update(overrides)
    return row


def spreadsheet(rows: list[dict], *, headers: list[str] | None = None) -> bytes:
    """An .xlsx of ``rows`` (by column key) under ``headers`` (default: the template's)."""
    from openpyxl import Workbook

    keys = [c.key for c in COLUMNS]
    headers = headers or HEADERS
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET)
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(keys[HEADERS.index(h)]) if h in HEADERS else None for h in headers])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx(content: bytes, name: str = "困难职工花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def work(batch: ImportBatch) -> str:
    """Run the batch's current job as a worker would; the batch's status afterwards."""
    batch.refresh_from_db()
    document_run(document_id=batch.job_id)
    batch.refresh_from_db()
    return batch.status


def read(by, content: bytes, *, unit=None, language: str = "en", name: str = "") -> ImportBatch:
    """Upload, and run the job that reads the spreadsheet for the first time."""
    upload = xlsx(content, name) if name else xlsx(content)
    batch = import_batch_create(by=by, unit=unit or by.unit, upload=upload, language=language)
    assert work(batch) == Status.UPLOADED, batch.error
    return batch


def checked(by, content: bytes, *, unit=None, language: str = "en") -> ImportBatch:
    """Upload, read, keep the proposed column matching, and run the dry run."""
    batch = read(by, content, unit=unit, language=language)
    import_batch_match_columns(batch=batch, by=by, mapping=batch.mapping, language=language)
    assert work(batch) == Status.VALIDATED
    return batch


def imported(batch: ImportBatch, by) -> ImportBatch:
    import_batch_confirm(batch=batch, by=by)
    work(batch)
    return batch


def problems(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in batch.report]


# ---------------------------------------------------------------------- the whole way


def test_a_caseworker_imports_a_good_spreadsheet_from_upload_to_files(
    english, caseworker, tree, standards, django_capture_on_commit_callbacks
):
    english.force_login(caseworker)
    spouse = {
        "member1_name": "王秀英", "member1_relation": "spouse", "member1_employment": "unable",
        "member1_birth_date": date(1962, 5, 6), "member1_monthly_income": 300,
        "member2_name": "张小明", "member2_relation": "son", "member2_employment": "student",
        "member2_id_number": make_id_number(birth="20100901", sequence=13),
        "member2_school_stage": "middle",
    }  # fmt: skip
    content = spreadsheet([household(1, **spouse), household(2)])

    response = english.post(
        reverse("hardship:import_start"), {"upload": xlsx(content), "unit": tree.jiangan.pk}
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("hardship:import_detail", args=[batch.pk])
    assert batch.status == Status.READING
    assert batch.headers == []  # the web process did not read it: the worker does
    assertContains(english.get(response.url), '<meta http-equiv="refresh" content="2">')
    assert work(batch) == Status.UPLOADED
    assert batch.row_count == 2
    mapping_url = reverse("hardship:import_mapping", args=[batch.pk])
    assertContains(english.get(response.url), mapping_url)
    assert batch.unit == tree.jiangan
    assert batch.upload.name.startswith("imports/")
    assert "困难职工" not in batch.upload.name

    form = english.get(mapping_url).context["form"]
    proposed = {name: form[name].initial for name in form.fields}
    assert proposed["column_0"] == "name"
    assert proposed["column_1"] == "id_number"
    with django_capture_on_commit_callbacks() as enqueued:
        response = english.post(mapping_url, proposed)
    assert response.url == reverse("hardship:import_detail", args=[batch.pk])
    assert len(enqueued) == 1
    assertContains(english.get(response.url), '<meta http-equiv="refresh" content="2">')

    assert work(batch) == Status.VALIDATED
    page = english.get(response.url)
    assertContains(page, "All 2 rows passed the check.")
    assertNotContains(page, 'http-equiv="refresh"')

    with django_capture_on_commit_callbacks() as enqueued:
        english.post(reverse("hardship:import_confirm", args=[batch.pk]))
    assert len(enqueued) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert work(batch) == Status.DONE

    batch.refresh_from_db()
    assert batch.imported_count == 2
    assert batch.upload.name == ""
    assert list(batch_folder().iterdir()) == []
    files = HardshipFile.objects.filter(unit=tree.jiangan).order_by("name")
    assert [f.name for f in files] == ["职工1", "职工2"]
    first = files[0]
    assert first.entered_by == caseworker
    assert first.medical_costs == Decimal("6000.50")
    assert first.needs_living is True
    assert first.needs_housing is False
    assert [(m.name, m.relation) for m in first.members.order_by("birth_date")] == [
        ("王秀英", "spouse"),
        ("张小明", "son"),
    ]
    assert first.members.get(name="张小明").birth_date == date(2010, 9, 1)
    assert FileTransition.objects.filter(file__in=files, action="open").count() == 2
    assert apps.get_model("hardship", "HardshipFileEvent").objects.count() == 2
    assertContains(english.get(response.url), "2 hardship files were opened for 江岸区总工会")


def batch_folder():
    from django.conf import settings

    return settings.MEDIA_ROOT / "imports"


def test_a_task_delivered_twice_does_its_work_once(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(1)]))
    import_batch_confirm(batch=batch, by=caseworker)
    batch.refresh_from_db()

    assert document_run(document_id=batch.job_id) == "done"
    assert document_run(document_id=batch.job_id) == "nothing to do"
    assert HardshipFile.objects.count() == 1
    assert document_run(document_id=999_999) == "nothing to do"


def test_the_report_is_written_in_the_uploaders_language_through_gettext(
    caseworker_client, caseworker, standards
):
    batch = checked(caseworker, spreadsheet([household(1, household_size=0)]), language="zh-hans")

    with translation.override("zh-hans"):
        expected = translation.gettext("A household has between 1 and 30 people.")
    assert problems(batch) == [(2, "家庭人口", expected)]
    page = caseworker_client.get(reverse("hardship:import_detail", args=[batch.pk]))
    assertContains(page, expected)
    assertContains(page, '<html lang="zh-CN">')


# ---------------------------------------------------------------------- the template


def test_the_template_downloads_with_chinese_headers_an_example_and_the_allowed_values(
    caseworker_client,
):
    from openpyxl import load_workbook

    response = caseworker_client.get(reverse("hardship:import_template"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == [DATA_SHEET, VALUES_SHEET]
    rows = list(workbook[DATA_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert rows[0][:3] == ("姓名", "身份证号", "民族")
    assert rows[1][1] == EXAMPLE_ID_NUMBER
    allowed = list(workbook[VALUES_SHEET].iter_cols(values_only=True))
    by_header = {column[0]: [v for v in column[1:] if v] for column in allowed}
    assert set(by_header) >= {
        "户籍类型",
        "婚姻状况",
        "就业状况",
        "困难劳模",
        "主要致困原因",
        "成员关系",
    }
    assert "大病、慢性病" in by_header["主要致困原因"]
    assert len(by_header["民族"]) == 56


def test_the_templates_example_row_passes_once_its_id_number_is_changed(
    caseworker, caseworker_client, standards
):
    from openpyxl import load_workbook

    template = caseworker_client.get(reverse("hardship:import_template")).content
    as_downloaded = checked(caseworker, template)
    workbook = load_workbook(BytesIO(template))
    workbook[DATA_SHEET]["B2"] = make_id_number(birth="19800101", sequence=21)
    edited = BytesIO()
    workbook.save(edited)

    assert problems(as_downloaded) == [
        (2, "身份证号", "This is the template's example row: delete it.")
    ]
    assert checked(caseworker, edited.getvalue()).bad_row_count == 0


# ---------------------------------------------------------------------- bad input


def test_missing_columns_are_named_and_the_dry_run_cannot_start(english, caseworker):
    english.force_login(caseworker)
    headers = [h for h in HEADERS if h not in ("身份证号", "联系电话")]
    english.post(
        reverse("hardship:import_start"),
        {"upload": xlsx(spreadsheet([household(1)], headers=headers)), "unit": caseworker.unit.pk},
    )
    batch = ImportBatch.objects.get()
    assert work(batch) == Status.UPLOADED
    url = reverse("hardship:import_mapping", args=[batch.pk])

    page = english.get(url)
    form = page.context["form"]
    response = english.post(url, {name: form[name].initial for name in form.fields})

    for shown in (page, response):
        assertContains(shown, "Missing columns")
        assertContains(shown, "national ID number")
        assertContains(shown, "phone")
    batch.refresh_from_db()
    assert batch.status == Status.UPLOADED
    with pytest.raises(RuleBroken, match="Missing columns"):
        import_batch_match_columns(batch=batch, by=caseworker, mapping={}, language="en")


def test_a_field_chosen_for_two_columns_is_refused_beside_both(english, caseworker):
    english.force_login(caseworker)
    english.post(
        reverse("hardship:import_start"),
        {"upload": xlsx(spreadsheet([household(1)])), "unit": caseworker.unit.pk},
    )
    batch = ImportBatch.objects.get()
    assert work(batch) == Status.UPLOADED
    url = reverse("hardship:import_mapping", args=[batch.pk])
    form = english.get(url).context["form"]
    data = {name: form[name].initial for name in form.fields} | {"column_2": "name"}

    response = english.post(url, data)

    assert response.context["form"].errors.keys() == {"column_0", "column_2"}
    assertContains(response, "is chosen for more than one column", count=2)


def test_merged_cells_are_refused_when_the_spreadsheet_is_read_naming_the_cells(
    english, caseworker
):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append([household(1).get(c.key) for c in COLUMNS])
    sheet.append([household(2).get(c.key) for c in COLUMNS])
    sheet.merge_cells("D2:D3")
    content = BytesIO()
    workbook.save(content)
    english.force_login(caseworker)

    english.post(
        reverse("hardship:import_start"),
        {"upload": xlsx(content.getvalue()), "unit": caseworker.unit.pk},
    )

    batch = ImportBatch.objects.get()
    assert work(batch) == Status.FAILED
    assert "merged cells (D2:D3)" in batch.error
    with translation.override("en"):
        assertContains(english.get(batch.get_absolute_url()), "merged cells (D2:D3)")


def test_a_file_that_is_not_an_xlsx_workbook_is_refused_by_its_content(english, caseworker):
    english.force_login(caseworker)
    url = reverse("hardship:import_start")

    renamed = english.post(url, {"upload": xlsx(b"name,id\n"), "unit": caseworker.unit.pk})
    old_excel = english.post(
        url, {"upload": xlsx(b"\xd0\xcf\x11\xe0", "old.xls"), "unit": caseworker.unit.pk}
    )
    broken_zip = english.post(
        url, {"upload": xlsx(b"PK\x03\x04 truncated"), "unit": caseworker.unit.pk}
    )

    assert "not an .xlsx workbook" in renamed.context["form"].errors["upload"][0]
    assert "saved as .xlsx" in old_excel.context["form"].errors["upload"][0]
    assert "could not be read" in broken_zip.context["form"].errors["upload"][0]
    assert ImportBatch.objects.count() == 0


def test_an_upload_without_a_file_is_refused_beside_the_field(english, caseworker):
    english.force_login(caseworker)

    response = english.post(reverse("hardship:import_start"), {"unit": caseworker.unit.pk})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["upload"]
    assertContains(response, 'class="field__error"')


def test_a_file_above_the_size_limit_is_refused_with_the_limit(english, caseworker):
    english.force_login(caseworker)
    too_big = b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024)

    response = english.post(
        reverse("hardship:import_start"), {"upload": xlsx(too_big), "unit": caseworker.unit.pk}
    )

    assert response.context["form"].errors["upload"] == [
        "The file is 10.0 MB; at most 10 MB can be imported at once: split it."
    ]


def test_wrong_types_are_reported_row_by_row_with_their_column(caseworker, standards):
    member = {"member1_name": "张小明", "member1_relation": "son", "member1_employment": "student"}
    rows = [
        household(1, annual_income="一万八"),
        household(2, annual_income=1234.567),
        household(3, medical_costs=-5),
        household(4, household_size=2.5),
        household(5, **member, member1_birth_date="2010/13/45"),
        household(6, id_number=420102196001070019),
        household(7, phone="12345"),
        household(8, hukou_type="城市"),
        household(9, is_migrant_worker="也许"),
        household(10, main_cause="illness", secondary_causes="illness"),
        household(11, member1_name="张小明"),
        household(12, annual_income=10_000_000),
        household(13, division_code="4201"),
        household(14, name=None),
        household(15),
    ]

    batch = checked(caseworker, spreadsheet(rows))

    assert batch.row_count == 15
    assert batch.bad_row_count == 14
    found = problems(batch)
    assert found[:6] == [
        (2, "家庭年收入（元）", "Enter an amount in yuan, e.g. 18000 or 1234.56."),
        (3, "家庭年收入（元）", "1234.567 has more than two decimal places: amounts are in yuan and fen."),
        (4, "医疗支出（元）", "An amount cannot be negative."),
        (5, "家庭人口", "Enter a whole number, e.g. 3."),
        (6, "成员1出生日期", "Enter a date as an Excel date or as YYYY-MM-DD, e.g. 2010-09-01."),
        (7, "身份证号", "This ID number is stored as a number, which loses its last digits: format the column as text and type the number again."),
    ]  # fmt: skip
    assert found[6][:2] == (8, "联系电话")
    assert found[6][2].startswith("Enter an 11-digit mobile number")
    assert found[7][:2] == (9, "户籍类型")
    assert found[7][2].startswith("“城市” is not an allowed value. Allowed: ")
    assert found[8] == (10, "是否农民工", "Enter 是 (yes) or 否 (no).")
    assert found[9] == (11, "其他致困原因", "The main cause cannot also be another cause.")
    assert sorted(found[10:13]) == sorted(
        [
            (12, "成员1关系", "This cell must be filled in for a household member."),
            (12, "成员1出生日期", "Enter the birth date or the ID number."),
            (12, "成员1就业状况", "This cell must be filled in for a household member."),
        ]
    )
    assert found[13][:2] == (13, "家庭年收入（元）")
    assert "too large" in found[13][2]
    assert found[14][:2] == (14, "行政区划代码")
    assert found[15] == (15, "姓名", "This cell must be filled in.")
    assert len(found) == 16
    with pytest.raises(RuleBroken):
        import_batch_confirm(batch=batch, by=caseworker)
    assert HardshipFile.objects.count() == 0


def test_dates_and_amounts_are_read_from_excel_values_and_from_text(caseworker, standards):
    from datetime import datetime

    rows = [
        household(1, member1_name="甲", member1_relation="son", member1_employment="student",
                  member1_birth_date=datetime(2010, 9, 1), annual_income=0.1 + 0.2,  # noqa: DTZ001 (Excel has no zones)
                  household_size="3人"),
        household(2, member1_name="乙", member1_relation="son", member1_employment="student",
                  member1_birth_date="2010-09-01", annual_income="18,000.50元"),
    ]  # fmt: skip

    batch = imported(checked(caseworker, spreadsheet(rows)), caseworker)

    assert batch.status == Status.DONE
    incomes = sorted(HardshipFile.objects.values_list("annual_income", flat=True))
    assert incomes == [Decimal("0.30"), Decimal("18000.50")]
    assert set(HouseholdMember.objects.values_list("birth_date", flat=True)) == {date(2010, 9, 1)}


def test_a_10000_row_spreadsheet_with_one_bad_row_imports_nothing(caseworker, standards):
    rows = [household(n) for n in range(1, 10_001)]
    rows[4_999]["household_size"] = "三"

    batch = checked(caseworker, spreadsheet(rows))

    assert batch.row_count == 10_000
    assert batch.bad_row_count == 1
    assert problems(batch) == [(5_001, "家庭人口", "Enter a whole number, e.g. 3.")]
    with pytest.raises(RuleBroken, match="without problems"):
        import_batch_confirm(batch=batch, by=caseworker)
    assert document_run(document_id=batch.job_id) == "nothing to do"
    assert import_batch_import(batch_id=batch.pk, job_id=batch.job_id) is None
    assert HardshipFile.objects.count() == 0


def test_an_id_number_twice_in_the_spreadsheet_is_refused_on_its_later_rows(caseworker, standards):
    twice = make_id_number(birth="19700101", sequence=31)
    child = make_id_number(birth="20050101", sequence=33)
    member = {"member1_name": "甲", "member1_relation": "son", "member1_employment": "student"}
    rows = [
        household(1, id_number=twice),
        household(2, id_number=twice),
        household(3, **member, member1_id_number=child),
        household(4, id_number=child),
        household(5, **member, member1_id_number=household(5)["id_number"]),
    ]

    batch = checked(caseworker, spreadsheet(rows))

    assert problems(batch) == [
        (3, "身份证号", "This ID number is also in row 2."),
        (5, "身份证号", "This ID number is also in row 4."),
        (6, "成员1身份证号", "This ID number is listed twice in this row."),
    ]
    assert batch.bad_row_count == 3


def test_an_id_number_on_another_units_active_file_is_refused_naming_that_unit(
    english, caseworker, sibling, standards
):
    number = make_id_number(birth="19750505", sequence=41)
    open_file(by=sibling, id_number=number, division_code="430100")

    batch = checked(caseworker, spreadsheet([household(1), household(2, id_number=number)]))

    [(row, column, message)] = problems(batch)
    assert (row, column) == (3, "身份证号")
    assert "held by 湖南省总工会" in message
    assert batch.report[0]["id"] == number[:6] + "********" + number[-4:]
    english.force_login(caseworker)
    page = english.get(reverse("hardship:import_detail", args=[batch.pk]))
    assertContains(page, "湖南省总工会")
    assertContains(page, number[:6] + "********" + number[-4:])
    assertNotContains(page, number)


def test_a_file_opened_elsewhere_after_the_dry_run_fails_the_import_and_writes_nothing(
    caseworker, sibling, standards
):
    rows = [household(1), household(2), household(3)]
    batch = checked(caseworker, spreadsheet(rows))
    open_file(by=sibling, id_number=rows[2]["id_number"], division_code="430100")

    batch = imported(batch, caseworker)

    assert batch.status == Status.FAILED
    assert [(row, column) for row, column, _m in problems(batch)] == [(4, "身份证号")]
    assert HardshipFile.objects.filter(unit=caseworker.unit).count() == 0


def test_a_failure_in_the_middle_of_the_import_rolls_every_row_back(caseworker, standards, caplog):
    existing = open_file(by=caseworker)
    year = timezone.localdate().year
    # The second imported row will be given the number this file now holds.
    HardshipFile.objects.filter(pk=existing.pk).update(file_number=f"000000-{year}-0000003")
    FileNumberCounter.objects.filter(year=year).update(last=1)
    rows = [household(1), household(2), household(3)]
    batch = checked(caseworker, spreadsheet(rows))

    with caplog.at_level(logging.INFO):
        batch = imported(batch, caseworker)

    assert batch.status == Status.FAILED
    assert "nothing was imported" in batch.error
    assert list(HardshipFile.objects.values_list("pk", flat=True)) == [existing.pk]
    assert HouseholdMember.objects.count() == 0
    assert FileTransition.objects.exclude(file=existing).count() == 0
    # The numbers were reserved before the import's transaction and stay unused.
    assert FileNumberCounter.objects.get(year=year).last == 1 + len(rows)
    assert "IntegrityError" in caplog.text
    for row in rows:
        assert row["id_number"] not in caplog.text
    assert f"000000-{year}" not in caplog.text


def test_a_caseworker_who_lost_the_role_after_the_dry_run_imports_nothing(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(1)]))
    import_batch_confirm(batch=batch, by=caseworker)
    caseworker.is_caseworker = False
    caseworker.save(update_fields=["is_caseworker"])

    assert work(batch) == Status.FAILED
    assert HardshipFile.objects.count() == 0


# ---------------------------------------------------------------------- who may do what


def test_the_upload_form_offers_only_units_in_the_users_branch(english, caseworker, tree):
    english.force_login(caseworker)

    response = english.post(
        reverse("hardship:import_start"),
        {"upload": xlsx(spreadsheet([household(1)])), "unit": tree.hunan.pk},
    )

    assert set(response.context["form"].fields["unit"].queryset) == {
        tree.wuhan,
        tree.jiangan,
        tree.dazhi,
    }
    assert "unit" in response.context["form"].errors
    assert ImportBatch.objects.count() == 0


def batch_urls(batch: ImportBatch) -> list[str]:
    return [
        reverse("hardship:import_detail", args=[batch.pk]),
        reverse("hardship:import_mapping", args=[batch.pk]),
    ]


def test_a_sibling_branch_gets_404_for_someone_elses_batch(sibling_client, caseworker):
    batch = import_batch_create(
        by=caseworker, unit=caseworker.unit, upload=xlsx(spreadsheet([household(1)])), language="en"
    )

    for url in batch_urls(batch):
        assert sibling_client.get(url).status_code == 404
    confirm = sibling_client.post(reverse("hardship:import_confirm", args=[batch.pk]))
    assert confirm.status_code == 404


def test_a_colleague_in_the_same_unit_gets_404_for_a_batch_they_did_not_upload(
    client, caseworker, second_caseworker
):
    batch = import_batch_create(
        by=caseworker, unit=caseworker.unit, upload=xlsx(spreadsheet([household(1)])), language="en"
    )
    client.force_login(second_caseworker)

    for url in batch_urls(batch):
        assert client.get(url).status_code == 404
    # The client's requests left Chinese active in this thread (the language middleware).
    with translation.override("en"), pytest.raises(PermissionDenied, match="Only the person"):
        import_batch_confirm(batch=batch, by=second_caseworker)


def test_only_caseworkers_reach_the_import_pages(client, approver):
    client.force_login(approver)

    assert client.get(reverse("hardship:import_start")).status_code == 404
    assert client.get(reverse("hardship:import_template")).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, caseworker):
    batch = import_batch_create(
        by=caseworker, unit=caseworker.unit, upload=xlsx(spreadsheet([household(1)])), language="en"
    )
    urls = [
        reverse("hardship:import_start"),
        reverse("hardship:import_template"),
        *batch_urls(batch),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))
    assert client.post(reverse("hardship:import_confirm", args=[batch.pk])).status_code == 302


def test_every_import_view_declares_the_branch_rule():
    assert {access_rule_of(pattern.callback) for pattern in import_patterns} == {BRANCH}


def test_confirm_accepts_only_post(caseworker_client, caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(1)]))

    response = caseworker_client.get(reverse("hardship:import_confirm", args=[batch.pk]))

    assert response.status_code == 405
    assert HardshipFile.objects.count() == 0


@pytest.mark.parametrize("count", [1, 3])
def test_the_list_of_recent_imports_costs_the_same_queries_for_1_and_3(
    caseworker_client, caseworker, sibling, django_assert_num_queries, count
):
    for number in range(count):
        ImportBatch.objects.create(
            created_by=caseworker, unit=caseworker.unit, original_name=f"第{number}批.xlsx"
        )
    ImportBatch.objects.create(created_by=sibling, unit=sibling.unit, original_name="湖南.xlsx")

    # Session, user, user's unit; the unit choices twice (Django's Select peeks at the first
    # choice to decide on `required`); the batches with their units; the session saved
    # (savepoint, update, release) for the idle timeout. None of it grows with the list.
    with django_assert_num_queries(9):
        response = caseworker_client.get(reverse("hardship:import_start"))

    assert len(response.context["batches"]) == count
    assertNotContains(response, "湖南.xlsx")


# ---------------------------------------------------------------------- reading


def test_the_header_may_sit_below_blank_rows_and_rows_keep_their_excel_numbers():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "姓名", "身份证号"
    sheet["C5"] = "张三"
    content = BytesIO()
    workbook.save(content)
    content.seek(0)

    sheet = read_spreadsheet(content)

    assert sheet.header_row == 3
    assert sheet.headers[2:4] == ["姓名", "身份证号"]
    assert [number for number, _cells in sheet.rows] == [5]


def test_a_title_row_above_the_headers_is_skipped(caseworker):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2025年江岸区困难职工花名册"])
    sheet.append(HEADERS)
    sheet.append([household(1).get(c.key) for c in COLUMNS])
    content = BytesIO()
    workbook.save(content)

    batch = read(caseworker, content.getvalue())

    assert batch.headers == HEADERS
    assert batch.row_count == 1


def test_a_stray_cell_far_below_the_data_is_refused_before_reading(english, caseworker):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet["A1048576"] = "x"
    content = BytesIO()
    workbook.save(content)
    english.force_login(caseworker)

    response = english.post(
        reverse("hardship:import_start"),
        {"upload": xlsx(content.getvalue()), "unit": caseworker.unit.pk},
    )

    [error] = response.context["form"].errors["upload"]
    assert "reaches cell BB1048576" in error
    assert ImportBatch.objects.count() == 0


def test_id_numbers_in_a_header_row_or_a_file_name_are_shown_masked(caseworker):
    number = make_id_number(birth="19800101", sequence=51)
    content = spreadsheet([household(1)], headers=[*HEADERS[:-1], number])

    batch = read(caseworker, content, name=f"{number}.xlsx")

    assert number not in str(batch.headers)
    assert batch.headers[-1] == number[:6] + "********" + number[-4:]
    assert batch.original_name == number[:6] + "********" + number[-4:] + ".xlsx"


def test_a_header_written_twice_is_refused_naming_both_cells():
    with translation.override("en"), pytest.raises(SpreadsheetProblem, match="B1 and C1"):
        read_spreadsheet(BytesIO(spreadsheet([], headers=["姓名", "电话", "电话"])))


def test_headers_are_recognised_by_their_common_aliases(caseworker, standards):
    aliases = {
        "身份证号": "身份证号码",
        "联系电话": "手机号码",
        "家庭年收入（元）": "家庭年收入(元)",
    }
    headers = [aliases.get(h, h) for h in HEADERS]
    batch = read(caseworker, spreadsheet([household(1)], headers=headers))

    assert batch.mapping["id_number"] == HEADERS.index("身份证号")
    assert batch.mapping["phone"] == HEADERS.index("联系电话")
    assert batch.mapping["annual_income"] == HEADERS.index("家庭年收入（元）")
    assert set(COLUMNS_BY_KEY) == set(batch.mapping)


@pytest.mark.worker
def test_a_real_worker_runs_the_dry_run(
    transactional_db, caseworker, tmp_path, media_root, own_default_queue
):
    from documents.models import GeneratedDocument
    from tests.workers import database_url_for_other_processes, wait_for, worker_process

    env = {"DATABASE_URL": database_url_for_other_processes(), "MEDIA_ROOT": str(media_root)}

    with worker_process(env=env, log_path=tmp_path / "worker.log", queue=own_default_queue):
        # Each job goes to this test's queue as its transaction commits.
        batch = import_batch_create(
            by=caseworker,
            unit=caseworker.unit,
            upload=xlsx(spreadsheet([household(1)])),
            language="en",
        )
        wait_for(
            lambda: ImportBatch.objects.filter(pk=batch.pk, status=Status.UPLOADED).first(),
            timeout=60,
            what="the spreadsheet read by the worker",
        )
        batch.refresh_from_db()
        import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
        batch.refresh_from_db()
        job = wait_for(
            lambda: GeneratedDocument.objects.filter(
                pk=batch.job_id, status__in=["done", "failed"]
            ).first(),
            timeout=60,
            what="the dry run's job",
        )

    batch.refresh_from_db()
    assert (job.status, job.error) == ("done", "")
    assert batch.status == Status.VALIDATED
    assert (batch.row_count, batch.bad_row_count) == (1, 0)


def test_a_worker_whose_household_has_an_exited_file_is_pointed_to_reopening_it(
    english, caseworker, sibling, standards
):
    number = make_id_number(birth="19750505", sequence=43)
    earlier = open_file(by=sibling, id_number=number, division_code="430100")
    HardshipFile.objects.filter(pk=earlier.pk).update(
        status=FileStatus.EXITED, category="relative", exit_reason="reemployed"
    )

    batch = checked(caseworker, spreadsheet([household(1), household(2, id_number=number)]))

    [(row, column, message)] = problems(batch)
    assert (row, column) == (3, "身份证号")
    assert "reopen" in message
    assert "湖南省总工会" in message
