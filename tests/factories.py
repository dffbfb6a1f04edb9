"""factory_boy factories. Units go through the service, which writes their path."""

import factory

from hardship.models import UnionUnit, User
from hardship.services import union_unit_create

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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"职工{n}")
    is_caseworker = True
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):
        if create:
            self.save()
