"""A household's own record (本户信息查阅): everything Warmth holds on one file, as one PDF.

PIPL gives a person the right to see what is held on them. On the household's
request an approver of the file's branch prints the file's fields in full
(the full ID numbers too: it is the household's own data), its members, its
timeline and field history, its home verifications, the list of its
attachments (not their content), who saw its full ID numbers, earlier prints
of this record, and what the apps above add through ``HOUSEHOLD_RECORD``
(visits, help, follow-ups, pairings; aid payments).

The PDF is made in the request and not kept: a stored copy would be one more
place holding full ID numbers. Each print is recorded (HouseholdRecordPrint),
and counts as a view of the full ID numbers (IdNumberView, purpose "record").
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.pdf import render_pdf
from hardship.models import HardshipFile, HouseholdRecordPrint, IdNumberView
from hardship.selectors import file_changes, may_print_household_record
from hardship.slots import HOUSEHOLD_RECORD
from people.models import User

TEMPLATE = "pdf/household_record.html"


def household_record_context(*, file: HardshipFile, printed: HouseholdRecordPrint) -> dict:
    """What templates/pdf/household_record.html shows of ``file``: all of it, ID numbers in full."""
    return {
        "file": file,
        "print": printed,
        "members": list(file.members.all()),
        "secondary_causes": [str(cause) for cause in file.secondary_causes.all()],
        "transitions": list(file.transitions.select_related("by")),
        "changes": file_changes(file=file),
        "verifications": list(
            file.verifications.select_related("recorded_by").prefetch_related("verifiers")
        ),
        "attachments": list(file.attachments.select_related("uploaded_by")),
        "id_views": list(
            IdNumberView.objects.filter(file=file).select_related("user").order_by("-at", "-id")
        ),
        "prints": list(file.record_prints.select_related("printed_by").exclude(pk=printed.pk)),
        "sections": HOUSEHOLD_RECORD.sections(file=file),
        "printed_on": timezone.localdate().isoformat(),
    }


def household_record_file_name(file: HardshipFile) -> str:
    """The download's name, in the reader's language: the file number and what it is."""
    # Outside the f-string, where makemessages finds it.
    what = _("household record")
    return f"{file.file_number}-{what}.pdf"


@transaction.atomic
def household_record_print(*, file: HardshipFile, by: User, reason: str) -> bytes:
    """Print everything held on ``file``'s household as a PDF, at its request (``reason``).

    Raises PermissionDenied unless ``by`` is an approver of the file's branch.
    Side effects: a HouseholdRecordPrint row and an IdNumberView row (purpose
    "record"), both kept only if the PDF is made.
    """
    may_print_household_record(by, file).enforce()
    printed = HouseholdRecordPrint.objects.create(file=file, printed_by=by, reason=reason.strip())
    IdNumberView.objects.create(user=by, file=file, purpose=IdNumberView.Purpose.RECORD)
    return render_pdf(TEMPLATE, household_record_context(file=file, printed=printed))
