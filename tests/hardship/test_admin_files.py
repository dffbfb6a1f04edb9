"""Django admin of the hardship files: read-only, masked, and scoped to the unit admin's branch."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hardship.attachments import attachment_add
from hardship.models import (
    Attachment,
    FileNumberCounter,
    FileTransfer,
    FileTransition,
    HardshipCause,
    HardshipFile,
    HomeVerification,
    IdNumberView,
    MinimumLivingStandard,
)
from hardship.services import (
    MemberInput,
    hardship_file_first_review,
    hardship_file_record_verification,
    hardship_file_transfer_request,
    id_number_reveal,
)
from tests.factories import UserFactory, make_id_number, open_file

# The attachment download links need the attachment URLs, mounted there until
# hardship/urls.py includes them.

WUHAN_ID = make_id_number(birth="19700315", sequence=501)
CHILD_ID = make_id_number(birth="20080101", sequence=503)
HUNAN_ID = make_id_number(birth="19720520", region="430102", sequence=601)
BANK_ACCOUNT = "6222 0212 3456 7890 123"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def unit_admin(tree):
    return UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True,
    )  # fmt: skip


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return SimpleUploadedFile("收入证明.png", buffer.getvalue(), content_type="image/png")


def a_file_with_everything(*, caseworker, second, destination, id_number, **values):
    """A file with a member, an attachment, transitions, a verification, an ID view and a transfer."""
    child = MemberInput(
        relation="son", name="张小明", birth_date=date(2008, 1, 1), employment="student",
        id_number=CHILD_ID if id_number == WUHAN_ID else "",
    )  # fmt: skip
    file = open_file(by=caseworker, id_number=id_number, members=[child], **values)
    attachment_add(file=file, by=caseworker, upload=png(), kind="income")
    hardship_file_first_review(file=file, by=caseworker)
    hardship_file_record_verification(
        file=file, by=second, visited_on=timezone.localdate(), verifiers=[second],
        findings="家中确有病人。",
    )  # fmt: skip
    id_number_reveal(file=file, by=caseworker)
    hardship_file_transfer_request(file=file, by=caseworker, to_unit=destination, reason="搬家")
    file.refresh_from_db()
    return file


@pytest.fixture
def wuhan_file(tree, caseworker, second_caseworker):
    return a_file_with_everything(
        caseworker=caseworker, second=second_caseworker, destination=tree.yichang,
        id_number=WUHAN_ID, bank_name="工商银行", bank_account=BANK_ACCOUNT,
    )  # fmt: skip


@pytest.fixture
def hunan_file(tree, sibling):
    other = UserFactory(username="hunan.cw2", unit=tree.hunan)
    return a_file_with_everything(
        caseworker=sibling, second=other, destination=tree.changsha, id_number=HUNAN_ID,
        division_code="430100",
    )  # fmt: skip


def rows_of(model, file):
    """The rows of ``model`` that belong to ``file``."""
    if model is HardshipFile:
        return HardshipFile.objects.filter(pk=file.pk)
    return model.objects.filter(file=file)


FILE_MODELS = [HardshipFile, FileTransition, HomeVerification, Attachment, IdNumberView,
               FileTransfer]  # fmt: skip


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:hardship_{model._meta.model_name}_{view}", args=args)


# ---------------------------------------------------------------- scoping


@pytest.mark.parametrize("model", FILE_MODELS, ids=lambda m: m.__name__)
def test_a_unit_admin_of_wuhan_lists_only_rows_of_their_branch(
    client, unit_admin, wuhan_file, hunan_file, model
):
    client.force_login(unit_admin)

    response = client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    listed = sorted(response.context["cl"].result_list.values_list("pk", flat=True))
    assert listed == sorted(rows_of(model, wuhan_file).values_list("pk", flat=True))
    assert rows_of(model, hunan_file).exists()  # the rows that could leak do exist


@pytest.mark.parametrize("model", FILE_MODELS, ids=lambda m: m.__name__)
def test_a_unit_admin_of_wuhan_cannot_open_a_row_of_hunan(client, unit_admin, hunan_file, model):
    client.force_login(unit_admin)
    row = rows_of(model, hunan_file).first()

    response = client.get(admin_url(model, "change", row.pk))

    assert response.status_code == 302  # admin's "does not exist" redirect to its index
    assert response.url == reverse("admin:index")


def test_a_unit_admin_sees_transfers_into_their_branch_too(client, tree, sibling, unit_admin):
    file = open_file(by=sibling, division_code="430100")
    hardship_file_transfer_request(file=file, by=sibling, to_unit=tree.jiangan, reason="工作调动")
    client.force_login(unit_admin)

    response = client.get(admin_url(FileTransfer, "changelist"))

    listed = list(response.context["cl"].result_list.values_list("file_id", flat=True))
    assert listed == [file.pk]


def test_a_unit_admin_opens_a_file_of_their_branch_read_only(client, unit_admin, wuhan_file):
    client.force_login(unit_admin)

    response = client.get(admin_url(HardshipFile, "change", wuhan_file.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert wuhan_file.file_number in page
    assert 'name="name"' not in page  # nothing to edit
    assert "张小明" in page  # the household, inline


# ---------------------------------------------------------------- masking


def test_a_superuser_never_sees_a_full_id_number_or_bank_account_in_admin(
    client, superuser, wuhan_file
):
    client.force_login(superuser)
    pages = [
        client.get(admin_url(HardshipFile, "changelist")),
        client.get(admin_url(HardshipFile, "change", wuhan_file.pk)),
    ]

    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert WUHAN_ID not in page
        assert CHILD_ID not in page
        assert "6222021234567890123" not in page and BANK_ACCOUNT not in page
        assert wuhan_file.masked_id_number in page
    change_page = pages[1].content.decode()
    assert "**** 0123" in change_page
    assert f"{CHILD_ID[:6]}********{CHILD_ID[-4:]}" in change_page


def test_an_attachment_in_admin_links_to_the_checked_download(client, superuser, wuhan_file):
    attachment = wuhan_file.attachments.get()
    client.force_login(superuser)

    response = client.get(admin_url(Attachment, "change", attachment.pk))

    page = response.content.decode()
    assert f'href="{reverse("hardship:attachment_download", args=[attachment.pk])}"' in page
    assert attachment.content.name not in page  # never a path into the storage


# ---------------------------------------------------------------- nothing changes, nothing goes


@pytest.mark.parametrize("model", FILE_MODELS, ids=lambda m: m.__name__)
def test_not_even_a_superuser_adds_changes_or_deletes_a_files_records_in_admin(
    client, superuser, wuhan_file, model
):
    row = rows_of(model, wuhan_file).first()
    before = rows_of(model, wuhan_file).count()
    client.force_login(superuser)

    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    changelist = client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    assert rows_of(model, wuhan_file).count() == before
    change = client.get(admin_url(model, "change", row.pk))
    assert change.context["has_change_permission"] is False


# ---------------------------------------------------------------- reference data


def test_unit_admins_read_standards_and_causes_but_only_superusers_change_them(
    client, unit_admin, superuser, standards
):
    standard = MinimumLivingStandard.objects.first()
    cause = HardshipCause.objects.first()
    client.force_login(unit_admin)

    assert client.get(admin_url(MinimumLivingStandard, "changelist")).status_code == 200
    assert client.get(admin_url(HardshipCause, "changelist")).status_code == 200
    assert client.get(admin_url(MinimumLivingStandard, "add")).status_code == 403
    refused = client.post(
        admin_url(HardshipCause, "change", cause.pk),
        {"code": cause.code, "name": "改名", "name_en": cause.name_en, "position": 1},
    )
    assert refused.status_code == 403

    client.force_login(superuser)
    changed = client.post(
        admin_url(MinimumLivingStandard, "change", standard.pk),
        {"division_code": standard.division_code, "year": standard.year,
         "urban_monthly": "999.00", "rural_monthly": "888.00"},
    )  # fmt: skip
    assert changed.status_code == 302
    standard.refresh_from_db()
    assert str(standard.urban_monthly) == "999.00"


def test_a_mistyped_standard_may_be_deleted_but_a_cause_never(client, superuser, standards):
    standard = MinimumLivingStandard.objects.first()
    cause = HardshipCause.objects.first()
    client.force_login(superuser)

    client.post(admin_url(MinimumLivingStandard, "delete", standard.pk), {"post": "yes"})
    refused = client.post(admin_url(HardshipCause, "delete", cause.pk), {"post": "yes"})

    assert not MinimumLivingStandard.objects.filter(pk=standard.pk).exists()
    assert refused.status_code == 403
    assert HardshipCause.objects.filter(pk=cause.pk).exists()


def test_the_file_number_counter_is_for_superusers_to_read_only(
    client, unit_admin, superuser, wuhan_file
):
    counter = FileNumberCounter.objects.get()
    client.force_login(unit_admin)
    assert client.get(admin_url(FileNumberCounter, "changelist")).status_code == 403

    client.force_login(superuser)
    assert client.get(admin_url(FileNumberCounter, "changelist")).status_code == 200
    response = client.post(
        admin_url(FileNumberCounter, "change", counter.year), {"year": counter.year, "last": 0}
    )
    assert response.status_code == 403
    counter.refresh_from_db()
    assert counter.last == 1


# ---------------------------------------------------------------- query counts


def changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", FILE_MODELS, ids=lambda m: m.__name__)
def test_a_changelist_costs_the_same_queries_for_one_file_or_three(
    client, tree, unit_admin, caseworker, second_caseworker, model
):
    client.force_login(unit_admin)
    files = [
        a_file_with_everything(
            caseworker=caseworker,
            second=second_caseworker,
            destination=tree.yichang,
            id_number=make_id_number(birth="19800101", sequence=701 + 2 * n),
        )
        for n in range(3)
    ]
    others = [file.pk for file in files[1:]]
    HardshipFile.objects.filter(pk__in=others).update(unit=tree.hunan)  # out of sight
    FileTransfer.objects.filter(file__in=others).update(from_unit=tree.hunan, to_unit=tree.changsha)
    one = changelist_queries(client, model)

    HardshipFile.objects.filter(pk__in=others).update(unit=tree.wuhan)
    FileTransfer.objects.filter(file__in=others).update(from_unit=tree.wuhan, to_unit=tree.yichang)
    three = changelist_queries(client, model)

    assert three == one


def test_the_history_in_admin_masks_id_numbers_and_is_scoped(
    client, superuser, caseworker, sibling, standards, tree
):
    from hardship.models import HardshipFileEvent

    file = open_file(by=caseworker)
    client.force_login(superuser)

    page = client.get(reverse("admin:hardship_hardshipfileevent_changelist")).content.decode()
    event = HardshipFileEvent.objects.get(pgh_obj=file)
    detail = client.get(
        reverse("admin:hardship_hardshipfileevent_change", args=[event.pk])
    ).content.decode()

    assert file.masked_id_number in page
    assert file.id_number not in page
    assert file.id_number not in detail
