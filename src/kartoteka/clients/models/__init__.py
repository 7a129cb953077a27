from kartoteka.clients.models.company import Company, CompanyEmail, CompanyPhone
from kartoteka.clients.models.contact import Contact, ContactEmail, ContactPhone, Employment
from kartoteka.clients.models.custom_fields import CustomField
from kartoteka.clients.models.relation import RelatedPerson
from kartoteka.clients.models.rules import GroupRule, SavedView
from kartoteka.clients.models.tags import Tag

__all__ = [
    "Company",
    "CompanyEmail",
    "CompanyPhone",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "CustomField",
    "Employment",
    "GroupRule",
    "RelatedPerson",
    "SavedView",
    "Tag",
]
