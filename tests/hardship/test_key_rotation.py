from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from common.crypto import clear_key_cache, keyed_hash
from hardship.models import HardshipFile
from hardship.services import MemberInput
from tests.factories import make_id_number, open_file


def test_rotation_moves_every_id_to_the_new_keys(caseworker, standards, settings):
    from datetime import date

    number = make_id_number(sequence=1501)
    child_number = make_id_number(birth="20100101", sequence=1502)
    child = MemberInput(
        relation="son",
        name="小明",
        birth_date=date(2010, 1, 1),
        employment="student",
        id_number=child_number,
    )
    file = open_file(by=caseworker, id_number=number, members=[child])
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    settings.ID_HASH_PREVIOUS_KEY = settings.ID_HASH_KEY
    settings.ID_HASH_KEY = "a-brand-new-hash-key-for-this-test-0123456789"
    clear_key_cache()
    call_command("rotate_encryption_keys")
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    clear_key_cache()

    try:
        reloaded = HardshipFile.objects.get(pk=file.pk)
        assert reloaded.id_number == number
        assert reloaded.id_hash == keyed_hash(number)
        assert reloaded.members.get().id_number == child_number
        assert reloaded.events.count() == 1  # no history rows for the rotation itself
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM hardship_hardshipfileevent")
            for (token,) in cursor.fetchall():
                assert Fernet(new_key.encode()).decrypt(token.encode()).decode() == number
    finally:
        clear_key_cache()
