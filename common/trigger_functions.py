"""The two helper functions every trigger row calls, reinstalled after each migrate without the
subtransaction their libraries give them.

django-pgtrigger's ``_pgtrigger_should_ignore()`` (called first by every trigger of ours) and
django-pghistory's ``_pgh_attach_context()`` (called for every history row) read a setting
inside ``BEGIN … EXCEPTION``: a subtransaction per row, rolled back whenever the setting is
unset, which is always for pgtrigger's and outside a history context (a job, a command, plain
SQL) for pghistory's. Each rollback walks every trigger event the statement has queued, so one
UPDATE of n rows cost n²: a plain UPDATE of a province's 290,000 bank results ran 565 s, and
signing 439,000 roster lines had not finished in 15 minutes.

Read with ``missing_ok`` the settings need no block; what the functions return is unchanged
(an unset setting reads as NULL, or as '' once a SET LOCAL of it has ended). pgtrigger writes
its version again with every trigger a migration installs, so these are written after every
``migrate`` (``post_migrate``), when the migrations' own are in place.
"""

from django.db import connections

SHOULD_IGNORE = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[] :=
            NULLIF(CURRENT_SETTING('pgtrigger.ignore', TRUE), '')::TEXT[];
    BEGIN
        IF _pgtrigger_ignore IS NOT NULL THEN
            RETURN trigger_name = ANY(_pgtrigger_ignore);
        ELSE
            RETURN FALSE;
        END IF;
    END;
$$ LANGUAGE plpgsql;
"""

ATTACH_CONTEXT = """
CREATE OR REPLACE FUNCTION _pgh_attach_context()
RETURNS pghistory_context.id%TYPE AS $$
    DECLARE
        _pgh_context_id UUID :=
            NULLIF(CURRENT_SETTING('pghistory.context_id', TRUE), '')::UUID;
        _pgh_context_metadata JSONB :=
            NULLIF(CURRENT_SETTING('pghistory.context_metadata', TRUE), '')::JSONB;
    BEGIN
        IF _pgh_context_id IS NOT NULL AND _pgh_context_metadata IS NOT NULL THEN
            INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
                VALUES (_pgh_context_id, _pgh_context_metadata, NOW(), NOW())
                ON CONFLICT (id) DO UPDATE
                    SET metadata = EXCLUDED.metadata,
                        updated_at = EXCLUDED.updated_at
                    WHERE pghistory_context.metadata != EXCLUDED.metadata;
            RETURN _pgh_context_id;
        ELSE
            RETURN NULL;
        END IF;
    END;
$$ LANGUAGE plpgsql;
"""


def trigger_functions_install(*, using: str) -> None:
    """Write both functions on the database ``using``, once pghistory's table exists."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('pghistory_context') IS NOT NULL")
        (history_ready,) = cursor.fetchone()
        cursor.execute(SHOULD_IGNORE)
        if history_ready:
            cursor.execute(ATTACH_CONTEXT)


def after_migrate(*, using: str, **_signal) -> None:
    trigger_functions_install(using=using)
