from kartoteka.records.models.custom_fields import CustomField
from kartoteka.records.models.rules import GroupRule, SavedView
from kartoteka.records.models.tags import Tag

__all__ = ["CustomField", "GroupRule", "SavedView", "Tag"]
