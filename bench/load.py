"""Benchmark: how many caseworkers one web node holds, and a morning's burst of sign-ins.

Starts gunicorn as production does (sync workers, 3 by default: the Dockerfile's command) and
one Celery worker and beat's figures queue on files.py's database (a 20,000-unit province
with 1,000,000 files, seeded when missing), gives caseworker accounts to units across the
province (most in streets, some in counties and cities, a few at the province), and drives
them with Locust, headless (bench/locust_caseworkers.py): the file list and its search, a
file's page, logging a visit, proposing a payment, the home page, a few seconds of reading
between clicks. It steps up the number of concurrent caseworkers until the 95th percentile
passes one second, printing at each step requests per second, p50/p95/p99 and errors beside
a baseline run in the same step: as many people asking for the sign-in page, which touches
no data. Then the burst: --burst caseworkers signing in within --burst-seconds.

    .venv/bin/python bench/load.py                                   # files.py's data, steps 25…400
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/small .venv/bin/python bench/load.py \\
        --units 2000 --files 20000 --steps 10 25 --step-seconds 20 --burst 50
"""

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from files import BENCH_DATABASE_URL, seed
from harness import PRODUCTION_LIKE, REDIS_URL, ROOT, celery_worker, django_ready, use_redis

LOAD_PASSWORD = "Load-bench-only-2026!"  # noqa: S105 - the bench's own accounts, never real
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locust_caseworkers.py")


def caseworkers(province, count: int) -> list[str]:
    """``count`` caseworker accounts spread over the province's units (created once)."""
    from django.contrib.auth.hashers import make_password

    from people.models import UnionUnit, User

    levels = [
        (UnionUnit.Level.TOWNSHIP, 0.70),
        (UnionUnit.Level.COUNTY, 0.22),
        (UnionUnit.Level.CITY, 0.06),
        (UnionUnit.Level.PROVINCE, 0.02),
    ]
    # One hash for every bench account: the configured hasher's cost is paid at sign-in,
    # which is what the burst measures, not here.
    password = make_password(LOAD_PASSWORD)
    usernames: list[str] = []
    for level, share in levels:
        wanted = max(1, round(count * share))
        units = list(
            UnionUnit.objects.filter(path__startswith=province.path, level=level).order_by("pk")[
                :wanted
            ]
        )
        for i in range(wanted):
            username = f"load-{level.name.lower()}-{i}"
            User.objects.update_or_create(
                username=username,
                defaults={
                    "unit": units[i % len(units)],
                    "full_name": "压力测试",
                    "is_caseworker": True,
                    "password": password,
                },
            )
            usernames.append(username)
    return usernames[:count]


def funds_for_payments(province, usernames: list[str]) -> None:
    """A fund with money at each bench caseworker's unit, so proposing a payment has a fund to
    draw on (a caseworker draws on the funds of their own branch)."""
    from django.utils import timezone

    from funds.choices import FundKind, ReceiptSource
    from funds.services import fund_create, receipt_record
    from people.models import UnionUnit, User

    by, _ = User.objects.update_or_create(
        username="load-fund-keeper",
        defaults={"unit": province, "full_name": "压力测试", "is_approver": True},
    )
    units = UnionUnit.objects.filter(members__username__in=usernames).exclude(
        funds__name="压力测试基金"
    )
    for unit in units.distinct():
        fund = fund_create(unit=unit, name="压力测试基金", kind=FundKind.HELP, by=by)
        receipt_record(
            fund=fund,
            amount="10000000",
            source=ReceiptSource.GOVERNMENT,
            received_on=timezone.localdate(),
            by=by,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - our own http:// address
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url}")


def locust(
    host: str, user_class: str, users: int, rate: float, seconds: int, usernames: list[str]
) -> dict:
    """One headless Locust run; its aggregated figures and those of each request name."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = os.path.join(folder, "run")
        command = [
            BIN / "locust", "-f", str(LOCUSTFILE), user_class, "--headless",
            "--users", str(users), "--spawn-rate", str(rate), "--run-time", f"{seconds}s",
            "--host", host, "--csv", prefix, "--only-summary", "--loglevel", "ERROR",
            "--exit-code-on-error", "0", "--stop-timeout", "10",
        ]  # fmt: skip
        subprocess.run(
            command,
            check=True,
            cwd=ROOT,
            env=os.environ
            | {"LOAD_USERNAMES": ",".join(usernames), "LOAD_PASSWORD": LOAD_PASSWORD},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(f"{prefix}_stats.csv", newline="") as f:
            rows = {row["Name"]: row for row in csv.DictReader(f)}
        with open(f"{prefix}_failures.csv", newline="") as f:
            for failure in csv.DictReader(f):
                print(f"  ! {failure['Name']}: {failure['Error'][:160]} ×{failure['Occurrences']}")
    return rows


def figures(row: dict) -> str:
    return (
        f"{float(row['Requests/s']):7.1f} {int(float(row['50%'])):6d} {int(float(row['95%'])):6d} "
        f"{int(float(row['99%'])):6d} {int(row['Failure Count']):6d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--burst-seconds", type=int, default=20)
    parser.add_argument("--web-workers", type=int, default=3)
    args = parser.parse_args()

    use_redis(REDIS_URL)  # sessions, cache and the broker, as production
    django_ready(BENCH_DATABASE_URL, **PRODUCTION_LIKE)
    province = seed(args.units, args.files)
    usernames = caseworkers(province, max([*args.steps, args.burst]))
    funds_for_payments(province, usernames)

    environment = os.environ | PRODUCTION_LIKE | {"DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / "warmth-load.log"
    command = [
        BIN / "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.web_workers), "--timeout", "120",
    ]  # fmt: skip
    with open(log, "ab") as output:
        web = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(f"{host}/accounts/login/")
        with celery_worker(queue="load", concurrency=1, log_path=log):
            print(
                f"{args.files:,} files; gunicorn with {args.web_workers} sync workers, one "
                f"Celery worker; {os.cpu_count()} cores. Times in ms.\n"
            )
            print(
                f"{'users':>6} | {'caseworkers: req/s':>18} {'p50':>6} {'p95':>6} {'p99':>6} "
                f"{'errors':>6} | {'baseline: req/s':>15} {'p50':>6} {'p95':>6} {'p99':>6} "
                f"{'errors':>6}"
            )
            for users in args.steps:
                rate = max(1.0, users / 10)
                work = locust(host, "Caseworker", users, rate, args.step_seconds, usernames)
                plain = locust(
                    host, "PlainVisitor", users, rate, max(10, args.step_seconds // 2), usernames
                )
                print(
                    f"{users:>6} | {figures(work['Aggregated']):>46} | "
                    f"{figures(plain['Aggregated']):>43}",
                    flush=True,
                )
                if float(work["Aggregated"]["95%"]) > 1000:
                    print(f"p95 passed one second at {users} caseworkers: the steps stop here.")
                    break
            print("\nby page at the last step:")
            for name, row in sorted(work.items()):
                if name != "Aggregated":
                    print(f"  {name:<28} {figures(row)}")

            rate = args.burst / args.burst_seconds
            burst = locust(host, "Caseworker", args.burst, rate, args.burst_seconds + 10, usernames)
            print(
                f"\nburst: {args.burst} caseworkers signing in within {args.burst_seconds} s "
                f"({rate:.0f} a second), then working"
            )
            print(f"  {'sign in':<28} {figures(burst['sign in'])}")
            print(f"  {'every request':<28} {figures(burst['Aggregated'])}")
            print("  (columns: req/s, p50, p95, p99, errors)")
    finally:
        web.terminate()
        web.wait(timeout=30)


if __name__ == "__main__":
    main()
