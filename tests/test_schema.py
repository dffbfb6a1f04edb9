"""The database guards that must survive any rewrite of the migrations: they exist in the
schema the migrations build, under the names the code and README rely on.

The migrations were regenerated when the apps were reshaped (README, "Migrations"); these
tests read PostgreSQL's catalogue, not the models, so a guard lost on the way fails here.
"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def triggers_on(table: str) -> set[str]:
    """The user triggers of ``table``, with pgtrigger's "pgtrigger_" prefix and hash suffix off."""
    names = _rows(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [table],
    )
    return {name.removeprefix("pgtrigger_").rsplit("_", 1)[0] for (name,) in names}


def check_constraints_of(table: str) -> set[str]:
    return {
        name
        for (name,) in _rows(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'",
            [table],
        )
    }


def index_definition(name: str) -> str:
    rows = _rows("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
    assert rows, f"index {name} is missing"
    return rows[0][0]


@pytest.mark.parametrize(
    ("table", "trigger"),
    [
        ("funds_entry", "ledger_entries_balance_and_post"),
        ("funds_entry", "ledger_entry_is_never_changed"),
        ("funds_ledgertransaction", "ledger_transaction_is_never_changed"),
        ("funds_budget", "child_budgets_within_parent"),
        ("hardship_hardshipfile", "file_never_deleted"),
        ("hardship_filetransition", "transition_append_only"),
        ("people_accountevent", "account_event_append_only"),
        # django-pghistory's history triggers: every change to a file or member is kept.
        ("hardship_hardshipfile", "insert_insert"),
        ("hardship_hardshipfile", "update_update"),
        ("hardship_householdmember", "insert_insert"),
        ("hardship_householdmember", "update_update"),
        ("hardship_householdmember", "delete_delete"),
    ],
)
def test_the_trigger_guarding_a_table_exists(table, trigger):
    assert trigger in triggers_on(table)


def test_the_ledger_trigger_runs_once_per_statement_after_insert():
    ((timing,),) = _rows(
        "SELECT tgtype FROM pg_trigger WHERE tgname LIKE 'pgtrigger_ledger_entries_balance_and_post_%%'"
    )
    # tgtype bits: 1 = FOR EACH ROW (off: per statement), 2 = BEFORE (off: after), 4 = INSERT.
    assert (timing & 1, timing & 2, timing & 4) == (0, 0, 4)


@pytest.mark.parametrize(
    ("table", "constraint"),
    [
        ("funds_account", "fund_money_never_negative"),
        ("funds_budget", "budget_never_overspent"),
        ("funds_entry", "entry_moves_money"),
        ("funds_ledgertransaction", "reversal_names_what_it_reverses"),
        ("funds_disbursement", "approver_is_not_the_proposer"),
        ("funds_disbursement", "approved_payment_is_reserved"),
        ("funds_disbursement", "paid_payment_has_its_transaction"),
        ("hardship_hardshipfile", "file_income_sane"),
        ("hardship_hardshipfile", "file_on_file_has_category"),
        ("people_unionunit", "unit_path_is_slash_delimited"),
        ("people_user", "user_has_unit_unless_superuser"),
        ("documents_generateddocument", "document_progress_within_total"),
    ],
)
def test_the_check_constraint_exists(table, constraint):
    assert constraint in check_constraints_of(table)


@pytest.mark.parametrize(
    ("index", "where"),
    [
        ("one_running_job_per_key", "status"),
        ("one_visit_money_per_household_and_campaign", "status"),
        ("one_pending_transfer_per_file", "status"),
        ("member_listed_once", "id_hash"),
        ("one_current_pairing_per_role", "ends_on"),
    ],
)
def test_the_partial_unique_index_exists_with_its_condition(index, where):
    definition = index_definition(index)
    assert "CREATE UNIQUE INDEX" in definition
    assert " WHERE " in definition
    assert where in definition.split(" WHERE ", 1)[1]


def test_name_search_has_its_gin_index_over_the_search_keys():
    definition = index_definition("file_search_keys")
    assert "USING gin" in definition
    assert "string_to_array(search_keys, ' '::text)" in definition


def test_a_branchs_name_search_is_one_range_of_the_name_keys_index_which_holds_the_rest():
    definition = index_definition("file_name_key_path")
    assert "(key, unit_path) INCLUDE (status, category, created_at, file_id)" in definition
    columns = dict(
        _rows(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_name = 'hardship_filenamekey'"
        )
    )
    # Byte order, so a branch's path prefix is a range of the index.
    assert columns["unit_path"] == "C"
    assert columns["key"] == "C"


def test_ledger_entries_have_a_brin_index_on_when_they_were_posted():
    assert "USING brin (posted_at)" in index_definition("entry_posted_at_brin")


def test_ledger_entries_have_a_covering_index_for_statements():
    assert "(account_id, posted_at) INCLUDE (amount)" in index_definition("entry_account_posted")


def test_a_branch_is_found_by_a_prefix_index_on_the_unit_path():
    definitions = [
        d for (d,) in _rows("SELECT indexdef FROM pg_indexes WHERE tablename = 'people_unionunit'")
    ]
    assert any("varchar_pattern_ops" in d and "(path" in d for d in definitions), definitions


def test_the_file_lists_status_and_category_counts_have_their_index():
    # hardship.selectors.file_list_counts: a status's capped count within a category.
    assert "(status, category, unit_path)" in index_definition("file_status_category_path")


def test_a_files_copy_of_its_unit_path_is_in_byte_order_so_a_branch_is_an_index_range():
    # LIKE '/1/2/%' is a range of a b-tree only under the "C" collation (or a pattern opclass).
    (collation,) = _rows(
        "SELECT collation_name FROM information_schema.columns "
        "WHERE table_name = 'hardship_hardshipfile' AND column_name = 'unit_path'"
    )[0]
    assert collation == "C"
    assert "(unit_path, status)" in index_definition("file_path_status")


def test_the_rows_a_new_installation_starts_with_are_there():
    from funds.models import AidRule
    from hardship.models import HardshipCause
    from mailings.models import EmailSchedule

    assert HardshipCause.objects.count() == 9
    assert set(AidRule.objects.values_list("purpose", flat=True)) == {
        "visit_money", "goods", "living", "medical", "schooling", "special",
    }  # fmt: skip
    assert EmailSchedule.objects.count() == 3


@pytest.mark.parametrize("function", ["_pgtrigger_should_ignore", "_pgh_attach_context"])
def test_the_functions_every_trigger_row_calls_open_no_subtransaction(function):
    # A BEGIN … EXCEPTION block per row made an UPDATE of n rows cost n² (common/
    # trigger_functions.py), and pgtrigger writes its own version with every trigger a
    # migration installs: ours must be the one in place after migrate.
    ((source,),) = _rows("SELECT prosrc FROM pg_proc WHERE proname = %s", [function])
    assert "EXCEPTION" not in source.upper()
    assert ", TRUE)" in source
