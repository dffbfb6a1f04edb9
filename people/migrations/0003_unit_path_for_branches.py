"""A unit's path where the planner can use it, and statistics fine enough to size a branch.

Every branch-scoped query joins rows to their unit and keeps those whose ``path`` starts
with the branch's. The index holds the path beside the id, so that check reads no table.
With the default statistics (100 histogram buckets) a county of 101 units among 20,000 was
estimated at 202; thinking the branch twice as large, the planner walked the whole
province's files newest first for the county's (hardship's file list: 45 ms, not 2 ms).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_account_event"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="unionunit",
            index=models.Index(fields=["id"], include=("path",), name="unit_id_path"),
        ),
        migrations.RunSQL(
            "ALTER TABLE people_unionunit ALTER COLUMN path SET STATISTICS 1000;"
            " ANALYZE people_unionunit;",
            reverse_sql="ALTER TABLE people_unionunit ALTER COLUMN path SET STATISTICS -1;",
        ),
    ]
