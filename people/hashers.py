"""The password hasher: Argon2id at a cost chosen for this service (config/settings.py says why)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class UnionArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with 64 MiB and two passes on one lane.

    Django's default (100 MiB, eight lanes) costs about 0.15 s of CPU on a two-core node, where
    eight lanes cannot run side by side; one lane gives the same memory hardness per
    CPU-second. Changing these numbers rehashes each password at its next sign-in
    (``must_update``), so no reset is needed.
    """

    time_cost = 2
    memory_cost = 65536  # KiB
    parallelism = 1
