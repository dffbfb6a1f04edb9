"""Benchmark: proposing and approving a province's winter visit money in bulk.

Uses the province of bench/files.py and bench/visit_lists.py (its database and
seed: 20,000 units and 1,000,000 files, `manage.py seed_scale`, reused). A
winter campaign of the province's union has its visit lists built once and
frozen (approved), with standards per category; the province's fund holds
enough money. Then, in turn (the order swapped every round), --repeat times,
each on a clean slate (the previous run's payments, batches and reservations
deleted behind the ledger's triggers, the tables vacuumed, a CHECKPOINT;
untimed):

- the service: ``funds.batches.batch_propose`` for the province (one INSERT …
  SELECT of every household keeping the rules, the households left out
  collected with their reasons), then ``batch_approve`` (one reservation, one
  UPDATE of every payment) — timed apart and together;
- the baseline: one plain INSERT … SELECT of the same payment rows (same
  columns and values, from the same list rows, files and standards) into the
  same table, with its indexes and constraints, for a second campaign.

Printed: rows, wall seconds (median and p95), rows per second, and the ratio
of each step to the baseline.

    .venv/bin/python bench/batches.py                   # BENCH_DATABASE_URL or warmth_bench_files
    .venv/bin/python bench/batches.py --repeat 5
"""

import argparse
import os
import time
from decimal import Decimal

import files
import visit_lists
from harness import PAYMENTS_BASELINE_SQL, campaign_money_delete, execute, in_turn, median_p95

STANDARDS = {"deep": Decimal("1000"), "relative": Decimal("800"), "accident": Decimal("1500")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000, help="As bench/files.py seeds.")
    parser.add_argument("--files", type=int, default=1_000_000, help="As bench/files.py seeds.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed rounds.")
    args = parser.parse_args()

    visit_lists.prepare_environment()
    from django.utils import timezone

    from funds.batches import batch_approve, batch_propose
    from funds.choices import FundKind, ReceiptSource
    from funds.models import Fund
    from funds.selectors import fund_balance
    from funds.services import fund_create, receipt_record
    from people.models import User
    from visits.campaigns import visit_lists_build
    from visits.models import Campaign, CampaignAidStandard, VisitList

    province = files.seed(args.units, args.files)
    approver, _ = User.objects.get_or_create(
        username=f"bench.funds.approver.{province.pk}",
        defaults={"unit": province, "full_name": "基准审批人", "is_approver": True},
    )
    caseworker, _ = User.objects.get_or_create(
        username=f"bench.funds.caseworker.{province.pk}",
        defaults={"unit": province, "full_name": "基准经办人", "is_caseworker": True},
    )
    today = timezone.localdate()
    campaign, baseline = (
        Campaign.objects.get_or_create(
            organiser=province, name=name,
            defaults={"season": "winter", "year": today.year, "starts_on": today,
                      "ends_on": today, "created_by": approver},
        )[0]
        for name in ("基准：冬送温暖（批量发放）", "基准：冬送温暖（发放基线）")
    )  # fmt: skip
    for category, amount in STANDARDS.items():
        CampaignAidStandard.objects.get_or_create(
            campaign=campaign, category=category, defaults={"amount": amount}
        )
    if not VisitList.objects.filter(campaign=campaign).exists():
        started = time.perf_counter()
        listed = visit_lists_build(campaign=campaign, unit=province)
        print(f"built the campaign's lists: {listed:,} households in "
              f"{time.perf_counter() - started:.0f} s (untimed)", flush=True)  # fmt: skip
    # Frozen once: an approved list can never change again (a database trigger refuses).
    VisitList.objects.filter(campaign=campaign).exclude(status="approved").update(status="approved")
    fund = Fund.objects.filter(unit=province, name="基准送温暖资金").first()
    if fund is None:
        fund = fund_create(unit=province, name="基准送温暖资金", kind=FundKind.WARMTH, by=approver)
        receipt_record(fund=fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("900000000"),
                       received_on=today, by=caseworker)  # fmt: skip
    campaigns = [campaign.pk, baseline.pk]

    def clean_slate() -> None:
        campaign_money_delete(campaigns)
        execute("VACUUM (ANALYZE) funds_disbursement, funds_entry, funds_account")
        execute("CHECKPOINT")

    def run_service() -> tuple[int, float, float]:
        started = time.perf_counter()
        batch = batch_propose(campaign=campaign, unit=province, fund=fund, by=caseworker)
        proposed = time.perf_counter() - started
        started = time.perf_counter()
        batch_approve(batch=batch, by=approver)
        approved = time.perf_counter() - started
        return batch.disbursements.count(), proposed, approved

    def run_baseline() -> tuple[int, float]:
        started = time.perf_counter()
        rows = execute(
            PAYMENTS_BASELINE_SQL,
            {"payer": province.pk, "fund": fund.pk, "year": today.year, "baseline": baseline.pk,
             "batch": None, "by": caseworker.pk, "campaign": campaign.pk},
        )  # fmt: skip
        return rows, time.perf_counter() - started

    load = os.getloadavg()
    print(f"{province.name}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    clean_slate()
    run_service()  # untimed: warms the cache
    clean_slate()
    proposals, approvals, totals, baselines, rows = [], [], [], [], {}

    def keep(_round, which, _seconds, result) -> None:
        """Each side times its own statements (the service's two steps apart)."""
        if which == 0:
            rows["service"], proposed, approved = result
            proposals.append(proposed)
            approvals.append(approved)
            totals.append(proposed + approved)
        else:
            rows["baseline"], seconds = result
            baselines.append(seconds)
        clean_slate()

    in_turn([run_service, run_baseline], args.repeat, after=keep)
    print(f"\n{rows['service']:,} payments proposed and approved; the baseline wrote "
          f"{rows['baseline']:,} rows; {args.repeat} rounds\n")  # fmt: skip
    base, base_p95 = median_p95(baselines)
    for label, times in (("propose (batch_propose)", proposals),
                         ("approve (batch_approve)", approvals),
                         ("propose + approve", totals)):  # fmt: skip
        median, p95 = median_p95(times)
        print(f"  {label:<26} {median:6.2f} s median, {p95:6.2f} s p95, "
              f"{rows['service'] / median:9,.0f} rows/s, {median / base:4.2f}x the baseline")  # fmt: skip
    print(f"  {'baseline (one INSERT)':<26} {base:6.2f} s median, {base_p95:6.2f} s p95, "
          f"{rows['baseline'] / base:9,.0f} rows/s")  # fmt: skip
    balance = fund_balance(fund)
    print(f"\nfund after the clean slate: available {balance.available:,}, reserved "
          f"{balance.reserved:,}")  # fmt: skip


if __name__ == "__main__":
    main()
