"""The edit page shows ID numbers and the bank account masked; full only by a recorded reveal.

Editing still works: a masked number sent back unchanged keeps the stored one,
a number typed in full replaces it, and a member row keeps only its own file's
member's number whatever id it claims.
"""

import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from hardship.identity import mask_account, mask_id_number
from hardship.models import HardshipFile, IdNumberView
from hardship.services import MemberInput
from tests.factories import make_id_number, open_file

pytestmark = pytest.mark.usefixtures("standards")
WORKER_ID = make_id_number(birth="19750612", sequence=431)
MEMBER_ID = make_id_number(birth="20090901", sequence=442)
ACCOUNT = "6222021234567890123"


class FormReader(HTMLParser):
    """The values a browser would send from the page's form, buttons left out."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_of(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    # Django renders a textarea's value after a leading newline, which browsers drop.
    return {k: v.removeprefix("\n") for k, v in reader.data.items() if k != "csrfmiddlewaretoken"}


@pytest.fixture
def file(caseworker) -> HardshipFile:
    member = MemberInput(
        relation="daughter", name="王小丽", birth_date=date(2009, 9, 1), employment="student",
        id_number=MEMBER_ID,
    )  # fmt: skip
    return open_file(
        by=caseworker, id_number=WORKER_ID, members=[member], bank_name="工商银行",
        bank_account=ACCOUNT,
    )  # fmt: skip


def errors_on(response) -> list[str]:
    return re.findall(r'class="field__error" id="(\w+)"', response.content.decode())


def edit_url(file) -> str:
    return reverse("hardship:file_edit", args=[file.pk])


def test_the_edit_page_shows_every_number_masked_and_records_no_view(caseworker_client, file):
    response = caseworker_client.get(edit_url(file))

    page = response.content.decode()
    assert response.status_code == 200
    for number in (WORKER_ID, MEMBER_ID, ACCOUNT):
        assert number not in page
    assert mask_id_number(WORKER_ID) in page
    assert mask_id_number(MEMBER_ID) in page
    assert mask_account(ACCOUNT) in page
    assert IdNumberView.objects.count() == 0
    assert "no-store" in response["Cache-Control"]


def test_saving_the_page_as_shown_keeps_every_stored_number(caseworker_client, file):
    data = form_of(caseworker_client.get(edit_url(file)).content.decode())
    data["address"] = "武汉市江岸区新地址 9 号"

    response = caseworker_client.post(edit_url(file), data)

    assert response.status_code == 302, errors_on(response)
    file.refresh_from_db()
    [member] = file.members.all()
    assert file.address == "武汉市江岸区新地址 9 号"
    assert file.id_number == WORKER_ID
    assert file.bank_account == ACCOUNT
    assert member.id_number == MEMBER_ID
    assert IdNumberView.objects.count() == 0


def test_a_number_typed_in_full_over_its_mask_replaces_the_stored_one(caseworker_client, file):
    new_member_id = make_id_number(birth="20090901", sequence=446)
    data = form_of(caseworker_client.get(edit_url(file)).content.decode())
    data["bank_account"] = "6217000011112222333"
    data["members-0-id_number"] = new_member_id

    response = caseworker_client.post(edit_url(file), data)

    assert response.status_code == 302
    file.refresh_from_db()
    assert file.bank_account == "6217000011112222333"
    assert file.id_number == WORKER_ID
    assert file.members.get().id_number == new_member_id


def test_a_number_still_holding_stars_is_refused_beside_its_field(caseworker_client, file):
    data = form_of(caseworker_client.get(edit_url(file)).content.decode())
    data["id_number"] = "420102****0612" + WORKER_ID[-4:]

    response = caseworker_client.post(edit_url(file), data)

    assert response.status_code == 400
    assert "type the whole number" in response.content.decode().lower() or (
        "完整" in response.content.decode()
    )
    file.refresh_from_db()
    assert file.id_number == WORKER_ID


def test_a_member_row_claiming_another_files_member_does_not_get_its_number(
    caseworker_client, caseworker, file
):
    other_id = make_id_number(birth="20100202", sequence=452)
    other = open_file(
        by=caseworker,
        members=[
            MemberInput(
                relation="son", name="李小军", birth_date=date(2010, 2, 2),
                employment="student", id_number=other_id,
            )
        ],
    )  # fmt: skip
    data = form_of(caseworker_client.get(edit_url(file)).content.decode())
    data["members-0-pk"] = str(other.members.get().pk)
    data["members-0-id_number"] = mask_id_number(other_id)

    saved = caseworker_client.post(edit_url(file), data)
    revealed = caseworker_client.post(edit_url(file), {**data, "reveal": "1"})

    assert saved.status_code == 400
    assert other_id not in revealed.content.decode()
    assert file.members.get().id_number == MEMBER_ID


def test_showing_the_numbers_in_full_records_the_view_and_keeps_what_was_typed(
    caseworker_client, caseworker, file
):
    data = form_of(caseworker_client.get(edit_url(file)).content.decode())
    data["address"] = "还没保存的新地址"

    response = caseworker_client.post(edit_url(file), {**data, "reveal": "1"})

    page = response.content.decode()
    assert response.status_code == 200
    for number in (WORKER_ID, MEMBER_ID, ACCOUNT):
        assert number in page
    assert "还没保存的新地址" in page
    assert "no-store" in response["Cache-Control"]
    [view] = IdNumberView.objects.all()
    assert (view.user, view.file_id, view.purpose) == (caseworker, file.pk, "detail")
    file.refresh_from_db()
    assert file.address != "还没保存的新地址"

    # What the reveal put in the form saves as it is.
    saved = caseworker_client.post(edit_url(file), form_of(page))
    assert saved.status_code == 302
    file.refresh_from_db()
    assert (file.id_number, file.bank_account) == (WORKER_ID, ACCOUNT)
    assert file.members.get().id_number == MEMBER_ID


def test_a_sibling_branch_cannot_reveal_and_nothing_is_recorded(sibling_client, file):
    response = sibling_client.post(edit_url(file), {"reveal": "1"})

    assert response.status_code == 404
    assert IdNumberView.objects.count() == 0


def test_an_anonymous_visitor_cannot_reveal(client, file):
    response = client.post(edit_url(file), {"reveal": "1"})

    assert response.status_code == 302
    assert "login" in response.url
    assert IdNumberView.objects.count() == 0
