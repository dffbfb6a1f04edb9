"""The file pages: who may see and do what, and what bad input gets back."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipCause, HardshipFile, IdNumberView
from tests.factories import UserFactory, make_id_number, open_file


def form_data(**overrides) -> dict:
    data = {
        "name": "王秀英",
        "id_number": make_id_number(birth="19720314", sequence=224),
        "ethnicity": "01",
        "political_status": "masses",
        "phone": "13607150001",
        "address": "武汉市江岸区一元路 5 号",
        "division_code": "420102",
        "hukou_type": "urban",
        "marital_status": "widowed",
        "health": "serious",
        "disability": "none",
        "employment_status": "unemployed",
        "model_worker_level": "none",
        "employer_name": "",
        "employer_credit_code": "",
        "employer_situation": "normal",
        "industry": "",
        "bank_name": "",
        "bank_account": "",
        "annual_income": "21600",
        "medical_costs": "9000",
        "schooling_costs": "0",
        "disaster_costs": "0",
        "household_size": "2",
        "main_cause": str(HardshipCause.objects.get(code="illness").pk),
        "needs_medical": "on",
        "notes": "",
        "category": "",
        "category_override_reason": "",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "20",
    }
    data.update(overrides)
    return data


def with_member(data: dict, **member) -> dict:
    index = int(data["members-TOTAL_FORMS"])
    defaults = {
        "relation": "daughter", "name": "王小丽", "id_number": "", "birth_date": "2009-09-01",
        "health": "healthy", "school_stage": "high", "school_name": "武汉市第六中学", "school_year": "2",
        "employment": "student", "monthly_income": "0", "medical_insurance": "resident",
    }  # fmt: skip
    defaults.update(member)
    data = dict(data)
    for key, value in defaults.items():
        data[f"members-{index}-{key}"] = value
    data["members-TOTAL_FORMS"] = str(index + 1)
    return data


def test_a_caseworker_opens_a_file_with_a_member(caseworker_client, standards):
    response = caseworker_client.post(reverse("hardship:file_create"), with_member(form_data()))

    assert response.status_code == 302, response.content.decode()[:3000]
    file = HardshipFile.objects.get(name="王秀英")
    assert file.status == FileStatus.APPLIED
    assert file.members.get().school_name == "武汉市第六中学"
    assert file.proposed_category == "deep"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "420102197203142240", "最后一位"),
        ("id_number", make_id_number(birth="20990101", sequence=5), "未来"),
        ("annual_income", "-5", "大于或等于"),
        ("annual_income", "123456789", "小于或等于"),
        ("annual_income", "12.345", "小数不超过 2 位"),
        ("household_size", "0", "至少"),
        ("phone", "12345", "手机号"),
    ],
)
def test_bad_input_is_refused_with_the_message_beside_the_field(
    caseworker_client, standards, field, value, message
):
    response = caseworker_client.post(reverse("hardship:file_create"), form_data(**{field: value}))

    assert response.status_code == 400
    page = response.content.decode()
    block = re.search(
        rf'<div class="field field--invalid">\s*<label for="id_{field}">.*?</div>', page, re.S
    )
    assert block is not None, f"no error beside {field}"
    assert message in block.group(0)
    assert not HardshipFile.objects.exists()


HOSTILE = "<script>alert(1)</script><img src=x>"


def test_html_in_every_text_field_is_shown_escaped(
    caseworker_client, second_caseworker, client, standards
):
    text_fields = [
        "name",
        "address",
        "employer_name",
        "industry",
        "bank_name",
        "notes",
        "category_override_reason",
    ]
    data = with_member(
        form_data(**dict.fromkeys(text_fields, HOSTILE), category="relative"),
        name=HOSTILE, school_name=HOSTILE,
    )  # fmt: skip
    assert caseworker_client.post(reverse("hardship:file_create"), data).status_code == 302
    file = HardshipFile.objects.get()
    caseworker_client.post(
        reverse("hardship:file_action", args=[file.pk, "first_review"]),
        {"first_review-notes": HOSTILE},
    )
    client.force_login(second_caseworker)
    client.post(
        reverse("hardship:file_action", args=[file.pk, "verify"]),
        {"verify-visited_on": timezone.localdate().isoformat(), "verify-verifiers": [second_caseworker.pk],
         "verify-findings": HOSTILE, "verify-confirms_application": "on"},
    )  # fmt: skip

    pages = [
        caseworker_client.get(file.get_absolute_url()).content.decode(),
        caseworker_client.get(reverse("hardship:file_list")).content.decode(),
        caseworker_client.get(reverse("hardship:file_edit", args=[file.pk])).content.decode(),
    ]

    for page in pages:
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
    assert pages[0].count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8


def test_an_id_on_another_branchs_active_file_is_refused_naming_only_the_unit(
    caseworker_client, sibling, standards
):
    number = make_id_number(sequence=611)
    open_file(by=sibling, id_number=number, division_code="430100", name="秘密姓名")

    response = caseworker_client.post(reverse("hardship:file_create"), form_data(id_number=number))

    page = response.content.decode()
    assert response.status_code == 400
    assert "湖南省总工会" in page
    assert "秘密姓名" not in page


def test_a_near_match_warns_before_saving(caseworker_client, caseworker, standards):
    existing = open_file(
        by=caseworker, name="王秀英", id_number=make_id_number(birth="19720314", sequence=226)
    )
    data = form_data(id_number=make_id_number(birth="19720314", sequence=228))

    warned = caseworker_client.post(reverse("hardship:file_create"), data)
    confirmed = caseworker_client.post(
        reverse("hardship:file_create"), {**data, "confirm_near_match": "on"}
    )

    assert warned.status_code == 400
    assert existing.unit.name in warned.content.decode()
    assert confirmed.status_code == 302
    assert HardshipFile.objects.filter(name="王秀英").count() == 2


def test_search_before_create_finds_the_household_elsewhere(caseworker_client, sibling, standards):
    number = make_id_number(sequence=711)
    open_file(by=sibling, id_number=number, division_code="430100")

    response = caseworker_client.post(
        reverse("hardship:file_new"), {"name": "张建国", "id_number": number}
    )

    page = response.content.decode()
    assert "湖南省总工会" in page
    assert reverse("hardship:file_create") not in page  # no "open a new file" button


def test_the_file_page_shows_a_masked_id_and_reveals_it_on_request_recording_who(
    caseworker_client, caseworker, standards
):
    number = make_id_number(sequence=811)
    file = open_file(by=caseworker, id_number=number)

    page = caseworker_client.get(file.get_absolute_url()).content.decode()
    revealed = caseworker_client.post(
        reverse("hardship:file_reveal_id", args=[file.pk])
    ).content.decode()

    assert number not in page
    assert f"{number[:6]}********{number[-4:]}" in page
    assert number in revealed
    assert IdNumberView.objects.filter(user=caseworker, file=file).count() == 1


def test_a_viewer_cannot_reveal_a_full_id(client, tree, caseworker, standards):
    file = open_file(by=caseworker)
    viewer = UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True)
    client.force_login(viewer)

    response = client.post(reverse("hardship:file_reveal_id", args=[file.pk]), follow=True)

    assert file.id_number not in response.content.decode()
    assert not IdNumberView.objects.exists()


def test_a_viewer_cannot_open_the_new_file_page(client, tree):
    client.force_login(UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True))

    assert client.get(reverse("hardship:file_new")).status_code == 404


def test_a_sibling_cannot_see_or_act_on_the_file(sibling_client, caseworker, standards):
    file = open_file(by=caseworker)

    assert sibling_client.get(file.get_absolute_url()).status_code == 404
    assert (
        sibling_client.post(
            reverse("hardship:file_action", args=[file.pk, "first_review"])
        ).status_code
        == 404
    )
    assert (
        sibling_client.post(reverse("hardship:file_reveal_id", args=[file.pk])).status_code == 404
    )


def test_an_approver_approving_their_own_entry_is_told_why(
    client, tree, standards, second_caseworker
):
    both = UserFactory(unit=tree.wuhan, is_caseworker=True, is_approver=True)
    file = open_file(by=both)
    client.force_login(second_caseworker)
    client.post(
        reverse("hardship:file_action", args=[file.pk, "first_review"]), {"first_review-notes": ""}
    )
    client.post(
        reverse("hardship:file_action", args=[file.pk, "verify"]),
        {"verify-visited_on": timezone.localdate().isoformat(), "verify-verifiers": [second_caseworker.pk],
         "verify-findings": "属实", "verify-confirms_application": "on"},
    )  # fmt: skip
    client.force_login(both)

    response = client.post(
        reverse("hardship:file_action", args=[file.pk, "approve"]), {"approve-notes": ""}
    )

    assert response.status_code == 400
    assert "其他人审批" in response.content.decode()
    file.refresh_from_db()
    assert file.status == FileStatus.VERIFIED


def test_a_wrong_state_transition_is_refused_with_a_message(
    client, approver, caseworker, standards
):
    file = open_file(by=caseworker)
    client.force_login(approver)

    response = client.post(
        reverse("hardship:file_action", args=[file.pk, "exit"]), {"exit-reason": "reemployed"}
    )

    assert response.status_code == 400
    assert "状态" in response.content.decode()


@pytest.mark.parametrize("files", [1, 3])
def test_the_list_makes_the_same_number_of_queries_however_many_files(
    caseworker_client, caseworker, standards, django_assert_num_queries, files
):
    for n in range(files):
        open_file(by=caseworker, id_number=make_id_number(sequence=900 + 2 * n))

    # session, user, user's unit, rows, the counts (one pass over so few files), causes
    # (filter choices), session save (3)
    with django_assert_num_queries(9):
        response = caseworker_client.get(reverse("hardship:file_list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="status status--applied"') == files
    assert f'<span class="count">{files}</span>' in page


def test_the_list_searches_two_character_names_and_pinyin(caseworker_client, caseworker, standards):
    open_file(by=caseworker, name="张建国", id_number=make_id_number(sequence=1001))
    open_file(by=caseworker, name="李红", id_number=make_id_number(sequence=1003))

    for query in ["建国", "zhangjianguo", "zjg", "张"]:
        page = caseworker_client.get(reverse("hardship:file_list"), {"q": query}).content.decode()
        assert "张建国" in page, query
        assert "李红" not in page, query


def test_the_list_pages_by_keyset(caseworker_client, caseworker, standards, monkeypatch):
    from hardship.views import files as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(5):
        open_file(by=caseworker, name=f"职工{n}", id_number=make_id_number(sequence=1100 + 2 * n))
    seen = []
    url = reverse("hardship:file_list") + "?sort=name"
    for _ in range(3):
        page = caseworker_client.get(url).content.decode()
        seen += re.findall(r">(职工\d)</a>", page)
        following = re.search(r'href="\?([^"]*after=[^"]+)" rel="next"', page)
        if not following:
            break
        url = reverse("hardship:file_list") + "?" + following.group(1).replace("&amp;", "&")

    assert seen == [f"职工{n}" for n in range(5)]


def test_the_export_is_masked_and_scoped(caseworker_client, caseworker, sibling, standards):
    mine = open_file(by=caseworker, id_number=make_id_number(sequence=1201))
    open_file(
        by=sibling, name="湖南职工", id_number=make_id_number(sequence=1203), division_code="430100"
    )

    response = caseworker_client.get(reverse("hardship:file_export", args=["csv"]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert mine.masked_id_number in text
    assert mine.id_number not in text
    assert "湖南职工" not in text
    assert not IdNumberView.objects.exists()


def test_a_viewer_asking_for_full_ids_gets_masked_ones(client, tree, caseworker, standards):
    file = open_file(by=caseworker, id_number=make_id_number(sequence=1401))
    client.force_login(UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True))

    response = client.get(reverse("hardship:file_export", args=["csv"]), {"full_ids": "1"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert file.id_number not in text
    assert file.masked_id_number in text


def test_a_full_id_number_is_never_searched_through_a_link(
    caseworker_client, caseworker, standards
):
    file = open_file(by=caseworker, id_number=make_id_number(sequence=1601))

    by_link = caseworker_client.get(reverse("hardship:file_list"), {"q": file.id_number})
    by_form = caseworker_client.post(
        reverse("hardship:file_find_by_id"), {"id_number": file.id_number}
    )

    assert file.name not in by_link.content.decode().split('data-testid="file-table"')[-1]
    assert "身份证号" in by_link.content.decode()
    assert by_form.status_code == 302
    assert by_form.url == file.get_absolute_url()


def test_an_unknown_region_code_is_a_warning_not_a_refusal(caseworker_client, standards):
    response = caseworker_client.post(
        reverse("hardship:file_create"),
        form_data(id_number=make_id_number(region="990000", sequence=333)),
        follow=True,
    )

    assert HardshipFile.objects.count() == 1
    assert "地区代码" in response.content.decode()


def test_text_that_looks_like_a_formula_stays_text_in_exports(
    caseworker_client, caseworker, standards
):
    from io import BytesIO

    from openpyxl import load_workbook

    open_file(
        by=caseworker, address='=HYPERLINK("http://x","y")', id_number=make_id_number(sequence=1701)
    )

    csv_text = b"".join(
        caseworker_client.get(reverse("hardship:file_export", args=["csv"])).streaming_content
    ).decode("utf-8-sig")
    sheet = load_workbook(
        BytesIO(caseworker_client.get(reverse("hardship:file_export", args=["xlsx"])).content)
    ).active
    cells = [cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]

    assert "'=HYPERLINK" in csv_text
    assert [cell.data_type for cell in cells] == ["s"]
