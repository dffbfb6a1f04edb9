"""A monthly report is built once per unit and language, then addressed to each approver.

What is shared is what every recipient with the same key would have been sent anyway:
the figures of their unit's branch. Each still gets their own name, their own language,
and nothing they may not have; a digest, which names a person's own households and
follow-ups, is never shared.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailings.builders import NotForThisRecipient, email_message
from mailings.choices import EmailKind
from mailings.models import OutboxEmail
from mailings.outbox import outbox_dispatch, outbox_send
from tests.factories import UserFactory
from tests.mailings.conftest import MONDAY_0805, attachments_of, set_schedule
from tests.mailings.test_builders import (
    FIRST_OF_DECEMBER,
    dispatch_and_send,
    html_of,
    reports_only,
)
from tests.visits.test_visits import follow_up, household, log, today
from visits.models import FollowUp

pytestmark = pytest.mark.usefixtures("standards")
# What sending one more email of a kept message may read or write: the row, the recipient
# and their unit, the campaign a row may name, the recipient's opt-outs and sending health.
# Nothing a report's figures are counted from (files, visits, funds, tallies).
SENDING_TABLES = {
    "mailings_outboxemail",
    "people_user",
    "people_unionunit",
    "visits_campaign",
    "mailings_emailoptout",
    "mailings_mailrecipient",
}


def approvers_of(unit, count: int, **fields) -> list:
    return [
        UserFactory(
            unit=unit,
            is_approver=True,
            is_caseworker=False,
            email=f"{unit.code.lower()}.ap{n}@example.org",
            **{"full_name": f"审批人{n}", **fields},
        )
        for n in range(count)
    ]


def tables(sqls: list[str]) -> set[str]:
    return {table for sql in sqls for table in re.findall(r'(?:FROM|JOIN|UPDATE) "(\w+)"', sql)}


def send_each(ids: list[int]) -> list[list[str]]:
    """Send each email in turn; the SQL each one ran."""
    queries = []
    for email_id in ids:
        with CaptureQueriesContext(connection) as captured:
            outbox_send(email_id=email_id, now=FIRST_OF_DECEMBER)
        queries.append([query["sql"] for query in captured.captured_queries])
    return queries


def test_a_units_later_approvers_cost_three_statements_each_and_never_count_figures_again(
    tree, approver, rendered_reports
):
    approvers_of(tree.wuhan, 4)
    reports_only()

    queries = send_each(outbox_dispatch(now=FIRST_OF_DECEMBER))

    assert len(mail.outbox) == 5
    first, *later = queries
    assert tables(first) - SENDING_TABLES  # the first works the figures out
    # The claim, the row with its recipient's standing, the mark (with the end of any run of
    # failures): however many approvers the unit has.
    assert [len(sqls) for sqls in later] == [3, 3, 3, 3]
    assert [tables(sqls) <= SENDING_TABLES for sqls in later] == [True] * 4
    assert rendered_reports == [(tree.wuhan.pk, "2026-11")]


def test_each_approver_of_a_unit_is_greeted_by_name_over_the_same_figures(
    tree, approver, rendered_reports
):
    [other] = approvers_of(tree.wuhan, 1, full_name="<b>王</b>&小明")
    reports_only()

    messages = dispatch_and_send(FIRST_OF_DECEMBER)

    mine, theirs = messages["wuhan.ap@example.org"], messages[other.email]
    assert "陈静" in mine.body and "陈静" in html_of(mine)
    assert "<b>王</b>&小明" in theirs.body
    assert "&lt;b&gt;王&lt;/b&gt;&amp;小明" in html_of(theirs)
    assert "<b>王</b>" not in html_of(theirs)
    assert "陈静" not in theirs.body + html_of(theirs)
    assert mine.body.replace("陈静", "<b>王</b>&小明") == theirs.body
    assert mine.subject == theirs.subject
    assert attachments_of(mine) == attachments_of(theirs)


def test_approvers_reading_different_languages_each_get_their_own(tree, approver, rendered_reports):
    [english] = approvers_of(tree.wuhan, 1, language="en")
    reports_only()

    messages = dispatch_and_send(FIRST_OF_DECEMBER)

    chinese, in_english = messages["wuhan.ap@example.org"], messages[english.email]
    assert "月度报表" in chinese.subject
    assert chinese.extra_headers["Content-Language"] == "zh-hans"
    assert in_english.subject.startswith("Monthly report of")
    assert in_english.extra_headers["Content-Language"] == "en"
    assert "Money paid out" in in_english.body
    assert "月度报表" not in in_english.body + html_of(in_english)
    # One report each language (its PDF is in that language too).
    assert rendered_reports == [(tree.wuhan.pk, "2026-11")] * 2


def test_a_sibling_units_approver_gets_their_own_units_report(tree, approver, rendered_reports):
    [hunan] = approvers_of(tree.hunan, 1)
    reports_only()

    messages = dispatch_and_send(FIRST_OF_DECEMBER)

    theirs = messages[hunan.email]
    assert "湖南省总工会" in theirs.subject
    assert "武汉" not in theirs.subject + theirs.body + html_of(theirs)
    [(name, _content, _type)] = attachments_of(theirs)
    assert name.startswith(tree.hunan.code)


def test_a_kept_message_is_never_handed_to_someone_who_may_not_have_it(
    tree, approver, caseworker, rendered_reports
):
    reports_only()
    [email_id] = outbox_dispatch(now=FIRST_OF_DECEMBER)
    outbox_send(email_id=email_id, now=FIRST_OF_DECEMBER)  # the unit's message is now kept
    # A row for a caseworker of the same unit, who is no approver (no dispatch makes one).
    row = OutboxEmail(
        recipient=caseworker,
        kind=EmailKind.MONTHLY_REPORT,
        period="2026-11",
        address=caseworker.email,
    )

    with pytest.raises(NotForThisRecipient):
        email_message(email=row, recipient=caseworker)


def test_two_caseworkers_of_one_unit_each_get_a_digest_of_their_own(
    tree, caseworker, second_caseworker
):
    second_caseworker.email = "wuhan.cw2@example.org"
    second_caseworker.save(update_fields=["email"])
    for person, problem in ((caseworker, "医保报销未到账"), (second_caseworker, "房屋漏雨未修")):
        file = household(by=person, unit=tree.jiangan, name=f"{person.full_name}的户主")
        log(file, person, follow_ups=[follow_up(person, problem=problem)])
    FollowUp.objects.update(due_on=today() - timedelta(days=3))
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)

    messages = dispatch_and_send(MONDAY_0805)

    mine, theirs = messages["wuhan.cw@example.org"], messages["wuhan.cw2@example.org"]
    assert "李建国的户主" in mine.body and "刘洋的户主" not in mine.body
    assert "刘洋的户主" in theirs.body and "李建国的户主" not in theirs.body
