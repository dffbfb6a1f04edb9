"""manage.py check_ledger: verify every invariant of the aid ledger; exit non-zero on any break."""

from django.core.management.base import BaseCommand, CommandError

from funds.selectors import ledger_problems


class Command(BaseCommand):
    help = (
        "Verify the aid ledger: balanced transactions, balances equal to the sum of entries, "
        "no fund below zero, no budget overspent, reservations matching approved payments."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=50, help="Report at most this many breaks of each kind."
        )

    def handle(self, *args, limit: int, **options):
        problems = ledger_problems(limit=limit)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The ledger has {len(problems)} broken invariant(s).")
        self.stdout.write(self.style.SUCCESS("The ledger holds: every invariant checked."))
