"""Template filters of the timeline."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration_text(seconds: int | None) -> str:
    """A call's length as people say it: "4 min", "4 min 30 s", "45 s"."""
    if not seconds:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if not minutes:
        return _("%(seconds)d s") % {"seconds": rest}
    text = _("%(minutes)d min") % {"minutes": minutes}
    return f"{text} {_('%(seconds)d s') % {'seconds': rest}}" if rest else text
