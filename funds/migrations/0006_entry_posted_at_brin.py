"""A BRIN index on when entries were posted (PostgreSQL only).

The dashboard's figures are refreshed every few minutes for the current month
(reports/tallies.py), which reads the month's entries across every account.
Entries are written in time order, so a block-range index finds them in a few
pages for a few kilobytes, where a b-tree would cost hundreds of megabytes at
ten million entries and slow every posting. SQLite (`make run`) has no BRIN
and does not need it.
"""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS entry_posted_at_brin ON funds_entry USING brin (posted_at)"
DROP = "DROP INDEX IF EXISTS entry_posted_at_brin"


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("funds", "0005_roster_scan_size_and_digest")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
