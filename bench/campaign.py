"""Benchmark: the server side of a whole winter campaign, step by step, beside plain SQL.

A county (``--size county``: 红安县 of ``manage.py seed_demo --county``, 5,000 households on
file, in a database of its own, seeded when missing) or a province (``--size province``:
the 731,960 households on record of bench/files.py's 1,000,000-file database, reused) runs
its winter campaign through the services the pages and jobs call, in this process:

  build the lists            visits.campaigns.visit_lists_build
  approve every list         visits.campaigns.visit_lists_approve_all
  propose the visit money    funds.batches.batch_propose
  approve the batch          funds.batches.batch_approve
  bank file out              funds.bank.bank_run_make, then bank_file_content (CSV)
  rosters for every team     funds.rosters.roster_for and roster_pages: every team's sheets
                             of the cash roster, as the print job reads them
  bank result in             funds.bank.bank_results_import, in files of at most
                             MAX_RESULT_ROWS lines (1 line in 100 failed)
  tick every sheet signed    funds.rosters.roster_teams_sign: every team marked at once

Each step is timed beside a plain-SQL baseline writing (or reading) the same rows in the
same tables, for a twin campaign that goes through the same states: INSERT … SELECT of the
lists and their rows, UPDATE of the lists, INSERT … SELECT of the payments, UPDATE of
them, INSERT … SELECT of the bank lines and a SELECT written out as CSV, one SELECT of the
roster, the result CSV read and applied by two UPDATEs, one UPDATE of the cash lines. The
ledger transactions the baselines' rows must point to are posted untimed. The service and
its baseline take turns going first, step by step and round by round.

Every round is a fresh campaign (and twin), so the planner's statistics know nothing of its
rows, as for any real campaign; both are deleted afterwards (behind the ledger's guards),
their tables vacuumed. The plans the steps ran are printed: every statement of
--plan-ms or more is explained as it ran (auto_explain: ANALYZE, BUFFERS), and the
heaviest of each step is shown compactly, estimated rows beside the rows really read.

    .venv/bin/python bench/campaign.py                    # the county, warmth_bench_county
    .venv/bin/python bench/campaign.py --size province    # warmth_bench_files (bench/files.py)
    .venv/bin/python bench/campaign.py --repeat 3 --plan-ms 20

BENCH_DATABASE_URL overrides either database.
"""

import argparse
import csv
import io
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from harness import (
    LIST_ROWS_BASELINE_SQL,
    LISTS_BASELINE_SQL,
    PAYMENTS_BASELINE_SQL,
    PRODUCTION_LIKE,
    campaigns_delete,
    database_url,
    different_list_rows,
    django_ready,
    execute,
    median_p95,
    plans_logged,
    use_redis,
)

DATABASES = {"county": "warmth_bench_county", "province": "warmth_bench_files"}
# Every campaign a run makes starts with this; a run stopped half-way leaves some, which the
# next run deletes first.
NAME = "基准：整场活动"
FUND_NAME = "基准：整场活动资金"
# The memo of the ledger transactions posted for the baselines' rows.
BASELINE_MEMO = "基准：基线"
STANDARDS = {"deep": Decimal(1000), "relative": Decimal(800), "accident": Decimal(1500)}
FAILED_EVERY = 100  # one bank line in this many comes back failed
RESULT_HEADER = ["付款编号", "金额", "结果", "银行流水号", "失败原因"]
TOUCHED_TABLES = (
    "visits_visitlist, visits_visitlistrow, funds_disbursement, funds_disbursementevent, "
    "funds_bankpaymentline, funds_entry, funds_ledgertransaction, funds_account"
)


@dataclass
class Step:
    label: str
    rows: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    in_sql: list[float] = field(default_factory=list)
    plans: list = field(default_factory=list)
    baseline_plans: list = field(default_factory=list)


@dataclass
class Round:
    """One campaign and its twin, and what the steps made of them."""

    campaign: object
    twin: object
    fund: object
    found: dict = field(default_factory=dict)
    posted: list[int] = field(default_factory=list)


# ====================================================================== setting up


def prepare(size: str, media_root: str):
    """Django on the size's database, seeded when missing; the organiser and its two people."""
    use_redis(None)
    django_ready(
        database_url(DATABASES[size]), **PRODUCTION_LIKE, MEDIA_ROOT=media_root,
        LOG_LEVEL="WARNING",
    )  # fmt: skip
    from people.models import UnionUnit, User

    if size == "county":
        from django.core.management import call_command

        from demo.county import COUNTY, COUNTY_USERS, county_exists

        if not county_exists():
            started = time.perf_counter()
            call_command("seed_demo", county=True, verbosity=0)
            print(f"seeded the demo and its county in {time.perf_counter() - started:.0f} s\n")
        organiser = UnionUnit.objects.get(code=COUNTY[0])
        caseworker, approver = (User.objects.get(username=u) for u, _n, _r in COUNTY_USERS)
        return organiser, caseworker, approver
    import files

    organiser = files.seed(20_000, 1_000_000)
    people = []
    for role, name in (("caseworker", "基准经办人"), ("approver", "基准审批人")):
        user, _created = User.objects.get_or_create(
            username=f"bench.campaign.{role}.{organiser.pk}",
            defaults={"unit": organiser, "full_name": name, f"is_{role}": True},
        )
        people.append(user)
    return organiser, *people


def fund_with(organiser, *, amount: Decimal, caseworker, approver):
    """The bench's fund at ``organiser``, topped up to ``amount`` available (untimed)."""
    from django.utils import timezone

    from funds.choices import FundKind, ReceiptSource
    from funds.models import Fund
    from funds.selectors import fund_balance
    from funds.services import fund_create, receipt_record

    fund = Fund.objects.filter(unit=organiser, name=FUND_NAME).first() or fund_create(
        unit=organiser, name=FUND_NAME, kind=FundKind.WARMTH, by=approver
    )
    short = amount - fund_balance(fund).available
    while short > 0:
        part = min(short, Decimal(900_000_000))
        receipt_record(fund=fund, source=ReceiptSource.GOVERNMENT, amount=part,
                       received_on=timezone.localdate(), by=caseworker)  # fmt: skip
        short -= part
    return fund


def fresh_round(organiser, caseworker, approver, households: int) -> Round:
    """A new campaign with its standards and budget, and its twin for the baselines (a year
    earlier, so the twin's payments never count toward the campaign's yearly caps)."""
    from django.utils import timezone

    from funds.services import budget_set
    from visits.campaigns import campaign_create

    today = timezone.localdate()
    stamp = timezone.now().strftime("%H%M%S")
    campaign, twin = (
        campaign_create(
            by=approver, season="winter", year=year, name=f"{NAME}（{label} {stamp}）",
            starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=60),
            organiser=organiser, aid_standards=STANDARDS,
        )
        for year, label in ((today.year, "服务"), (today.year - 1, "基线"))
    )  # fmt: skip
    needed = Decimal(households) * max(STANDARDS.values())
    fund = fund_with(organiser, amount=2 * needed, caseworker=caseworker, approver=approver)
    budget_set(campaign=campaign, unit=organiser, fund=fund, amount=min(needed, Decimal(10**9)),
               by=approver)  # fmt: skip
    return Round(campaign, twin, fund)


def leftovers_delete() -> None:
    """The campaigns of a run stopped half-way, and its baselines' transactions."""
    from funds.models import LedgerTransaction
    from visits.models import Campaign

    stale = list(Campaign.objects.filter(name__startswith=NAME).values_list("pk", flat=True))
    posted = LedgerTransaction.objects.filter(memo=BASELINE_MEMO).values_list("pk", flat=True)
    if stale or posted:
        campaigns_delete(stale, list(posted))
        print(f"deleted {len(stale)} campaigns a stopped run left behind\n")


def post(r: Round, by, kind: str, moves: list[tuple[str, Decimal]]):
    """A ledger transaction for a baseline's rows to point to (untimed)."""
    from funds.ledger import Line, account_for, ledger_post

    lines = []
    for account, amount in moves:
        kind_, _, purpose = account.partition(":")
        lines.append(Line(account_for(r.fund, kind_, purpose=purpose), amount))
    posted = ledger_post(kind=kind, fund=r.fund, by=by, memo=BASELINE_MEMO, lines=lines)
    r.posted.append(posted.pk)
    return posted


# ====================================================================== the steps


def steps_of(r: Round, organiser, caseworker, approver):
    """(label, service, baseline, untimed before both, untimed after both) of each step; the
    service and the baseline return the rows they handled (or how to count them)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models import Sum

    from funds.bank import (
        MAX_RESULT_ROWS,
        bank_file_content,
        bank_results_import,
        bank_run_make,
    )
    from funds.batches import batch_approve, batch_propose
    from funds.choices import AccountKind, TransactionKind
    from funds.models import BankPaymentLine, BankPaymentRun, Disbursement, DisbursementBatch
    from funds.rosters import roster_for, roster_pages, roster_teams_sign
    from visits.campaigns import visit_lists_approve_all, visit_lists_build

    c, t = r.campaign, r.twin
    branch = organiser.path + "%"
    found = r.found

    # ---- build
    def build():
        return visit_lists_build(campaign=c, unit=organiser)

    def build_plain():
        execute(LISTS_BASELINE_SQL, [t.pk, branch])
        rows = execute(LIST_ROWS_BASELINE_SQL, {"campaign": t.pk, "branch": branch})
        execute(
            "UPDATE visits_visitlist vl SET row_count = n.rows, built_at = now() FROM "
            "(SELECT visit_list_id, count(*) AS rows FROM visits_visitlistrow "
            "WHERE campaign_id = %s GROUP BY visit_list_id) n WHERE vl.id = n.visit_list_id",
            [t.pk],
        )
        return rows

    # ---- approve the lists
    def approve_lists():
        return len(visit_lists_approve_all(campaign=c, unit=organiser, by=approver))

    def approve_lists_plain():
        return execute(
            "UPDATE visits_visitlist SET status = 'approved', approved_by_id = %s, "
            "approved_at = now() WHERE campaign_id = %s AND status = 'ready'",
            [approver.pk, t.pk],
        )

    # ---- propose
    def propose():
        found["batch"] = batch_propose(campaign=c, unit=organiser, fund=r.fund, by=caseworker)
        return Disbursement.objects.filter(batch=found["batch"]).count

    def propose_plain():
        found["twin_batch"] = DisbursementBatch.objects.create(
            campaign=t, unit=organiser, fund=r.fund, purpose="visit_money", proposed_by=caseworker
        )
        return execute(
            PAYMENTS_BASELINE_SQL,
            {"payer": organiser.pk, "fund": r.fund.pk, "year": t.year, "baseline": t.pk,
             "batch": found["twin_batch"].pk, "by": caseworker.pk, "campaign": t.pk},
        )  # fmt: skip

    # ---- approve the batch
    def approve():
        found["batch"] = batch_approve(batch=found["batch"], by=approver)
        return Disbursement.objects.filter(batch=found["batch"], status="approved").count

    def approve_plain_setup():
        total = Disbursement.objects.filter(batch=found["twin_batch"]).aggregate(
            total=Sum("amount")
        )["total"]
        found["twin_reservation"] = post(
            r, approver, TransactionKind.RESERVATION,
            [(AccountKind.AVAILABLE, -total), (AccountKind.RESERVED, total)],
        )  # fmt: skip

    def approve_plain():
        return execute(
            "UPDATE funds_disbursement SET status = 'approved', approved_by_id = %s, "
            "approved_at = now(), reservation_id = %s WHERE batch_id = %s AND status = 'proposed'",
            [approver.pk, found["twin_reservation"].pk, found["twin_batch"].pk],
        )

    # ---- the bank file
    def bank_out():
        found["run"] = bank_run_make(batch=found["batch"], by=caseworker, reason="基准：代发")
        content, _name, _type = bank_file_content(found["run"], "csv")
        found["bank_file"] = content
        return found["run"].lines.count

    def bank_out_plain():
        run = BankPaymentRun.objects.create(batch=found["twin_batch"], made_by=caseworker)
        found["twin_run"] = run
        rows = execute(
            """INSERT INTO funds_bankpaymentline
                   (run_id, disbursement_id, reference, account, account_masked, bank_name,
                    amount, status, bank_reference, failure_reason, decision_reason)
               SELECT %(run)s, d.id, 'B' || %(run)s || '-' || row_number() OVER (ORDER BY d.id),
                      f.bank_account, '****', f.bank_name, d.amount, 'sent', '', '', ''
               FROM funds_disbursement d JOIN hardship_hardshipfile f ON f.id = d.file_id
               WHERE d.batch_id = %(batch)s AND d.status = 'approved' AND f.bank_account <> ''""",
            {"run": run.pk, "batch": found["twin_batch"].pk},
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT l.reference, f.name, l.account, l.bank_name, l.amount
                   FROM funds_bankpaymentline l
                   JOIN funds_disbursement d ON d.id = l.disbursement_id
                   JOIN hardship_hardshipfile f ON f.id = d.file_id
                   WHERE l.run_id = %s ORDER BY l.reference""",
                [run.pk],
            )
            out = io.StringIO()
            csv.writer(out).writerows(cursor.fetchall())
        return rows

    # ---- the rosters
    def rosters():
        roster = roster_for(campaign=c, unit=organiser)
        found["pages"] = len(roster_pages(roster))
        found["teams"] = {team.key: team.digest for team in roster.teams}
        return len(roster.lines)

    def rosters_plain():
        # Two plain queries, joined here: the lines, and the numbers of the lists' rows (one
        # query joining both re-sorts the numbers for every line when statistics lag).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT visit_list_id, file_id, row_number() OVER (
                       PARTITION BY visit_list_id ORDER BY township, community, priority, id)
                   FROM visits_visitlistrow WHERE campaign_id = %s""",
                [t.pk],
            )
            numbers = {file_id: (team, number) for team, file_id, number in cursor.fetchall()}
            cursor.execute(
                """SELECT d.id, d.file_id, f.name, f.id_number_masked, d.amount, d.purpose,
                          d.description, d.signed_at, u.path
                   FROM funds_disbursement d
                   JOIN hardship_hardshipfile f ON f.id = d.file_id
                   JOIN people_unionunit u ON u.id = f.unit_id
                   WHERE d.campaign_id = %s AND d.unit_id = %s
                     AND d.status IN ('approved', 'paid')
                     AND NOT EXISTS (SELECT 1 FROM funds_bankpaymentline l
                                     WHERE l.disbursement_id = d.id
                                       AND l.status IN ('queued', 'sent', 'failed', 'paid'))
                   ORDER BY u.path, f.name, d.id""",
                [t.pk, organiser.pk],
            )
            teams: dict[int, list] = {}
            for line in cursor.fetchall():
                team, number = numbers.get(line[1], (0, 0))
                teams.setdefault(team, []).append((number, line))
        return sum(len(lines) for lines in teams.values())

    # ---- the bank's result
    def result_files(lines) -> list[bytes]:
        """The bank's answer to ``lines`` (reference, amount), in files the import takes."""
        files = []
        for start in range(0, len(lines), MAX_RESULT_ROWS):
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(RESULT_HEADER)
            for number, (reference, amount) in enumerate(lines[start : start + MAX_RESULT_ROWS]):
                if (start + number) % FAILED_EVERY == FAILED_EVERY - 1:
                    writer.writerow([reference, f"{amount:.2f}", "失败", "", "户名与账号不符"])
                else:
                    writer.writerow([reference, f"{amount:.2f}", "成功", f"BK{reference}", ""])
            files.append(out.getvalue().encode())
        return files

    def bank_in_setup():
        lines = list(
            BankPaymentLine.objects.filter(run=found["run"])
            .order_by("reference")
            .values_list("reference", "amount")
        )
        found["results"] = result_files(lines)
        twin = list(
            BankPaymentLine.objects.filter(run=found["twin_run"])
            .order_by("reference")
            .values_list("reference", "amount")
        )
        found["twin_results"] = result_files(twin)
        paid = sum(
            (amount for n, (_r, amount) in enumerate(twin) if n % FAILED_EVERY != FAILED_EVERY - 1),
            Decimal(0),
        )
        found["twin_bank_payment"] = post(
            r, caseworker, TransactionKind.PAYMENT,
            [(AccountKind.RESERVED, -paid), (f"{AccountKind.PAID_OUT}:visit_money", paid)],
        )  # fmt: skip

    def bank_in():
        settled = 0
        for number, content in enumerate(found["results"]):
            upload = SimpleUploadedFile(f"回单{number}.csv", content, "text/csv")
            settled += len(bank_results_import(batch=found["batch"], by=caseworker, upload=upload))
        return settled

    def bank_in_plain():
        references, outcomes, bank_references, reasons = [], [], [], []
        for content in found["twin_results"]:
            rows = list(csv.reader(io.StringIO(content.decode())))[1:]
            for reference, _amount, outcome, bank_reference, reason in rows:
                references.append(reference)
                outcomes.append("paid" if outcome == "成功" else "failed")
                bank_references.append(bank_reference)
                reasons.append(reason)
        settled = execute(
            """UPDATE funds_bankpaymentline l SET status = v.status,
                      bank_reference = v.bank_reference, failure_reason = v.reason,
                      settled_by_id = %s, settled_at = now()
               FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])
                    AS v(reference, status, bank_reference, reason)
               WHERE l.reference = v.reference AND l.status = 'sent'""",
            [caseworker.pk, references, outcomes, bank_references, reasons],
        )
        execute(
            """UPDATE funds_disbursement d SET status = 'paid', payment_id = %s,
                      paid_by_id = %s, paid_at = now(), method = 'bank',
                      bank_reference = l.bank_reference
               FROM funds_bankpaymentline l
               WHERE l.disbursement_id = d.id AND l.run_id = %s AND l.status = 'paid'""",
            [found["twin_bank_payment"].pk, caseworker.pk, found["twin_run"].pk],
        )
        return settled

    # ---- ticking
    def scan():
        from PIL import Image

        from funds.rosters import roster_scan_upload

        image = io.BytesIO()
        Image.new("RGB", (40, 30), "white").save(image, "PNG")
        roster_scan_upload(
            campaign=c, unit=organiser, by=caseworker,
            upload=SimpleUploadedFile("签领表.png", image.getvalue(), "image/png"),
        )  # fmt: skip
        tick_plain_setup()

    def tick_plain_setup():
        cash = Disbursement.objects.filter(
            campaign=t, unit=organiser, status="approved", bank_lines__isnull=True
        ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
        found["twin_cash_payment"] = None
        if cash:
            found["twin_cash_payment"] = post(
                r, caseworker, TransactionKind.PAYMENT,
                [(AccountKind.RESERVED, -cash), (f"{AccountKind.PAID_OUT}:visit_money", cash)],
            )  # fmt: skip

    def tick():
        return len(
            roster_teams_sign(campaign=c, unit=organiser, teams=found["teams"], by=caseworker)
        )

    def tick_plain():
        return execute(
            """UPDATE funds_disbursement d SET status = 'paid', payment_id = %s,
                      paid_by_id = %s, paid_at = now(), method = 'cash',
                      signed_at = now(), signed_checked_by_id = %s
               WHERE d.campaign_id = %s AND d.unit_id = %s AND d.status = 'approved'
                 AND d.signed_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM funds_bankpaymentline l
                                 WHERE l.disbursement_id = d.id
                                   AND l.status IN ('queued', 'sent', 'failed', 'paid'))""",
            [getattr(found["twin_cash_payment"], "pk", None), caseworker.pk, caseworker.pk,
             t.pk, organiser.pk],
        )  # fmt: skip

    def check_lists():
        differ = different_list_rows(c.pk, t.pk)
        assert differ == 0, f"the baseline's list rows differ from the build's in {differ} rows"

    return [
        ("build the lists", build, build_plain, None, check_lists),
        ("approve every list", approve_lists, approve_lists_plain, None, None),
        ("propose the visit money", propose, propose_plain, None, None),
        ("approve the batch", approve, approve_plain, approve_plain_setup, None),
        ("bank file out", bank_out, bank_out_plain, None, None),
        ("rosters for every team", rosters, rosters_plain, None, None),
        ("bank result in", bank_in, bank_in_plain, bank_in_setup, None),
        ("tick every sheet signed", tick, tick_plain, scan, None),
    ]


# ====================================================================== a round


def timed(function, plan_ms: float, profile: bool = False):
    """Seconds, result, statements run (and their seconds) and the plans of the heavy ones, of
    ``function()``; with ``profile``, its cProfile's heaviest functions are printed."""
    from common.statements import statements_counted

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    with plans_logged(plan_ms) as plans, statements_counted() as spent:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        result = function()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    # A step may hand back how to count its rows, so the count is not timed.
    return seconds, result() if callable(result) else result, spent, plans


def run_round(
    number: int, steps: dict[str, Step], setting, households: int, plan_ms: float, profile: str
):
    organiser, caseworker, approver = setting
    r = fresh_round(organiser, caseworker, approver, households)
    try:
        for index, (label, service, baseline, before, after) in enumerate(
            steps_of(r, organiser, caseworker, approver)
        ):
            step = steps.setdefault(label, Step(label))
            if before:
                before()
            # The service first in even steps of even rounds, the baseline first otherwise.
            order = (
                ("service", "baseline") if (index + number) % 2 == 0 else ("baseline", "service")
            )
            for side in order:
                if side == "service":
                    seconds, rows, spent, plans = timed(service, plan_ms, label == profile)
                    step.seconds.append(seconds)
                    step.rows.append(rows)
                    step.queries.append(spent.count)
                    step.in_sql.append(spent.seconds)
                    step.plans = plans
                else:
                    seconds, base_rows, _queries, plans = timed(baseline, plan_ms)
                    step.baseline.append(seconds)
                    step.baseline_plans = plans
            if after:
                after()
            print(
                f"  round {number + 1}: {label:<26} {step.seconds[-1]:8.2f} s  "
                f"baseline {step.baseline[-1]:8.2f} s  {step.rows[-1]:>9,} rows "
                f"(baseline {base_rows:,})",
                flush=True,
            )
        from funds.selectors import ledger_problems

        problems = ledger_problems(limit=5)
        assert not problems, problems
    finally:
        campaigns_delete([r.campaign.pk, r.twin.pk], r.posted)
        execute(f"VACUUM (ANALYZE) {TOUCHED_TABLES}")
        execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=DATABASES, default="county")
    parser.add_argument("--repeat", type=int, default=None,
                        help="Rounds, each a fresh campaign (default: county 3, province 1).")  # fmt: skip
    parser.add_argument("--plan-ms", type=float, default=None,
                        help="Explain statements this slow or slower (default: county 20, "
                        "province 500).")  # fmt: skip
    parser.add_argument("--profile", metavar="STEP", default="",
                        help="Print where the service's Python time goes in this step "
                        "(its label, e.g. 'bank file out').")  # fmt: skip
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.size == "county" else 1)
    plan_ms = args.plan_ms if args.plan_ms is not None else (20 if args.size == "county" else 500)

    media_root = tempfile.mkdtemp(prefix="bench-campaign-")
    try:
        setting = prepare(args.size, media_root)
        organiser = setting[0]
        from hardship.models import HardshipFile

        leftovers_delete()
        households = HardshipFile.objects.filter(
            unit__path__startswith=organiser.path, status="on_file"
        ).count()
        load = os.getloadavg()
        print(
            f"{organiser.name}: {households:,} households on record; {repeat} rounds, each a "
            f"fresh campaign; {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f}\n",
            flush=True,
        )
        steps: dict[str, Step] = {}
        for number in range(repeat):
            run_round(number, steps, setting, households, plan_ms, args.profile)
        report(steps, repeat, plan_ms)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)


def report(steps: dict[str, Step], repeat: int, plan_ms: float) -> None:
    print(f"\nmedian of {repeat} rounds (p95 in brackets when more than one)\n")
    print(f"{'step':<26} | {'rows':>9} | {'seconds':>15} | {'baseline seconds':>16} | "
          f"{'ratio':>6} | {'queries':>7} | {'in SQL':>6}")  # fmt: skip
    print("-" * 105)
    total = base_total = 0.0
    for step in steps.values():
        (median, p95), (b_median, b_p95) = median_p95(step.seconds), median_p95(step.baseline)
        total += median
        base_total += b_median
        spread = f" ({p95:.2f})" if repeat > 1 else ""
        b_spread = f" ({b_p95:.2f})" if repeat > 1 else ""
        print(
            f"{step.label:<26} | {step.rows[-1]:>9,} | {median:>8.2f}{spread:>7} | "
            f"{b_median:>9.2f}{b_spread:>7} | {median / b_median:>5.2f}x | "
            f"{step.queries[-1]:>7,} | {statistics.median(step.in_sql):>5.2f}s"
        )
    print("-" * 105)
    print(f"{'the whole campaign':<26} | {'':>9} | {total:>8.2f}{'':>7} | {base_total:>9.2f}"
          f"{'':>7} | {total / base_total:>5.2f}x |")  # fmt: skip
    print(
        f"\nplans of the last round's heaviest statements (of {plan_ms:g} ms or more; est = the "
        "planner's estimate of rows, rows × loops = what it read):"
    )
    for step in steps.values():
        for side, plans, shown in (("", step.plans, 2), ("baseline: ", step.baseline_plans, 1)):
            heaviest = sorted(plans, key=lambda plan: -plan.milliseconds)[:shown]
            if not heaviest:
                continue
            print(f"\n{side}{step.label}: {len(plans)} statements of {plan_ms:g} ms or more")
            for plan in heaviest:
                print(f"  {plan.milliseconds:,.0f} ms  {plan.query[:110]}")
                print("\n".join(f"    {line}" for line in plan.lines()))


if __name__ == "__main__":
    main()
