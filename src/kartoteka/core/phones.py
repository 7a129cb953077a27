"""Phone numbers: any input format in, E.164 stored, Russian region by default."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "RU"


def normalize_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """'8 916 123-45-67', '+7(916)1234567', '9161234567' all become '+79161234567'."""
    text = (raw or "").strip()
    if not text:
        return ""
    digits = "".join(ch for ch in text if ch.isdigit())
    # Russian habit: a leading 8 is the trunk prefix, ten bare digits are a mobile/city number.
    if not text.startswith("+") and len(digits) == 11 and digits[0] in "78":
        text = "+7" + digits[1:]
    elif not text.startswith("+") and len(digits) == 10 and region == DEFAULT_REGION:
        text = "+7" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number, e.g. +7 916 123-45-67."), code="phone"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Enter a phone number, e.g. +7 916 123-45-67."), code="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """How people read it: '+7 916 123-45-67'."""
    if not e164:
        return ""
    if len(e164) == 12 and e164.startswith("+79") and e164[1:].isdigit():
        # Russian mobiles (+7 9xx) always group 3-3-2-2; spelled out here because a list page
        # formats one per row and the general formatter costs a tenth of a millisecond each.
        return f"+7 {e164[2:5]} {e164[5:8]}-{e164[8:10]}-{e164[10:12]}"
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
