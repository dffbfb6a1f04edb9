"""What the benchmarks share: their own database, timings taken in turn, a real Celery worker.

Import it first (``from harness import …``; bench/ is on the path as the script's
folder): it puts the project on the path too. Then, before ``django.setup()``,
``use_database`` (or ``django_ready``, which also sets Django up and migrates).
"""

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# First on the path: the project's apps before the scripts (bench/reports.py is not reports/).
sys.path.insert(0, str(ROOT))

# Redis of the runs through a real worker (its broker); BENCH_REDIS_URL to change.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Production's settings (DEBUG off: no query log, no debug pages) with fixed, bench-only
# keys: ciphertext seeded by one run must decrypt on every later run and in every script
# sharing its database. Never point these at a real database.
PRODUCTION_LIKE = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-never-used-in-production-1f2e3d4c",
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMhISE=",
    "ID_HASH_KEY": "bench-only-id-hash-key-never-used-in-production",
    "ALLOWED_HOSTS": "testserver,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
}


def database_url(default_name: str) -> str:
    """BENCH_DATABASE_URL, or the local database ``default_name``."""
    return os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_name}"
    )


def use_database(database_url: str, *, fresh: bool = False, **environment: str) -> None:
    """Point Django at ``database_url`` (created when missing; dropped first if ``fresh``),
    with the demo app's generators installed (DEMO_DATA=1), before ``django.setup()``.
    """
    import psycopg

    os.environ["DATABASE_URL"] = database_url
    os.environ["DEMO_DATA"] = "1"  # seed_scale and the generators live in the demo app
    os.environ.update(environment)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def use_redis(url: str | None) -> None:
    """Redis at ``url`` (broker and results; the cache follows REDIS_URL), or none at all:
    sessions and cache then stay in PostgreSQL and memory. Before ``django.setup()``."""
    if url:
        os.environ["REDIS_URL"] = url
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.pop("CACHE_REDIS_URL", None)


def django_ready(database_url: str, **environment: str) -> None:
    """``use_database``, then ``django.setup()`` and the migrations."""
    use_database(database_url, **environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generated_province(prefix: str, **seed_scale_options):
    """The province ``manage.py seed_scale --prefix prefix`` generated, once it is complete
    (its code then ends in ``-root``), or generated now with the given options; returns it and
    the seconds the seeding took (None when it was there already). After ``django_ready``.
    """
    from django.core.management import call_command

    from people.models import UnionUnit

    province = UnionUnit.objects.filter(code=f"{prefix}-root").first()
    if province is not None:
        return province, None
    started = time.perf_counter()
    call_command("seed_scale", prefix=prefix, **seed_scale_options)
    province = UnionUnit.objects.filter(code__startswith=f"{prefix}-").order_by("pk").first()
    UnionUnit.objects.filter(pk=province.pk).update(code=f"{prefix}-root")
    province.refresh_from_db()
    return province, time.perf_counter() - started


# ---------------------------------------------------------------- timings


def median_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * (len(samples) - 1)))
    ]


def in_turn(functions: list, repeat: int, *, before=None, after=None) -> list[list[float]]:
    """Call each of ``functions`` once a round, ``repeat`` rounds, the order rotated every
    round (for two: swapped), so load from other processes falls on all of them alike.

    ``before(which)`` runs untimed before each call (a clean slate, say), ``after(round_,
    which, seconds, result)`` untimed after it. Returns the seconds of each, round by round.
    """
    samples: list[list[float]] = [[] for _ in functions]
    for round_ in range(repeat):
        for step in range(len(functions)):
            which = (round_ + step) % len(functions)
            if before:
                before(which)
            start = time.perf_counter()
            result = functions[which]()
            samples[which].append(time.perf_counter() - start)
            if after:
                after(round_, which, samples[which][-1], result)
    return samples


def rotated(functions: list, repeat: int) -> list[tuple[float, float, object]]:
    """Time each of ``functions`` ``in_turn`` after one warm-up call each (imports, fonts,
    the database's cache); returns (median, p95, last result) of each.
    """
    for function in functions:
        function()
    results: list = [None] * len(functions)

    def keep(_round, which, _seconds, result):
        results[which] = result

    samples = in_turn(functions, repeat, after=keep)
    return [(*median_p95(samples[i]), results[i]) for i in range(len(functions))]


def timed(function, repeat: int) -> tuple[float, float, object]:
    """(median, p95, last result) of ``function`` alone, after one warm-up call."""
    return rotated([function], repeat)[0]


# ---------------------------------------------------------------- a real Celery worker


@contextmanager
def celery_worker(
    *, queue: str, concurrency: int, log_path: Path, include: tuple[str, ...] = (), **environment
):
    """A prefork worker of ``concurrency`` processes consuming ``queue`` only, the default
    queue of this process's tasks meanwhile; yields its Popen once it has answered a health
    check, and stops it at the end. Its output goes to ``log_path``; ``environment`` is
    added to this process's for it.
    """
    from config.celery import app

    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
        "--concurrency", str(concurrency), "--queues", queue, "--hostname", f"{queue}@%h",
        *(option for module in include for option in ("--include", module)),
        "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING",
    ]  # fmt: skip
    app.conf.task_default_queue = queue  # where document_request sends the jobs
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=os.environ | environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        app.send_task("documents.health_check", queue=queue).get(timeout=120)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# ---------------------------------------------------------------- plain SQL the scripts share


def execute(sql: str, params=None) -> int:
    """Run ``sql`` on Django's connection; the rows it touched."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# A campaign's lists written plainly: one per unit of the branch (path LIKE %s) holding
# files on record; params (campaign, branch).
LISTS_BASELINE_SQL = """
    INSERT INTO visits_visitlist (campaign_id, unit_id, status, row_count)
    SELECT DISTINCT %s, f.unit_id, 'ready', 0 FROM hardship_hardshipfile f
    JOIN people_unionunit u ON u.id = f.unit_id
    WHERE u.path LIKE %s AND f.status = 'on_file'
"""
LIST_ROW_COLUMNS = (
    "visit_list_id, campaign_id, file_id, priority, township, community, name, "
    "masked_id_number, address, phone, category, main_cause, model_worker, "
    "last_visited_on, helper_id, helper_name, visit_id"
)
# The rows of visits.campaigns.visit_lists_build, written for the whole branch by one
# statement into the campaign's lists (which must exist): the winter rule (on record, plus
# model workers on record) is simply "on record". Params: campaign, branch (path LIKE).
LIST_ROWS_BASELINE_SQL = f"""
    INSERT INTO visits_visitlistrow ({LIST_ROW_COLUMNS})
    SELECT vl.id, %(campaign)s, f.id,
           ROW_NUMBER() OVER (
               PARTITION BY f.unit_id
               ORDER BY CASE WHEN f.category = 'deep' THEN 0 ELSE 1 END,
                        CASE WHEN f.model_worker_level <> 'none' THEN 0 ELSE 1 END,
                        last_visit.visited_on ASC NULLS FIRST, f.id
           ),
           CASE WHEN u.level = 6 THEN COALESCE(p.name, '') WHEN u.level = 5 THEN u.name ELSE '' END,
           CASE WHEN u.level = 6 THEN u.name ELSE '' END,
           f.name, f.id_number_masked, f.address, f.phone, f.category, cause.name,
           f.model_worker_level <> 'none',
           last_visit.visited_on, helper.cadre_id, COALESCE(cadre.name, ''), NULL
    FROM hardship_hardshipfile f
    JOIN people_unionunit u ON u.id = f.unit_id
    LEFT JOIN people_unionunit p ON p.id = u.parent_id
    JOIN hardship_hardshipcause cause ON cause.id = f.main_cause_id
    JOIN visits_visitlist vl ON vl.campaign_id = %(campaign)s AND vl.unit_id = f.unit_id
    LEFT JOIN (
        SELECT file_id, MAX(visited_on) AS visited_on FROM visits_visit GROUP BY file_id
    ) last_visit ON last_visit.file_id = f.id
    LEFT JOIN visits_pairing helper
        ON helper.file_id = f.id AND helper.role = 'helper' AND helper.ends_on IS NULL
    LEFT JOIN visits_cadre cadre ON cadre.id = helper.cadre_id
    WHERE u.path LIKE %(branch)s AND f.status = 'on_file'
"""
# Every column a list row shows, with its list's unit: equal sets mean equal lists.
_LIST_ROW_CONTENT = """
    SELECT vl.unit_id, r.file_id, r.priority, r.township, r.community, r.name,
           r.masked_id_number, r.address, r.phone, r.category, r.main_cause,
           r.model_worker, r.last_visited_on, r.helper_id, r.helper_name, r.visit_id
    FROM visits_visitlistrow r JOIN visits_visitlist vl ON vl.id = r.visit_list_id
    WHERE r.campaign_id = %s
"""


def different_list_rows(a: int, b: int) -> int:
    """Rows of campaign ``a``'s lists not in ``b``'s, and the other way round."""
    from django.db import connection

    one_way = f"({_LIST_ROW_CONTENT} EXCEPT ALL {_LIST_ROW_CONTENT})"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({one_way} UNION ALL {one_way}) d", [a, b, b, a])
        return cursor.fetchone()[0]


# The payment rows of funds.batches.batch_propose, plainly: every household of a campaign's
# list rows (%(campaign)s) on record, at its category's standard, written for %(baseline)s
# (the same campaign, or another) in %(batch)s (or NULL), by %(by)s, paid by %(payer)s.
PAYMENTS_BASELINE_SQL = """
    INSERT INTO funds_disbursement
        (file_id, unit_id, fund_id, purpose, amount, aid_year, description, campaign_id,
         budget_id, visit_id, batch_id, student_id_hash, school_stage, status,
         broken_rules, override_reason, proposed_by_id, proposed_at, method,
         bank_reference, end_reason)
    SELECT row.file_id, %(payer)s, %(fund)s, 'visit_money', standard.amount, %(year)s, '',
           %(baseline)s, NULL, row.visit_id, %(batch)s, '', '', 'proposed', '[]', '', %(by)s,
           now(), '', '', ''
    FROM visits_visitlistrow row
    JOIN hardship_hardshipfile file ON file.id = row.file_id
    JOIN visits_campaignaidstandard standard
        ON standard.campaign_id = row.campaign_id AND standard.category = file.category
    WHERE row.campaign_id = %(campaign)s AND file.status = 'on_file'
"""


def campaign_money_delete(campaign_ids: list[int], transactions: list[int] = ()) -> None:
    """Delete every trace of the campaigns' money: payments and their history, batches,
    budgets, bank files and their lines, roster scans, the ledger transactions the payments
    point to and ``transactions``; the touched funds' account balances are counted again.

    Behind the ledger's guards, on purpose: a benchmark's payments never happened.
    """
    payments = "SELECT id FROM funds_disbursement WHERE campaign_id = ANY(%(c)s)"
    runs = (
        "SELECT r.id FROM funds_bankpaymentrun r JOIN funds_disbursementbatch b "
        "ON b.id = r.batch_id WHERE b.campaign_id = ANY(%(c)s)"
    )
    params = {"c": list(campaign_ids)}
    execute("SET session_replication_role = replica")
    try:
        execute("DROP TABLE IF EXISTS gone, touched")
        execute(
            "CREATE TEMP TABLE gone AS SELECT DISTINCT unnest(ARRAY[reservation_id, "
            f"payment_id, release_id]) AS id FROM funds_disbursement WHERE id IN ({payments})",
            params,
        )
        execute("INSERT INTO gone SELECT unnest(%s::bigint[])", [list(transactions)])
        execute("DELETE FROM gone WHERE id IS NULL")
        execute(
            "CREATE TEMP TABLE touched AS SELECT DISTINCT fund_id FROM "
            "funds_ledgertransaction WHERE id IN (SELECT id FROM gone)"
        )
        for sql in (
            f"DELETE FROM funds_bankfileexport WHERE run_id IN ({runs})",
            f"DELETE FROM funds_bankpaymentline WHERE disbursement_id IN ({payments})",
            f"DELETE FROM funds_bankpaymentrun WHERE id IN ({runs})",
            f"DELETE FROM funds_disbursementevent WHERE pgh_obj_id IN ({payments})",
            "DELETE FROM funds_disbursement WHERE campaign_id = ANY(%(c)s)",
            "DELETE FROM funds_entry WHERE transaction_id IN (SELECT id FROM gone)",
            "DELETE FROM funds_ledgertransaction WHERE id IN (SELECT id FROM gone)",
            "DELETE FROM funds_disbursementbatch WHERE campaign_id = ANY(%(c)s)",
            "DELETE FROM funds_budget WHERE campaign_id = ANY(%(c)s)",
            "DELETE FROM funds_rosterscan WHERE campaign_id = ANY(%(c)s)",
        ):
            execute(sql, params)
        execute(
            "UPDATE funds_account a SET balance = COALESCE((SELECT SUM(amount) FROM funds_entry "
            "e WHERE e.account_id = a.id), 0) WHERE a.fund_id IN (SELECT fund_id FROM touched)"
        )
        execute("DROP TABLE gone")
        execute("DROP TABLE touched")
    finally:
        execute("SET session_replication_role = DEFAULT")


def campaigns_delete(campaign_ids: list[int], transactions: list[int] = ()) -> None:
    """``campaign_money_delete``, then the campaigns with their lists, standards and
    corrections (behind the frozen lists' guards)."""
    campaign_money_delete(campaign_ids, transactions)
    params = {"c": list(campaign_ids)}
    execute("SET session_replication_role = replica")
    try:
        for table in (
            "visits_visitlistrow",
            "visits_visitlist",
            "visits_campaignaidstandard",
            "visits_campaigncorrection",
        ):
            execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%(c)s)", params)
        execute("DELETE FROM visits_campaign WHERE id = ANY(%(c)s)", params)
    finally:
        execute("SET session_replication_role = DEFAULT")


# ---------------------------------------------------------------- the plans that ran


@dataclass
class Plan:
    """One statement's plan as PostgreSQL ran it (auto_explain, ANALYZE and BUFFERS)."""

    milliseconds: float
    query: str
    tree: dict

    def lines(self) -> list[str]:
        """The plan compactly, a node a line: estimated rows beside the rows and loops it
        really ran (a stale statistic shows as an estimate far below the real rows)."""
        out: list[str] = []

        def walk(node: dict, depth: int) -> None:
            name = node["Node Type"]
            if node.get("Join Type") and ("Join" in name or name == "Nested Loop"):
                name = f"{name} ({node.get('Join Type', '')})"
            if node.get("Relation Name"):
                name += f" on {node['Relation Name']}"
            if node.get("Index Name"):
                name += f" using {node['Index Name']}"
            figures = (
                f"est {node.get('Plan Rows', 0):,} · rows {node.get('Actual Rows', 0):,}"
                f" × loops {node.get('Actual Loops', 0):,}"
            )
            hit, read = node.get("Shared Hit Blocks", 0), node.get("Shared Read Blocks", 0)
            if hit or read:
                figures += f" · buffers hit {hit:,} read {read:,}"
            out.append(f"{'  ' * depth}-> {name}  [{figures}]")
            for child in node.get("Plans", []):
                walk(child, depth + 1)

        walk(self.tree, 0)
        return out


@contextmanager
def plans_logged(min_ms: float):
    """Collect the plans of the statements Django's connection runs that take ``min_ms`` or
    more, as they ran (auto_explain with ANALYZE and BUFFERS, per-node timing off, sent to
    this client as notices): no statement runs twice. Yields the list of ``Plan``s.
    """
    import json

    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    plans: list[Plan] = []

    def keep(diagnostic) -> None:
        text = diagnostic.message_primary or ""
        if not text.startswith("duration:") or "plan:" not in text:
            return
        head, _, body = text.partition("plan:")
        explained = json.loads(body)
        plans.append(
            Plan(
                milliseconds=float(head.split()[1]),
                query=" ".join(explained.get("Query Text", "").split()),
                tree=explained["Plan"],
            )
        )

    raw.add_notice_handler(keep)
    execute("LOAD 'auto_explain'")
    for setting, value in (
        ("auto_explain.log_min_duration", int(min_ms)),
        ("auto_explain.log_analyze", "on"),
        ("auto_explain.log_buffers", "on"),
        ("auto_explain.log_timing", "off"),
        ("auto_explain.log_format", "json"),
        ("client_min_messages", "log"),
    ):
        execute(f"SET {setting} = {value}")
    try:
        yield plans
    finally:
        execute("SET auto_explain.log_min_duration = -1")
        execute("RESET client_min_messages")
        raw.remove_notice_handler(keep)
