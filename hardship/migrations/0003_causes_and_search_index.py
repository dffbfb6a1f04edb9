"""The fixed list of causes of hardship, and the PostgreSQL index that serves name search."""

from django.db import migrations

CAUSES = [
    # code, Chinese, English, sudden, position
    ("illness", "大病、慢性病", "Illness", False, 10),
    ("disability", "残疾", "Disability", False, 20),
    ("schooling", "子女上学", "Children's schooling", False, 30),
    ("unemployment", "失业、下岗", "Unemployment or lay-off", False, 40),
    ("disaster", "遭受灾害", "Disaster", True, 50),
    ("accident", "意外事故", "Accident", True, 60),
    ("single_parent", "单亲家庭", "Single parent", False, 70),
    ("low_wage", "收入低", "Low wage", False, 80),
    ("other", "其他", "Other", False, 90),
]


def add_causes(apps, schema_editor):
    HardshipCause = apps.get_model("hardship", "HardshipCause")
    for code, name, name_en, sudden, position in CAUSES:
        HardshipCause.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "is_sudden": sudden, "position": position},
        )


class PostgresOnlySQL(migrations.RunSQL):
    """Raw SQL that only PostgreSQL runs; the embedded SQLite default searches with LIKE."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("hardship", "0002_hardship_files")]

    operations = [
        migrations.RunPython(add_causes, migrations.RunPython.noop),
        # Exact-element search over the name's character runs and pinyin keys:
        # serves two-character Chinese queries, which pg_trgm cannot.
        PostgresOnlySQL(
            "CREATE INDEX file_search_keys ON hardship_hardshipfile "
            "USING gin (string_to_array(search_keys, ' '))",
            "DROP INDEX file_search_keys",
        ),
    ]
