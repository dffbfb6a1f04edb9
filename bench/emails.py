"""Benchmark: the monthly report emails to 20,000 approvers, through the outbox and locmem.

Seeds, once, a throwaway database (BENCH_DATABASE_URL, default
warmth_bench_emails): 200 units under one root, 100 approvers with an address
in each, all reading Chinese, so 20,000 recipients. Each round empties the
outbox and the kept report PDFs, then times:

- the dispatch: the 1st of the month at 08:35 makes 20,000 outbox rows in one
  ``INSERT … ON CONFLICT DO NOTHING`` (``mailings.outbox.outbox_dispatch``);
- the sending: ``outbox_send`` for every row in turn, as the send tasks would,
  without the broker: claim, build as the recipient (figures of their unit,
  HTML and text), attach the unit's periodic report PDF, send through the
  locmem backend, mark sent. The PDF is rendered once per unit (200 renders,
  ``reports.documents.render_periodic_report``, WeasyPrint) and reused for
  the unit's other 99 approvers; render time is shown apart.

Beside it, measured in the same round, in turn a hundred at a time (so that
the load of other work on the machine falls on both alike): the same number of
plain EmailMultiAlternatives built from a fixed string (text, HTML alternative
and the same PDF bytes attached) and sent through locmem, one ``send()`` each.

With ``--stub-pdf`` the renderer is replaced by fixed bytes, to time the rest alone.

The bench plays the worker: it calls ``outbox_send`` for every row itself, so
the dispatch sends no task messages to a broker and the figures are those of
one worker process.

What it printed once (2 cores shared with other work, PostgreSQL on the same
machine, 200 units, real renders): 47 emails/s without renders against 184/s
for fixed messages, 3.9x. Each email then ran eleven statements, rendered two
templates, base64-encoded the 356 kB PDF twice and wrote the whole message
out once more to check it. Now (mailings/builders.py) a unit's message is built
once per language and addressed to each approver, its PDF encoded once, and a
further email costs three statements: the claim (committed on its own before
anything leaves), the row with its recipient's standing, and the mark. On a
20-unit run (2,000 emails), in turn: before 11 emails/s against 75/s, 7.1x
(load average about 5); after 45/s against 138/s, 3.1x (load average about 2).
The 1.5x goal is not met: what is left is three round trips to PostgreSQL an
email, two of them commits, and each unit's first email working its figures
out, which the fixed messages do not pay.

    .venv/bin/python bench/emails.py                    # 200 units × 100 approvers
    .venv/bin/python bench/emails.py --units 20 --per-unit 50 --stub-pdf
"""

import argparse
import logging
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from harness import database_url, django_ready

BENCH_DATABASE_URL = database_url("warmth_bench_emails")
IN_TURN = 100  # emails sent, then as many fixed messages, in turn
FIXED_TEXT = "尊敬的审批人：本月报表见附件。\n" * 20
FIXED_HTML = "<html><body>" + "<p>尊敬的审批人：本月报表见附件。</p>" * 20 + "</body></html>"


def seed(units: int, per_unit: int) -> None:
    """200 units under one root and ``per_unit`` approvers each, unless already there."""
    from django.contrib.auth.hashers import make_password

    from people.models import UnionUnit, User
    from people.services import union_unit_create

    unusable = make_password(None)

    root = UnionUnit.objects.filter(code="BENCH-MAIL").first()
    if root is None:
        root = union_unit_create(
            name="基准邮件总工会", code="BENCH-MAIL", level=1, parent=None, division_code=""
        )
    have = UnionUnit.objects.filter(parent=root).count()
    for n in range(have, units):
        union_unit_create(
            name=f"基准邮件第{n}工会",
            code=f"BENCH-MAIL-{n:03d}",
            level=2,
            parent=root,
            division_code="",
        )
    for unit in UnionUnit.objects.filter(parent=root).order_by("code")[:units]:
        missing = per_unit - User.objects.filter(unit=unit).count()
        if missing > 0:
            User.objects.bulk_create(
                User(
                    username=f"bench.mail.{unit.pk}.{k}",
                    full_name=f"审批人{k}",
                    email=f"ap{unit.pk}.{k}@example.org",
                    unit=unit,
                    is_approver=True,
                    password=unusable,
                )
                for k in range(per_unit - missing, per_unit)
            )


def round_once(*, now: datetime, stub_pdf: bool) -> dict:
    from django.core import mail

    import mailings.outbox
    import reports.documents
    from mailings.models import MonthlyReportFile, OutboxEmail
    from mailings.outbox import outbox_dispatch, outbox_send

    OutboxEmail.objects.all().delete()
    MonthlyReportFile.objects.all().delete()
    real = reports.documents.render_periodic_report
    render_seconds = []

    def timed_render(**kwargs) -> bytes:
        started = time.perf_counter()
        content = stub_bytes() if stub_pdf else real(**kwargs)
        render_seconds.append(time.perf_counter() - started)
        return content

    reports.documents.render_periodic_report = timed_render
    # The bench plays the worker, sending every row itself: no task messages to a broker.
    enqueue = mailings.outbox._enqueue
    mailings.outbox._enqueue = lambda ids, queue=None: None
    try:
        started = time.perf_counter()
        ids = outbox_dispatch(now=now)
        dispatch = time.perf_counter() - started
        mail.outbox = []
        outcomes, sending, fixed, pdf = {}, 0.0, 0.0, None
        # In turn, a hundred of ours then as many fixed messages: the load of other work on
        # the machine, which comes and goes, falls on both alike.
        for start in range(0, len(ids), IN_TURN):
            chunk = ids[start : start + IN_TURN]
            started = time.perf_counter()
            for email_id in chunk:
                outcome = outbox_send(email_id=email_id, now=now)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            sending += time.perf_counter() - started
            mail.outbox = []
            if pdf is None:  # the first report rendered: the fixed messages attach it too
                kept = MonthlyReportFile.objects.values_list("content", flat=True).first()
                pdf = bytes(kept or b"") or stub_bytes()
            fixed += baseline(len(chunk), pdf)
    finally:
        reports.documents.render_periodic_report = real
        mailings.outbox._enqueue = enqueue
    return {
        "emails": len(ids),
        "outcomes": outcomes,
        "dispatch": dispatch,
        "sending": sending,
        "baseline": fixed,
        "renders": len(render_seconds),
        "render_seconds": sum(render_seconds),
        "pdf": pdf or b"",
    }


def baseline(count: int, pdf: bytes) -> float:
    """Seconds to build and send ``count`` fixed messages through locmem."""
    from django.core import mail
    from django.core.mail import EmailMultiAlternatives

    mail.outbox = []
    started = time.perf_counter()
    for n in range(count):
        message = EmailMultiAlternatives(
            subject="武汉市总工会月度报表：2026年11月",
            body=FIXED_TEXT,
            to=[f"ap{n}@example.org"],
            headers={"Content-Language": "zh-hans"},
        )
        message.attach_alternative(FIXED_HTML, "text/html")
        message.attach("report.pdf", pdf, "application/pdf")
        message.send()
        if len(mail.outbox) >= 1000:
            mail.outbox = []
    return time.perf_counter() - started


def stub_bytes() -> bytes:
    return b"%PDF-1.4\n" + b"0" * 60_000 + b"\n%%EOF\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--per-unit", type=int, default=100, help="Approvers per unit.")
    parser.add_argument("--repeat", type=int, default=1, help="Timed rounds.")
    parser.add_argument("--stub-pdf", action="store_true", help="Fixed bytes for the PDF.")
    args = parser.parse_args()

    django_ready(BENCH_DATABASE_URL, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    from django.conf import settings
    from django.utils import timezone

    from mailings.choices import EmailKind
    from mailings.models import EmailSchedule

    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # a line per page otherwise
    seed(args.units, args.per_unit)
    EmailSchedule.objects.filter(kind=EmailKind.MONTHLY_REPORT).update(
        enabled=True, day_of_month=1, hour=8, minute=30
    )
    EmailSchedule.objects.exclude(kind=EmailKind.MONTHLY_REPORT).update(enabled=False)
    today = timezone.localdate()
    now = datetime(today.year, today.month, 1, 8, 35, tzinfo=ZoneInfo(settings.TIME_ZONE))

    rounds, baselines = [], []
    for n in range(args.repeat):
        result = round_once(now=now, stub_pdf=args.stub_pdf)
        rounds.append(result)
        baselines.append(result["baseline"])
        print(
            f"round {n + 1}: {result['emails']:,} emails {result['outcomes']}, "
            f"{result['renders']} PDF renders",
            flush=True,
        )
    emails = rounds[0]["emails"]
    sending = statistics.median(r["sending"] for r in rounds)
    renders = statistics.median(r["render_seconds"] for r in rounds)
    dispatch = statistics.median(r["dispatch"] for r in rounds)
    base = statistics.median(baselines)
    pdf_kind = "stub" if args.stub_pdf else "WeasyPrint"
    print(f"{args.units} units × {args.per_unit} approvers = {emails:,} emails, "
          f"PDF: {pdf_kind}, {len(rounds[0]['pdf']):,} bytes; median of {args.repeat} round(s)")  # fmt: skip
    print(f"  dispatch (outbox rows)      {dispatch:8.2f} s   {emails / dispatch:9,.0f} rows/s")
    print(f"  send, all included          {sending:8.2f} s   {emails / sending:9,.0f} emails/s")
    print(f"    of which PDF renders      {renders:8.2f} s   ({rounds[0]['renders']} renders, "
          f"{renders / max(rounds[0]['renders'], 1):.2f} s each)")  # fmt: skip
    rest = sending - renders
    print(f"    without the renders       {rest:8.2f} s   {emails / rest:9,.0f} emails/s")
    print(f"  baseline (fixed messages)   {base:8.2f} s   {emails / base:9,.0f} emails/s   "
          f"→ the outbox's send is {rest / base:.1f}x the baseline without renders")  # fmt: skip


if __name__ == "__main__":
    main()
