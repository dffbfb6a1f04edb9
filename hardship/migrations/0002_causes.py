"""The fixed list of causes of hardship a new installation starts with; admins may add more."""

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


class Migration(migrations.Migration):
    dependencies = [("hardship", "0001_initial")]

    operations = [migrations.RunPython(add_causes, migrations.RunPython.noop)]
