"""django-pghistory's _pgh_attach_context(), reading its context without a subtransaction.

Every history trigger row calls it. pghistory's version reads the context's settings inside a
BEGIN … EXCEPTION block, which opens a subtransaction per row and, when no context is set (a
job, a command, plain SQL), rolls it back on the missing setting's error; each rollback walks
every trigger event the statement has queued so far, so an UPDATE of n tracked rows cost n²: a
plain UPDATE of a province's 290,000 bank results ran 565 s. Reading the settings with
missing_ok needs no block. What it returns is unchanged: the context's id, or NULL when none
is set (an unset setting reads as NULL, or as '' once a SET LOCAL of it has ended).

pghistory installs its version in its migrations 0004 and 0007, and again after every migrate
only if PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE is set (it is not); a later pghistory
migration that installs it again would undo this, which tests/test_schema.py catches.
"""

from django.db import migrations

WITHOUT_SUBTRANSACTION = """
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


def pghistorys_own(apps, schema_editor):
    from pghistory.models import Context

    Context.install_pgh_attach_context_func(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_retention_that_ends"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunSQL(WITHOUT_SUBTRANSACTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunPython(migrations.RunPython.noop, reverse_code=pghistorys_own),
    ]
