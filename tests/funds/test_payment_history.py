"""A payment's corrections are kept by history triggers, bulk UPDATEs included.

Each trigger row reads its history context through _pgh_attach_context(), which django-pghistory
wrote with a subtransaction per row: outside a context every one rolled back and walked all the
trigger events the statement had queued, so an UPDATE of n payments cost n² (a province's
290,000 bank results: 565 s). common/trigger_functions.py reads it without one; these
tests hold what the triggers keep.
"""

import pghistory
import pytest
from django.db import connection

from funds.models import Disbursement, DisbursementEvent
from tests.funds.test_disbursements import propose
from tests.visits.test_visits import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments(funded, caseworker, tree):
    names = ("陈桂兰", "李建国", "王秀英", "张志毅")
    files = [household(by=caseworker, unit=tree.jiangan, name=name) for name in names]
    return [propose(caseworker, file, funded, "500") for file in files]


def _update(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_one_update_of_many_payments_keeps_one_event_per_corrected_payment(payments):
    ids = [payment.pk for payment in payments]
    corrected = ids[:3]
    _update(
        "UPDATE funds_disbursement SET description = CASE WHEN id = ANY(%s) THEN '米面油' "
        "ELSE description END WHERE id = ANY(%s)",
        [corrected, ids],
    )
    events = DisbursementEvent.objects.filter(pgh_obj_id__in=ids)
    assert sorted(events.values_list("pgh_obj_id", flat=True)) == sorted(corrected)
    assert set(events.values_list("description", "pgh_label")) == {("米面油", "update")}


def test_a_change_to_the_payments_life_alone_keeps_no_event(payments):
    # Its life (proposed, approved, paid) is in its own columns; a province's batch moves
    # 700,000 payments at once.
    ids = [payment.pk for payment in payments]
    _update(
        "UPDATE funds_disbursement SET proposed_at = proposed_at - interval '1 hour' "
        "WHERE id = ANY(%s)",
        [ids],
    )
    assert not DisbursementEvent.objects.filter(pgh_obj_id__in=ids).exists()


def test_events_of_one_statement_share_its_context(payments, caseworker):
    ids = [payment.pk for payment in payments]
    with pghistory.context(user=caseworker.pk):
        Disbursement.objects.filter(pk__in=ids).update(description="助学")
    contexts = DisbursementEvent.objects.filter(pgh_obj_id__in=ids).values_list(
        "pgh_context__metadata", flat=True
    )
    assert len(contexts) == len(ids)
    assert {context["user"] for context in contexts} == {caseworker.pk}


def test_a_guard_holds_unless_it_is_named_to_be_ignored(funded):
    # _pgtrigger_should_ignore reads pgtrigger.ignore without a subtransaction now, and still
    # lets through only the triggers a caller names.
    import pgtrigger
    from django.db import DatabaseError, transaction

    from funds.models import LedgerTransaction

    receipts = LedgerTransaction.objects.filter(fund=funded)
    with pytest.raises(DatabaseError), transaction.atomic():
        receipts.update(memo="改过")
    other_guard = "funds.Entry:ledger_entry_is_never_changed"
    with pgtrigger.ignore(other_guard), pytest.raises(DatabaseError), transaction.atomic():
        receipts.update(memo="改过")
    with pgtrigger.ignore("funds.LedgerTransaction:ledger_transaction_is_never_changed"):
        assert receipts.update(memo="改过") == 1
