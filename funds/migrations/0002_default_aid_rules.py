"""The caps a new installation starts with; administrators change them in Django admin."""

from decimal import Decimal

from django.db import migrations

# Purpose: (at most per payment, at most per household a year, an approver may override).
DEFAULT_RULES = {
    "visit_money": (Decimal("3000"), Decimal("6000"), True),
    "goods": (Decimal("3000"), Decimal("6000"), True),
    "living": (None, None, True),
    "medical": (None, None, False),
    "schooling": (None, None, False),
    "special": (None, None, False),
}


def add_rules(apps, schema_editor):
    AidRule = apps.get_model("funds", "AidRule")
    for purpose, (per_payment, per_year, override) in DEFAULT_RULES.items():
        AidRule.objects.get_or_create(
            purpose=purpose,
            defaults={
                "per_payment_cap": per_payment,
                "per_year_cap": per_year,
                "override_allowed": override,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
