from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("funds", "0004_entry_ordering_by_key")]

    operations = [
        # Scans uploaded before this were not measured: 0 bytes and no digest say so.
        migrations.AddField(
            model_name="rosterscan",
            name="size",
            field=models.PositiveIntegerField(default=0, verbose_name="size in bytes"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="rosterscan",
            name="sha256",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="rosterscan",
            index=models.Index(fields=["campaign", "unit"], name="roster_scan_campaign_unit"),
        ),
    ]
