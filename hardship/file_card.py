"""The hardship file card (困难职工档案表): one file on one or two A4 pages, to print and sign.

The card shows the worker, the household members, the economics, causes, needs
and category, and a block for the signatures unions collect on paper
(applicant, the caseworker who handled it, the approver, with dates and the
unit's seal). ID numbers are always masked on paper, whoever asks: a printed
sheet cannot record who read it, and the full number is one click away on the
file's page for those allowed to see it (and recorded there). Free text is
cut to what fits on two pages; the file's page keeps all of it.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.models import GeneratedDocument
from documents.pdf import PDF_CONTENT_TYPE, render_pdf
from documents.services import (
    BackLink,
    JobContext,
    Produced,
    back_link,
    document_request,
    producer,
)
from hardship.models import HardshipFile
from hardship.selectors import may_request_file_card
from people.access import scope_to_user
from people.models import User

TEMPLATE = "pdf/file_card.html"
# Characters of notes and reasons printed; the rest stays on the file's page.
NOTES_ON_PAPER = 600


class FileNotFound(Exception):
    """The file is missing, or outside the requester's branch."""


def file_card_context(file: HardshipFile) -> dict:
    """What templates/pdf/file_card.html shows of ``file``, ID numbers masked."""
    notes = file.notes.strip()
    return {
        "file": file,
        "members": list(file.members.all()),
        "secondary_causes": [str(cause) for cause in file.secondary_causes.all()],
        "needs": file.needs,
        "notes": notes[:NOTES_ON_PAPER],
        "notes_cut": len(notes) > NOTES_ON_PAPER,
        "override_reason": file.category_override_reason[:NOTES_ON_PAPER],
        "printed_on": timezone.localdate().isoformat(),
    }


def file_card_pdf_render(*, file_id: int, user: User) -> tuple[HardshipFile, bytes]:
    """The card of file ``file_id`` as ``user`` may see it; raises FileNotFound otherwise."""
    files = scope_to_user(
        HardshipFile.objects.select_related("unit", "main_cause"), user=user, unit_path="unit__path"
    )
    try:
        file = files.get(pk=file_id)
    except HardshipFile.DoesNotExist:
        raise FileNotFound(_("The file was not found.")) from None
    return file, render_pdf(TEMPLATE, file_card_context(file))


@producer("file_card_pdf")
def file_card_pdf(job: JobContext) -> Produced:
    """params: file_id; optional language."""
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        job.progress(0, 1)
        file, content = file_card_pdf_render(
            file_id=job.params["file_id"], user=job.document.requested_by
        )
        job.progress(1, 1)
        return Produced(content, file_card_file_name(file), PDF_CONTENT_TYPE)


def file_card_file_name(file: HardshipFile) -> str:
    """The download's name in the reader's language: the file number and what it is."""
    what = _("hardship file card")  # outside the f-string, where makemessages finds it
    return f"{file.file_number}-{what}.pdf"


@back_link("file_card_pdf")
def file_card_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The file the card was printed from."""
    file = (
        scope_to_user(HardshipFile.objects.all(), user=user, unit_path="unit__path")
        .filter(pk=int(document.params["file_id"]))
        .first()
    )
    if file is None:
        return None
    return BackLink(file.get_absolute_url(), _("Back to the file"))


def file_card_request(*, file: HardshipFile, by: User, language: str) -> GeneratedDocument:
    """Ask for the card of ``file`` as a PDF, which a worker makes.

    Raises PermissionDenied outside ``by``'s branch, JobAlreadyRunning when ``by`` has
    asked for this card and it is not made yet. Side effects: those of
    ``document_request`` (a GeneratedDocument row; a Celery message once the
    transaction commits).
    """
    may_request_file_card(by, file).enforce()
    return document_request(
        kind="file_card_pdf",
        title=_("Hardship file card of %(name)s") % {"name": file.name},
        by=by,
        unit=file.unit,
        params={"file_id": file.pk, "language": language},
        dedupe_key=f"file_card:{file.pk}:{by.pk}",
    )
