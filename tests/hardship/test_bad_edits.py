"""Edits of a file that once answered 500: each now gets a message beside the field."""

import re
from datetime import date

import pytest
from django.urls import reverse

from hardship.models import HouseholdMember
from hardship.services import MemberInput
from tests.factories import file_values, make_id_number, open_file

pytestmark = pytest.mark.django_db

SON = make_id_number(birth="20050101", sequence=11)
DAUGHTER = make_id_number(birth="20070202", sequence=12)


def member_input(name, id_number, birth):
    return MemberInput(relation="son", name=name, birth_date=birth, employment="student",
                       id_number=id_number)  # fmt: skip


def edit_data(worker_id: str, members: list[dict], **values) -> dict:
    """What the edit form posts for a file opened with ``file_values(**values)``."""
    data = {}
    for name, value in file_values(**values).items():
        if value is True:
            data[name] = "on"
        elif value is not False:
            data[name] = str(getattr(value, "pk", value))
    data.update(id_number=worker_id, category="", category_override_reason="")
    data.update({"members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "0",
                 "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "20"})  # fmt: skip
    for index, member in enumerate(members):
        row = {"relation": "son", "employment": "student", "health": "healthy",
               "school_stage": "none", "school_name": "", "school_year": "",
               "monthly_income": "0", "medical_insurance": "resident", **member}  # fmt: skip
        data.update({f"members-{index}-{key}": value for key, value in row.items()})
    return data


@pytest.fixture
def family(caseworker, standards):
    worker_id = make_id_number(birth="19750505", sequence=21)
    file = open_file(
        by=caseworker,
        id_number=worker_id,
        members=[
            member_input("王小军", SON, date(2005, 1, 1)),
            member_input("王小丽", DAUGHTER, date(2007, 2, 2)),
        ],
    )
    return file, worker_id


def test_two_members_may_trade_their_id_numbers_in_one_edit(caseworker_client, family):
    file, worker_id = family
    son, daughter = file.members.order_by("pk")
    # The two numbers were entered the wrong way round; the birth dates follow the numbers.
    members = [
        {"pk": son.pk, "name": "王小军", "id_number": DAUGHTER, "birth_date": "2007-02-02"},
        {"pk": daughter.pk, "name": "王小丽", "id_number": SON, "birth_date": "2005-01-01"},
    ]

    response = caseworker_client.post(
        reverse("hardship:file_edit", args=[file.pk]), edit_data(worker_id, members)
    )

    assert response.status_code == 302, re.findall(
        r"(?:error|alert)[^>]*>([^<]+)<", response.content.decode()
    )
    son.refresh_from_db()
    daughter.refresh_from_db()
    assert (son.id_number, daughter.id_number) == (DAUGHTER, SON)


@pytest.mark.parametrize("count", ["abc", "100000", "-1", "9" * 40])
def test_a_garbage_member_count_is_refused_and_the_members_are_kept(
    caseworker_client, family, count
):
    file, worker_id = family
    data = edit_data(worker_id, [])
    data["members-TOTAL_FORMS"] = count
    url = reverse("hardship:file_edit", args=[file.pk])

    saved = caseworker_client.post(url, data)
    one_more = caseworker_client.post(url, {**data, "add_member": "1"})

    assert saved.status_code == 400
    assert HouseholdMember.objects.filter(file=file).count() == 2
    # "Add a member" offers the rows again, never more than a household may list.
    assert one_more.status_code == 200
    assert one_more.content.decode().count('data-testid="member-form"') <= 20
