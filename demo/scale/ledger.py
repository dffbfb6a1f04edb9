"""Generate a large aid ledger fast, for benchmarks (`manage.py seed_scale --ledger-entries N`).

Funds are opened over the units of a branch (every unit gets a sending-warmth
fund; the units down to county level also a hardship-help and a schooling
fund), each with its five kinds of account. Then about three years of
movements are generated in time order, as the services would post them:
receipts by source, allocations down to a child unit's fund of the same kind,
payments (a reservation on approval, then the payment by purpose some days
later, or now and then a release of the reservation). A few funds are busy
(the province's and the cities'), most are quiet. Every transaction balances
within each fund it touches; a fund never spends money it does not hold; and
every reservation is paid or released by the end, since no approved
``Disbursement`` rows are generated to match a reserved balance (what
``check_ledger`` compares). Business documents (``Receipt``, ``Allocation``,
``Disbursement``) are not generated: only the ledger itself.

How it is written, and why
--------------------------
Rows are built in memory with their primary keys known and written by
psycopg 3 COPY in chunks of whole transactions (about 200,000 entries). The
entry trigger (``ENTRY_INSERT_FUNCTION``) is *not* kept on. Measured here
(2 cores) for 1,000,000 entries and 486,708 transactions into an empty ledger
over 2,442 funds: with the trigger on, 34.3 s in all, 13.5 s of it in COPY;
without it, 12.2 s in all (2.7 s of COPY, 2.0 s building the indexes again,
1.0 s setting the balances and checking every transaction balances), about
120,000 rows a second (10,000,000 entries and 4,866,980 transactions: 188.8 s,
about 79,000 rows a second, on a machine busy with other work). The trigger
re-reads each chunk's transactions through the ``transaction_id`` index to
check they balance and moves the chunk's accounts, and it needs every index
kept up during the load.
Instead the load runs with ``SET LOCAL session_replication_role = replica``
(no user triggers, and no foreign-key checks either: the generator makes the
keys itself), drops the plain indexes when the load is at least as large as
the table (built again at the end, like ``hardship.scale``), and then sets every
touched account's balance with one ``UPDATE … FROM (SELECT account_id,
SUM(amount) … GROUP BY account_id)``. What the trigger would have checked is
checked before commit instead: no touched transaction is unbalanced, and no
fund's money is negative (the CHECK constraint on ``balance`` sees the UPDATE).
``check_ledger`` then verifies everything from scratch.

Benchmark data only: the tables are locked until the load commits, and
entries written by other sessions at the same time would not be checked.
"""

import heapq
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from demo.scale.files import _create_indexes, _drop_plain_indexes
from funds.choices import AccountKind, FundKind, Purpose, ReceiptSource, TransactionKind
from funds.models import Account, Entry, Fund, LedgerTransaction
from people.models import UnionUnit, User

YEARS = 3
# Entries per chunk of COPY (whole transactions, so a chunk always balances).
CHUNK_ENTRIES = 200_000
# Funds a unit opens, by how high it sits in the tree.
FUNDS_BY_LEVEL = {
    UnionUnit.Level.NATIONAL: (FundKind.WARMTH, FundKind.HELP, FundKind.SCHOOLING),
    UnionUnit.Level.PROVINCE: (FundKind.WARMTH, FundKind.HELP, FundKind.SCHOOLING),
    UnionUnit.Level.CITY: (FundKind.WARMTH, FundKind.HELP, FundKind.SCHOOLING),
    UnionUnit.Level.COUNTY: (FundKind.WARMTH, FundKind.HELP, FundKind.SCHOOLING),
    UnionUnit.Level.TOWNSHIP: (FundKind.WARMTH,),
    UnionUnit.Level.GRASSROOTS: (FundKind.WARMTH,),
}
FUND_NAMES = {
    FundKind.WARMTH: "规模测试送温暖资金",
    FundKind.HELP: "规模测试帮扶资金",
    FundKind.SCHOOLING: "规模测试金秋助学资金",
}
# How busy a fund is, by its unit's level: the province moves most money.
ACTIVITY_BY_LEVEL = {
    UnionUnit.Level.NATIONAL: 400,
    UnionUnit.Level.PROVINCE: 400,
    UnionUnit.Level.CITY: 40,
    UnionUnit.Level.COUNTY: 6,
    UnionUnit.Level.TOWNSHIP: 1.5,
    UnionUnit.Level.GRASSROOTS: 1,
}
# Where money comes from, by whether the unit is high (province, city) or low.
SOURCES_HIGH = {
    ReceiptSource.GOVERNMENT: 5,
    ReceiptSource.DONATION: 3,
    ReceiptSource.ONE_DAY: 2,
    ReceiptSource.OWN: 1,
}
SOURCES_LOW = {
    ReceiptSource.OWN: 3,
    ReceiptSource.EMPLOYER: 3,
    ReceiptSource.DONATION: 2,
    ReceiptSource.ONE_DAY: 1,
}
PURPOSES = {
    FundKind.WARMTH: {Purpose.VISIT_MONEY: 6, Purpose.GOODS: 3, Purpose.SPECIAL: 1},
    FundKind.HELP: {Purpose.LIVING: 5, Purpose.MEDICAL: 4, Purpose.SPECIAL: 1},
    FundKind.SCHOOLING: {Purpose.SCHOOLING: 1},
}
# Payment amounts in fen, by purpose: (smallest, largest, step).
PAYMENT_FEN = {
    Purpose.VISIT_MONEY: (50_000, 300_000, 10_000),
    Purpose.GOODS: (10_000, 80_000, 1),
    Purpose.LIVING: (100_000, 600_000, 10_000),
    Purpose.MEDICAL: (50_000, 2_000_000, 1),
    Purpose.SCHOOLING: (100_000, 500_000, 50_000),
    Purpose.SPECIAL: (20_000, 100_000, 10_000),
}
RELEASE_SHARE = 0.04  # approved payments cancelled before being paid


@dataclass
class LedgerSeedResult:
    funds: int
    accounts: int
    transactions: int
    entries: int
    seconds: float
    by: User


@dataclass
class _Fund:
    id: int
    kind: str
    level: int
    high: bool
    available: int  # account ids
    reserved: int
    allocated: int
    income: dict[str, int]
    paid_out: dict[str, int]
    children: list["_Fund"] = field(default_factory=list)
    money: int = 0  # available fen, tracked so that nothing is overdrawn


def ledger_user(*, unit: UnionUnit) -> User:
    """The generated approver who posts the generated ledger."""
    user, created = User.objects.get_or_create(
        username="scale.ledger",
        defaults={"full_name": "规模测试出纳", "unit": unit, "is_approver": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _open_funds(units: list[UnionUnit], by: User) -> list[_Fund]:
    """Open (or reuse) the generated funds of ``units`` and every account they use."""
    wanted = [(unit, kind) for unit in units for kind in FUNDS_BY_LEVEL[unit.level]]
    existing = {
        (fund.unit_id, fund.name): fund
        for fund in Fund.objects.filter(unit__in=units, name__in=FUND_NAMES.values())
    }
    new = [
        Fund(unit=unit, name=FUND_NAMES[kind], kind=kind, created_by=by)
        for unit, kind in wanted
        if (unit.pk, FUND_NAMES[kind]) not in existing
    ]
    for fund in Fund.objects.bulk_create(new, batch_size=2000):
        existing[(fund.unit_id, fund.name)] = fund
    funds = [existing[(unit.pk, FUND_NAMES[kind])] for unit, kind in wanted]
    accounts = []
    for fund in funds:
        accounts += [
            Account(fund=fund, kind=AccountKind.AVAILABLE),
            Account(fund=fund, kind=AccountKind.RESERVED),
            Account(fund=fund, kind=AccountKind.ALLOCATED_DOWN),
            *(Account(fund=fund, kind=AccountKind.INCOME, source=s) for s in ReceiptSource),
            *(
                Account(fund=fund, kind=AccountKind.PAID_OUT, purpose=p)
                for p in PURPOSES[fund.kind]
            ),
        ]
    Account.objects.bulk_create(accounts, batch_size=5000, ignore_conflicts=True)
    ids: dict[int, dict] = {}
    for pk, fund_id, kind, source, purpose in Account.objects.filter(fund__in=funds).values_list(
        "pk", "fund_id", "kind", "source", "purpose"
    ):
        ids.setdefault(fund_id, {})[(kind, source or purpose)] = pk
    units_by_id = {unit.pk: unit for unit in units}
    made: dict[tuple[int, str], _Fund] = {}
    for fund in funds:
        level = units_by_id[fund.unit_id].level
        own = ids[fund.pk]
        made[(fund.unit_id, fund.kind)] = _Fund(
            id=fund.pk,
            kind=fund.kind,
            level=level,
            high=level <= UnionUnit.Level.CITY,
            available=own[(AccountKind.AVAILABLE, "")],
            reserved=own[(AccountKind.RESERVED, "")],
            allocated=own[(AccountKind.ALLOCATED_DOWN, "")],
            income={s: own[(AccountKind.INCOME, s)] for s in ReceiptSource},
            paid_out={p: own[(AccountKind.PAID_OUT, p)] for p in PURPOSES[fund.kind]},
        )
    for unit in units:
        for kind in FUNDS_BY_LEVEL[unit.level]:
            parent = made.get((unit.parent_id, kind)) or made.get((unit.parent_id, FundKind.WARMTH))
            if parent is not None:
                parent.children.append(made[(unit.pk, kind)])
    return list(made.values())


class _Writer:
    """Buffers rows as COPY text and writes them in chunks."""

    def __init__(self, cursor, first_transaction: int, first_entry: int) -> None:
        self.cursor = cursor
        self.next_transaction = first_transaction
        self.next_entry = first_entry
        self.transactions = io.StringIO()
        self.entries = io.StringIO()
        self.buffered = 0
        self.written_transactions = 0
        self.written_entries = 0

    def post(self, kind: str, fund_id: int, by_id: int, at: str, lines) -> None:
        tid = self.next_transaction
        self.next_transaction += 1
        self.transactions.write(f"{tid}\t{kind}\t{fund_id}\t{at}\t{by_id}\t\t\\N\n")
        write = self.entries.write
        for account, fen in lines:
            sign = "-" if fen < 0 else ""
            fen = abs(fen)
            write(
                f"{self.next_entry}\t{tid}\t{account}\t{sign}{fen // 100}.{fen % 100:02d}\t{at}\n"
            )
            self.next_entry += 1
        self.buffered += len(lines)
        self.written_transactions += 1
        self.written_entries += len(lines)
        if self.buffered >= CHUNK_ENTRIES:
            self.flush()

    def flush(self) -> None:
        if not self.buffered:
            return
        raw = self.cursor.cursor
        for table, columns, buffer in (
            (
                LedgerTransaction._meta.db_table,
                "id, kind, fund_id, posted_at, by_id, memo, reverses_id",
                self.transactions,
            ),
            (
                Entry._meta.db_table,
                "id, transaction_id, account_id, amount, posted_at",
                self.entries,
            ),
        ):
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        self.buffered = 0


def _pick(rng: random.Random, weights: dict) -> Callable[[], object]:
    choices, cumulative = list(weights), []
    total = 0.0
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    return lambda: rng.choices(choices, cum_weights=cumulative)[0]


def _fen(rng: random.Random, low: int, high: int, step: int) -> int:
    return rng.randrange(low // step, high // step + 1) * step


def seed_ledger(
    *,
    units: list[UnionUnit],
    entries: int,
    seed: str = "warmth",
    end: datetime | None = None,
    use_trigger: bool = False,
    progress: Callable[[int, float], None] | None = None,
) -> LedgerSeedResult:
    """Generate about ``entries`` ledger entries (within 4) over the funds of ``units``.

    ``units`` should be a branch (parents before children): allocations go from
    a unit's fund to its children's. ``use_trigger`` keeps the entry trigger on
    (for measuring it); the default writes with it off and sets the balances
    afterwards (see the module docstring). Side effects: funds, accounts,
    transactions, entries, one generated user; the accounts' balances.
    """
    if not units:
        raise ValueError("No units to open funds in.")
    started = time.perf_counter()
    rng = random.Random(f"{seed}:ledger")
    end = end or timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=365 * YEARS)
    with transaction.atomic():
        by = ledger_user(unit=units[0])
        funds = _open_funds(units, by)
        entry_table, txn_table = Entry._meta.db_table, LedgerTransaction._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {txn_table}, {entry_table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"SELECT COUNT(*) FROM {entry_table}")  # noqa: S608
            (existing,) = cursor.fetchone()
            dropped = []
            if not use_trigger:
                cursor.execute("SET LOCAL session_replication_role = replica")
                if entries >= existing:
                    dropped = _drop_plain_indexes([entry_table, txn_table])
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {txn_table}")  # noqa: S608
            (first_txn,) = cursor.fetchone()
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {entry_table}")  # noqa: S608
            (first_entry,) = cursor.fetchone()
            writer = _Writer(cursor, first_txn, first_entry)
            _generate(rng, funds, by.pk, writer, entries, start, end, progress, started)
            writer.flush()
            for table in (txn_table, entry_table):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {table}))"
                )
            if not use_trigger:
                cursor.execute("SET LOCAL session_replication_role = origin")
                _create_indexes(dropped)
                _set_balances(cursor, [f.id for f in funds], first_txn)
    return LedgerSeedResult(
        funds=len(funds),
        accounts=Account.objects.filter(fund_id__in=[f.id for f in funds]).count(),
        transactions=writer.written_transactions,
        entries=writer.written_entries,
        seconds=time.perf_counter() - started,
        by=by,
    )


def _set_balances(cursor, fund_ids: list[int], first_txn: int) -> None:
    """Set the funds' account balances from their entries; check what the trigger would have."""
    account, entry = Account._meta.db_table, Entry._meta.db_table
    cursor.execute(
        f"UPDATE {account} AS account SET balance = moved.amount "  # noqa: S608
        f"FROM (SELECT e.account_id, SUM(e.amount) AS amount FROM {entry} e "
        f"JOIN {account} a ON a.id = e.account_id WHERE a.fund_id = ANY(%s) "
        "GROUP BY e.account_id) AS moved WHERE account.id = moved.account_id",
        [fund_ids],
    )
    cursor.execute(
        f"SELECT transaction_id FROM {entry} WHERE transaction_id >= %s "  # noqa: S608
        "GROUP BY transaction_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2 LIMIT 1",
        [first_txn],
    )
    if cursor.fetchone():
        raise RuntimeError("The generator wrote an unbalanced transaction.")


def _generate(rng, funds, by_id, writer, entries, start, end, progress, started) -> None:
    """Post receipts, allocations, reservations, payments and releases in time order."""
    weights = [ACTIVITY_BY_LEVEL[f.level] for f in funds]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    source_high, source_low = _pick(rng, SOURCES_HIGH), _pick(rng, SOURCES_LOW)
    purposes = {kind: _pick(rng, weights) for kind, weights in PURPOSES.items()}
    # Time moves with the share of entries written, so the movements fill the span.
    span = (end - start).total_seconds()
    base = start.timestamp()
    pending: list[tuple[float, int, int, int, str, bool]] = []  # due, seq, fund, fen, purpose
    by_index = {f.id: f for f in funds}
    seq = 0
    stamp_cache: dict[int, str] = {}

    def stamp(moment: float) -> str:
        second = int(moment)
        text = stamp_cache.get(second)
        if text is None:
            if len(stamp_cache) > 100_000:
                stamp_cache.clear()
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S+00")
            stamp_cache[second] = text
        return text

    def settle(due: float, fund_id: int, fen: int, purpose: str, release: bool) -> None:
        fund = by_index[fund_id]
        at = stamp(due)
        if release:
            fund.money += fen
            writer.post(
                TransactionKind.RELEASE,
                fund.id,
                by_id,
                at,
                ((fund.reserved, -fen), (fund.available, fen)),
            )
        else:
            writer.post(
                TransactionKind.PAYMENT,
                fund.id,
                by_id,
                at,
                ((fund.reserved, -fen), (fund.paid_out[purpose], fen)),
            )

    def receive(fund: _Fund, at: str, at_least: int) -> None:
        source = source_high() if fund.high else source_low()
        fen = max(at_least, _fen(rng, 500_000, 50_000_000, 100_000))
        if fund.high:
            fen *= 10
        fund.money += fen
        writer.post(
            TransactionKind.RECEIPT,
            fund.id,
            by_id,
            at,
            ((fund.available, fen), (fund.income[source], -fen)),
        )

    reported = 0
    while (planned := writer.written_entries + 2 * len(pending)) < entries - 3:
        moment = base + span * planned / entries
        while pending and pending[0][0] <= moment:
            due, _seq, fund_id, fen, purpose, release = heapq.heappop(pending)
            settle(due, fund_id, fen, purpose, release)
        fund = funds[_bisect(cumulative, rng.random() * total)]
        at = stamp(moment)
        roll = rng.random()
        if roll < 0.08:
            receive(fund, at, 0)
        elif roll < 0.16 and fund.children and fund.money > 1_000_000:
            child = fund.children[rng.randrange(len(fund.children))]
            fen = max(100, fund.money * rng.randint(5, 25) // 100 // 100 * 100)
            fund.money -= fen
            child.money += fen
            writer.post(
                TransactionKind.ALLOCATION,
                fund.id,
                by_id,
                at,
                (
                    (fund.available, -fen),
                    (fund.allocated, fen),
                    (child.available, fen),
                    (child.income[ReceiptSource.HIGHER_UNION], -fen),
                ),
            )
        else:
            purpose = purposes[fund.kind]()
            fen = _fen(rng, *PAYMENT_FEN[purpose])
            if fund.money < fen:
                receive(fund, at, fen)
            fund.money -= fen
            writer.post(
                TransactionKind.RESERVATION,
                fund.id,
                by_id,
                at,
                ((fund.available, -fen), (fund.reserved, fen)),
            )
            seq += 1
            due = moment + rng.uniform(1, 30) * 86_400
            release = rng.random() < RELEASE_SHARE
            heapq.heappush(pending, (due, seq, fund.id, fen, purpose, release))
        if progress and writer.written_entries - reported >= 1_000_000:
            reported = writer.written_entries
            progress(reported, time.perf_counter() - started)
    # Every reservation is paid or released by the end (none is left for a payment row).
    last = end.timestamp() - 1
    while pending:
        due, _seq, fund_id, fen, purpose, release = heapq.heappop(pending)
        settle(min(due, last), fund_id, fen, purpose, release)


def _bisect(cumulative: list[float], value: float) -> int:
    low, high = 0, len(cumulative) - 1
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] <= value:
            low = middle + 1
        else:
            high = middle
    return low


def analyze_ledger() -> None:
    """Refresh statistics and the visibility map of the ledger tables (index-only scans need it)."""
    tables = [
        Fund._meta.db_table,
        Account._meta.db_table,
        LedgerTransaction._meta.db_table,
        Entry._meta.db_table,
    ]
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
