"""Each file's copy of its unit's path (``HardshipFile.unit_path``), filled once set-wise and then
kept by the database: the file's own trigger reads it from the unit on every write of the unit
(pgtrigger), and a statement trigger on units writes it to the files of every unit whose path
changed (a branch moved, ``people.services.union_unit_move``). That trigger lives here, with the
copy it keeps: the people app knows nothing of files.
"""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

FILL = """
UPDATE hardship_hardshipfile AS file SET unit_path = unit.path
FROM people_unionunit AS unit WHERE unit.id = file.unit_id
"""

FOLLOW_UNITS = """
CREATE FUNCTION hardship_file_unit_path_follows_unit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hardship_hardshipfile AS file SET unit_path = moved.path
    FROM moved_units AS moved JOIN units_before AS before ON before.id = moved.id
    WHERE file.unit_id = moved.id AND moved.path IS DISTINCT FROM before.path;
    RETURN NULL;
END
$$;
CREATE TRIGGER hardship_file_unit_path_follows_unit
AFTER UPDATE ON people_unionunit
REFERENCING OLD TABLE AS units_before NEW TABLE AS moved_units
FOR EACH STATEMENT EXECUTE FUNCTION hardship_file_unit_path_follows_unit();
"""

UNFOLLOW_UNITS = """
DROP TRIGGER hardship_file_unit_path_follows_unit ON people_unionunit;
DROP FUNCTION hardship_file_unit_path_follows_unit();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('hardship', '0020_import_upload_digest'),
        ('people', '0003_unit_path_for_branches'),
    ]

    operations = [
        # The list's indexes led by the unit give way to ones led or followed by its path;
        # dropped first, so the fill below does not keep them up.
        migrations.RemoveIndex(model_name='hardshipfile', name='file_unit_newest'),
        migrations.RemoveIndex(model_name='hardshipfile', name='file_status_unit'),
        migrations.RemoveIndex(model_name='hardshipfile', name='file_category_unit'),
        migrations.RemoveIndex(model_name='hardshipfile', name='file_status_category_unit'),
        migrations.AddField(
            model_name='hardshipfile',
            name='unit_path',
            field=models.CharField(db_collation='C', default='', editable=False, max_length=255, verbose_name='unit path'),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='hardshipfile',
            index=models.Index(fields=['unit_path', 'status'], name='file_path_status'),
        ),
        migrations.AddIndex(
            model_name='hardshipfile',
            index=models.Index(fields=['unit_path', '-created_at', '-id'], name='file_path_newest'),
        ),
        migrations.AddIndex(
            model_name='hardshipfile',
            index=models.Index(fields=['status', 'unit_path'], include=('category',), name='file_status_path'),
        ),
        migrations.AddIndex(
            model_name='hardshipfile',
            index=models.Index(fields=['category', 'unit_path'], include=('status',), name='file_category_path'),
        ),
        migrations.AddIndex(
            model_name='hardshipfile',
            index=models.Index(fields=['status', 'category', 'unit_path'], name='file_status_category_path'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='hardshipfile',
            trigger=pgtrigger.compiler.Trigger(name='file_unit_path_from_unit', sql=pgtrigger.compiler.UpsertTriggerSql(func='NEW."unit_path" := (SELECT "path" FROM "people_unionunit" WHERE "id" = NEW."unit_id"); RETURN NEW;', hash='fda1b2e99e266dc50b1231d3993a6a099cf62acb', operation='INSERT OR UPDATE OF "unit_id", "unit_path"', pgid='pgtrigger_file_unit_path_from_unit_d2e96', table='hardship_hardshipfile', when='BEFORE')),
        ),
        migrations.RunSQL(FOLLOW_UNITS, UNFOLLOW_UNITS),
    ]
