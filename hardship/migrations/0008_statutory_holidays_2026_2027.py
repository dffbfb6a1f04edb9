"""The statutory public holidays of 2026 and 2027 (全国年节及纪念日放假办法, as amended in 2024).

Only the statutory days themselves: the State Council's yearly schedule adds days off joined
to them and weekend days worked in exchange (调休), which administrators enter in the holiday
calendar as it is published.
"""

from datetime import date

from django.db import migrations

STATUTORY = [
    (date(2026, 1, 1), "元旦"),
    (date(2026, 2, 16), "春节"),
    (date(2026, 2, 17), "春节"),
    (date(2026, 2, 18), "春节"),
    (date(2026, 2, 19), "春节"),
    (date(2026, 5, 1), "劳动节"),
    (date(2026, 5, 2), "劳动节"),
    (date(2026, 10, 1), "国庆节"),
    (date(2026, 10, 2), "国庆节"),
    (date(2026, 10, 3), "国庆节"),
    (date(2027, 1, 1), "元旦"),
    (date(2027, 2, 5), "春节"),
    (date(2027, 2, 6), "春节"),
    (date(2027, 2, 7), "春节"),
    (date(2027, 2, 8), "春节"),
    (date(2027, 5, 1), "劳动节"),
    (date(2027, 5, 2), "劳动节"),
    (date(2027, 10, 1), "国庆节"),
    (date(2027, 10, 2), "国庆节"),
    (date(2027, 10, 3), "国庆节"),
]


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("hardship", "CalendarDay")
    for day, name in STATUTORY:
        CalendarDay.objects.get_or_create(day=day, defaults={"name": name, "is_working_day": False})


class Migration(migrations.Migration):
    dependencies = [("hardship", "0007_public_notice_and_civil_affairs_check")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
