"""factory_boy factories. Units go through the service, which writes their path."""

import functools

import factory
from django.contrib.auth.hashers import get_hasher, make_password
from django.test import Client

from people.models import UnionUnit, User
from people.services import union_unit_create

TEST_PASSWORD = "Correct-Horse-42"


class UnionUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnionUnit

    name = factory.Sequence(lambda n: f"测试第{n}工会")
    code = factory.Sequence(lambda n: f"T{n}")
    level = UnionUnit.Level.GRASSROOTS
    parent = None
    division_code = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return union_unit_create(**kwargs)


def _test_password_hash() -> str:
    # Per hasher: a test that swaps in a quick one (tests/hardship/test_actions_match_services.py)
    # must not leave its hash to later tests of the same process, which cannot check it.
    return _test_password_hash_by(get_hasher("default").algorithm)


@functools.cache
def _test_password_hash_by(algorithm: str) -> str:
    return make_password(TEST_PASSWORD, hasher=algorithm)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"职工{n}")
    is_caseworker = True
    # One hash of the test password for every user: the production hasher, paid once.
    password = factory.LazyFunction(_test_password_hash)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if kwargs.get("password") is None:  # password=None: an account no one can sign in to
            kwargs["password"] = make_password(None)
        return kwargs

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()


def second_factor_device(user: User, key: str = "3132333435363738393031323334353637383930"):
    """A confirmed authenticator (TOTP) for ``user`` with a known key (hex), so a test can
    compute its codes with ``totp_code``."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="test authenticator", key=key, confirmed=True)


def totp_code(device) -> str:
    """The code ``device``'s authenticator app shows now."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verify_second_factor(client, user: User) -> None:
    """Mark ``client``'s session as having passed the second step of signing in, when ``user``
    needs one (what the second-factor page does after a right code)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from people.selectors import second_factor_required

    if not second_factor_required(user):
        return
    device = user.totpdevice_set.filter(confirmed=True).first() or second_factor_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class SignedInClient(Client):
    """A test client whose ``force_login`` signs a person in fully: an administrator's session
    also carries a verified second factor, as after the second step of signing in. Tests of
    the sign-in itself post to the sign-in pages instead (tests/people/test_second_factor.py).
    """

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        verify_second_factor(self, user)


def make_id_number(birth: str = "19800101", region: str = "420102", sequence: int = 1) -> str:
    """A valid national ID number: region, birth date (YYYYMMDD), sequence (odd = male)."""
    from hardship.identity import check_character

    first = f"{region}{birth}{sequence % 1000:03d}"
    return first + check_character(first)


def file_values(**overrides) -> dict:
    """Valid values for hardship_file_open/update, as a form would hand them over."""
    from decimal import Decimal

    from hardship.models import HardshipCause

    values = {
        "name": "张建国",
        "ethnicity": "01",
        "political_status": "masses",
        "phone": "13912345678",
        "address": "武汉市江岸区大智路 18 号 3 单元 502",
        "division_code": "420102",
        "hukou_type": "urban",
        "marital_status": "married",
        "health": "serious",
        "disability": "none",
        "employment_status": "laid_off",
        "is_migrant_worker": False,
        "model_worker_level": "none",
        "employer_name": "武汉江岸车辆厂",
        "employer_credit_code": "",
        "employer_situation": "halted",
        "industry": "制造业",
        "job_is_outdoor_or_hot": False,
        "bank_name": "",
        "bank_account": "",
        "annual_income": Decimal("18000"),
        "medical_costs": Decimal("6000"),
        "schooling_costs": Decimal("0"),
        "disaster_costs": Decimal("0"),
        "household_size": 3,
        "main_cause": HardshipCause.objects.get(code="illness"),
        "needs_living": True,
        "needs_medical": True,
        "needs_schooling": False,
        "needs_employment": False,
        "needs_housing": False,
        "needs_legal": False,
        "notes": "",
    }
    values.update(overrides)
    return values


def open_file(*, by, unit=None, id_number=None, members=(), secondary_causes=(), **overrides):
    """Open a file through the service, as a caseworker would."""
    from hardship.services import hardship_file_open

    open_file.counter = getattr(open_file, "counter", 0) + 1
    return hardship_file_open(
        by=by,
        unit=unit or by.unit,
        id_number=id_number or make_id_number(sequence=open_file.counter * 2 + 1),
        values=file_values(**overrides),
        secondary_causes=list(secondary_causes),
        members=list(members),
    )


def put_on_closed_notice(*files, by, days_ago: int = 10):
    """Put ``files`` on a public notice that ran and closed clean before today, as if started
    ``days_ago`` days back (the service refuses to start one in the past)."""
    from datetime import timedelta

    from django.utils import timezone

    from hardship.models import PublicNotice, PublicNoticeEntry
    from hardship.notices import short_reason
    from hardship.pipeline import mask_name

    today = timezone.localdate()
    notice = PublicNotice.objects.create(
        unit=files[0].unit, kind=PublicNotice.Kind.NEW_FILES,
        starts_on=today - timedelta(days=days_ago), ends_on=today - timedelta(days=days_ago - 7),
        working_days=5, where_to_object="工会办公室", created_by=by,
    )  # fmt: skip
    for file in files:
        PublicNoticeEntry.objects.create(
            notice=notice, file=file, masked_name=mask_name(file.name), unit_name=file.unit.name,
            category=file.get_category_display(), reason=short_reason(file),
        )  # fmt: skip
    return notice


def put_grant_on_closed_notice(grant, *, by):
    """Put a schooling grant on a notice of its paying unit that closed clean before today."""
    from datetime import timedelta

    from django.utils import timezone

    from hardship.models import PublicNotice, PublicNoticeEntry
    from hardship.pipeline import mask_name

    today = timezone.localdate()
    notice = PublicNotice.objects.create(
        unit=grant.unit, kind=PublicNotice.Kind.GRANTS, starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=3), working_days=5, where_to_object="工会办公室",
        created_by=by,
    )  # fmt: skip
    grant.notice_entry = PublicNoticeEntry.objects.create(
        notice=notice, file=grant.file, masked_name=mask_name(grant.file.name),
        unit_name=grant.file.unit.name, category=grant.file.get_category_display(),
        reason="金秋助学", amount=grant.amount,
    )  # fmt: skip
    grant.save(update_fields=["notice_entry"])
    return grant
