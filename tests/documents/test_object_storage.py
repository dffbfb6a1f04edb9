"""Stored files in an S3-compatible object store (STORAGE_S3_BUCKET), tried against a real S3
API: moto's server on localhost. Uploads land in the bucket, generated documents too, and both
come back only through the permission-checked views."""

import socket

import boto3
import pytest
from django.core.files.storage import default_storage, storages
from django.urls import reverse

from documents.models import GeneratedDocument
from documents.services import document_run
from hardship.file_card import file_card_request
from hardship.models import Attachment
from tests.factories import open_file
from tests.hardship.test_attachments import image_bytes, upload

BUCKET = "warmth-files"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint, monkeypatch):
    """The default storage pointed at a fresh bucket, as STORAGE_S3_BUCKET configures it."""
    keys = {"access_key": "test-only", "secret_key": "test-only-secret"}
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=keys["access_key"],
        aws_secret_access_key=keys["secret_key"],
    )
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
                **keys,
            },
        },
    }
    yield s3.Bucket(BUCKET)
    s3.Bucket(BUCKET).objects.all().delete()
    s3.Bucket(BUCKET).delete()


def test_the_configured_store_is_the_object_store(bucket):
    assert type(storages["default"]).__name__ == "S3Storage"
    assert default_storage.exists("nothing-here") is False


def test_an_uploaded_scan_is_an_object_in_the_bucket_and_comes_back_through_the_file_page(
    caseworker_client, caseworker, bucket
):
    file = open_file(by=caseworker)
    photo = image_bytes("PNG")

    response = caseworker_client.post(
        reverse("hardship:attachment_upload", args=[file.pk]),
        {"kind": "income", "upload": upload("工资流水.png", photo, "image/png")},
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    keys = [o.key for o in bucket.objects.all()]
    assert keys == [attachment.content.name]
    download = caseworker_client.get(reverse("hardship:attachment_download", args=[attachment.pk]))
    assert b"".join(download.streaming_content) == photo


def test_a_sibling_branch_gets_nothing_from_the_bucket(client, caseworker, sibling, bucket):
    file = open_file(by=caseworker)
    caseworker_client = client
    caseworker_client.force_login(caseworker)
    caseworker_client.post(
        reverse("hardship:attachment_upload", args=[file.pk]),
        {"kind": "income", "upload": upload("工资流水.png", image_bytes("PNG"), "image/png")},
    )
    attachment = Attachment.objects.get()

    client.force_login(sibling)
    response = client.get(reverse("hardship:attachment_download", args=[attachment.pk]))

    assert response.status_code == 404


def test_a_generated_pdf_is_stored_in_the_bucket_and_downloaded_through_the_app(
    caseworker_client, caseworker, bucket
):
    file = open_file(by=caseworker)
    document = file_card_request(file=file, by=caseworker, language="zh-hans")

    assert document_run(document_id=document.pk) == "done"

    document = GeneratedDocument.objects.get(pk=document.pk)
    assert document.result.name in [o.key for o in bucket.objects.all()]
    response = caseworker_client.get(reverse("documents:document_download", args=[document.pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # The bucket's own address is never handed out: the app streams the file.
    assert "X-Amz" not in response.get("Location", "")
