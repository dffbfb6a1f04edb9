"""Attachments (证明材料): the scans and photos that prove what a file says, and keeping them.
Who may add one is ``may_add_attachment`` (hardship/selectors.py); what an upload really is
and how it is kept is documents/uploads.py.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from documents.uploads import upload_check, upload_store
from hardship.choices import AttachmentKind
from hardship.models import Attachment, HardshipFile
from hardship.selectors import may_add_attachment
from people.models import User


def attachments_of_file(*, file: HardshipFile) -> QuerySet[Attachment]:
    """A file's attachments, oldest first, with who uploaded each (one query).

    The caller has already fetched ``file`` through the access rules.
    """
    return file.attachments.select_related("uploaded_by").order_by("uploaded_at", "id")


def attachment_add(*, file: HardshipFile, by: User, upload, kind: str) -> Attachment:
    """Attach a checked scan or photo to an active file of the caseworker's branch.

    The content type, size and sha256 are taken from the bytes; the browser's
    claimed type is ignored. Side effects: the content is written to the
    default storage under MEDIA_ROOT (and removed again if the row cannot be
    written); one Attachment row. Raises PermissionDenied, or RuleBroken with
    the problem on ``upload`` or ``kind``, or on no field when the file is not
    active.
    """
    # Refused before the bytes are read, and again on the locked row before they are kept.
    may_add_attachment(by, file).enforce()
    if kind not in AttachmentKind.values:
        raise RuleBroken({"kind": _("Choose what the attachment proves.")})
    checked = upload_check(upload)
    with transaction.atomic():
        # Locked, so the file cannot be closed between the check and the write.
        file = (
            HardshipFile.objects.select_for_update(of=("self",))
            .select_related("unit")
            .get(pk=file.pk)
        )
        may_add_attachment(by, file).enforce()
        return upload_store(Attachment(file=file, kind=kind, uploaded_by=by), checked)
