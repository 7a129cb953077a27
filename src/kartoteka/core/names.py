"""Russian personal names in other grammatical cases, and a person's likely sex.

A task title reads "Через 2 дня день рождения жены Петрова, Анны": the surname and the first name
in the genitive, and "жены" rather than "мужа" because Анна is a woman's name. The inflection and
the guess come from the petrovich rules (``pytrovich``); a name the rules do not know (a Latin
"John", an empty string) is left as it is rather than mangled.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pytrovich.detector import PetrovichGenderDetector
from pytrovich.enums import Case, Gender, NamePart
from pytrovich.maker import PetrovichDeclinationMaker

Sex = Literal["male", "female", ""]


@cache
def _maker() -> PetrovichDeclinationMaker:
    return PetrovichDeclinationMaker()


@cache
def _detector() -> PetrovichGenderDetector:
    return PetrovichGenderDetector()


def _cyrillic(text: str) -> bool:
    return any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text)


def sex_of(first_name: str = "", middle_name: str = "", last_name: str = "") -> Sex:
    """ "male", "female", or "" when the names do not tell (Саша, Женя, a Latin name)."""
    if not _cyrillic(first_name + middle_name + last_name):
        return ""
    try:
        found = _detector().detect(
            firstname=first_name or None, middlename=middle_name or None, lastname=last_name or None
        )
    except Exception:  # noqa: BLE001 - an unknown name is simply not told
        return ""
    if found == Gender.MALE:
        return "male"
    if found == Gender.FEMALE:
        return "female"
    return ""


def genitive(
    *, last_name: str = "", first_name: str = "", middle_name: str = "", sex: Sex = ""
) -> str:
    """The given parts of a name in the genitive ("Петрова Павла Петровича"), in that order."""
    sex = sex or sex_of(first_name, middle_name, last_name)
    gender = Gender.FEMALE if sex == "female" else Gender.MALE
    parts = []
    for part, value in (
        (NamePart.LASTNAME, last_name),
        (NamePart.FIRSTNAME, first_name),
        (NamePart.MIDDLENAME, middle_name),
    ):
        value = value.strip()
        if not value:
            continue
        if _cyrillic(value):
            try:
                value = _maker().make(part, gender, Case.GENITIVE, value, known_gender=bool(sex))
            except Exception:  # noqa: BLE001, S110 - keep the name as it was written
                pass
        parts.append(value)
    return " ".join(parts)
