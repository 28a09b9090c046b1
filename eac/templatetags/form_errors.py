"""The error summary every form of the console shows above its fields (docs/forms.md): each
message once more at the top of the form, as a link to the field it belongs to, so a person
who can't see the whole page, or doesn't look further than the top, still finds every mistake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS

register = template.Library()


@dataclass(frozen=True)
class SummaryItem:
    text: str
    href: str = ""  # "#<id of the field>" or the URL of the page that fixes it; "" for none


def field_anchor(bound: forms.BoundField) -> str:
    """The id of the control a person fixes the field with: its box, or its first option."""
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return str(widget.attrs.get("id") or bound.auto_id or "")


def form_items(form: forms.BaseForm) -> list[SummaryItem]:
    items = [SummaryItem(str(message)) for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        anchor = field_anchor(form[name])
        items += [SummaryItem(str(message), f"#{anchor}" if anchor else "") for message in errors]
    return items


def _href(target: str) -> str:
    return target if target.startswith(("/", "#", "?")) or not target else f"#{target}"


@register.inclusion_tag("includes/error_summary.html")
def error_summary(
    form: forms.BaseForm | None = None,
    error: str = "",
    error_for: str = "",
    errors: Any = (),
    summary_id: str = "error-summary",
    title: str = "There is a problem",
) -> dict[str, Any]:
    """`form`'s messages, then `error` (linked to `error_for`, an id or a URL), then `errors`
    (a text, texts, or (text, id or URL) pairs)."""
    items = form_items(form) if isinstance(form, forms.BaseForm) else []  # "" when not given
    if error:
        items.append(SummaryItem(str(error), _href(error_for)))
    for entry in [errors] if isinstance(errors, str) and errors else errors or ():
        text, target = entry if isinstance(entry, tuple | list) else (entry, "")
        items.append(SummaryItem(str(text), _href(str(target))))
    return {"items": items, "summary_id": summary_id, "title": title}
