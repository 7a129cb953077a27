"""Single phone/email/company columns become lists: phones, emails and employments."""

from django.db import migrations


def forward(apps, schema_editor):
    Company = apps.get_model("clients", "Company")
    Contact = apps.get_model("clients", "Contact")
    CompanyPhone = apps.get_model("clients", "CompanyPhone")
    CompanyEmail = apps.get_model("clients", "CompanyEmail")
    ContactPhone = apps.get_model("clients", "ContactPhone")
    ContactEmail = apps.get_model("clients", "ContactEmail")
    Employment = apps.get_model("clients", "Employment")
    batch = 5000
    rows = Company.objects.exclude(phone="").values_list("pk", "phone").iterator(chunk_size=batch)
    CompanyPhone.objects.bulk_create(
        (CompanyPhone(company_id=pk, number=n, kind="work") for pk, n in rows), batch_size=batch
    )
    rows = Company.objects.exclude(email="").values_list("pk", "email").iterator(chunk_size=batch)
    CompanyEmail.objects.bulk_create(
        (CompanyEmail(company_id=pk, address=a) for pk, a in rows), batch_size=batch
    )
    rows = Contact.objects.exclude(phone="").values_list("pk", "phone").iterator(chunk_size=batch)
    ContactPhone.objects.bulk_create(
        (ContactPhone(contact_id=pk, number=n) for pk, n in rows), batch_size=batch
    )
    rows = Contact.objects.exclude(email="").values_list("pk", "email").iterator(chunk_size=batch)
    ContactEmail.objects.bulk_create(
        (ContactEmail(contact_id=pk, address=a) for pk, a in rows), batch_size=batch
    )
    rows = (
        Contact.objects.filter(company__isnull=False)
        .values_list("pk", "company_id")
        .iterator(chunk_size=batch)
    )
    Employment.objects.bulk_create(
        (Employment(contact_id=pk, company_id=c) for pk, c in rows), batch_size=batch
    )


def backward(apps, schema_editor):
    # The first phone, email and company come back into the single columns.
    Company = apps.get_model("clients", "Company")
    Contact = apps.get_model("clients", "Contact")
    for model, owner in (
        (apps.get_model("clients", "CompanyPhone"), Company),
        (apps.get_model("clients", "ContactPhone"), Contact),
    ):
        key = "company_id" if owner is Company else "contact_id"
        for pk, number in model.objects.order_by("-position", "-id").values_list(key, "number"):
            owner.objects.filter(pk=pk).update(phone=number)
    for model, owner in (
        (apps.get_model("clients", "CompanyEmail"), Company),
        (apps.get_model("clients", "ContactEmail"), Contact),
    ):
        key = "company_id" if owner is Company else "contact_id"
        for pk, address in model.objects.order_by("-position", "-id").values_list(key, "address"):
            owner.objects.filter(pk=pk).update(email=address)
    for contact_id, company_id in (
        apps.get_model("clients", "Employment")
        .objects.order_by("-id")
        .values_list("contact_id", "company_id")
    ):
        Contact.objects.filter(pk=contact_id).update(company_id=company_id)


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_card_file_records")]

    operations = [migrations.RunPython(forward, backward)]
