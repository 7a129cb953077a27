from kartoteka.clients.models.company import Company, CompanyEmail, CompanyPhone
from kartoteka.clients.models.contact import Contact, ContactEmail, ContactPhone, Employment
from kartoteka.clients.models.relation import RelatedPerson

__all__ = [
    "Company",
    "CompanyEmail",
    "CompanyPhone",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "Employment",
    "RelatedPerson",
]
