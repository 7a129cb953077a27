from __future__ import annotations

import factory

from kartoteka.accounts.models import Branch, Role, Team, User

PASSWORD = "correct-horse-battery-9"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Филиал {n}")
    city = factory.LazyAttribute(lambda branch: branch.name)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Команда {n}")
    branch = factory.SubFactory(BranchFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="ru_RU")
    last_name = factory.Faker("last_name", locale="ru_RU")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.ru")
    branch = factory.SubFactory(BranchFactory)
    language = "en"

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.roles.set(Role.objects.filter(code__in=extracted))
