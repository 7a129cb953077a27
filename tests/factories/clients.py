from __future__ import annotations

import factory

from kartoteka.clients.models import Company, Contact
from tests.factories.accounts import UserFactory


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"ООО «Ромашка {n}»")
    owner = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda company: company.owner.branch)
    phone = factory.Sequence(lambda n: f"+7916{n:07d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    last_name = factory.Sequence(lambda n: f"Иванов{n}")
    first_name = "Иван"
    owner = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda contact: contact.owner.branch)
    phone = factory.Sequence(lambda n: f"+7903{n:07d}")
