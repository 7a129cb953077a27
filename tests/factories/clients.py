from __future__ import annotations

from typing import Any

import factory

from kartoteka.clients.models import Company, CompanyPhone, Contact, ContactPhone, Employment
from kartoteka.core import search
from tests.factories.accounts import UserFactory


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"ООО «Ромашка {n}»")
    owner = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda company: company.owner.branch)

    @factory.post_generation
    def phone(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create:
            number = extracted if extracted is not None else f"+7916{self.pk:07d}"
            if number:
                CompanyPhone.objects.create(company=self, number=number, kind="work")

    @factory.post_generation
    def search_index(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        # Last: the services index what they write; factories do the same once all is in place.
        if create:
            search.index(self)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    last_name = factory.Sequence(lambda n: f"Иванов{n}")
    first_name = "Иван"
    owner = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda contact: contact.owner.branch)

    @factory.post_generation
    def phone(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create:
            number = extracted if extracted is not None else f"+7903{self.pk:07d}"
            if number:
                ContactPhone.objects.create(contact=self, number=number)

    @factory.post_generation
    def company(self, create: bool, extracted: Company | None, **kwargs: Any) -> None:
        if create and extracted is not None:
            Employment.objects.create(
                contact=self, company=extracted, position=kwargs.get("position", "")
            )

    @factory.post_generation
    def search_index(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            search.index(self)
