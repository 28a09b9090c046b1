"""The Classic EAC's lists: rows chosen with a radio, and + / pencil / − that open a small dialog
("add domain", "add smart host", ...). Everything posts back to the page, so it works without
JavaScript; the dialog is part of the page the server renders (docs/forms.md, "Dialogs")."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from eac.formfields import ValueListField
from eac.values import InvalidValue, parse_count


@dataclass
class Dialog:
    field: str
    index: int | None = None  # None: adding a row; else the row being edited
    value: str = ""
    errors: list[str] = dataclass_field(default_factory=list)

    @property
    def ok_value(self) -> str:
        """What its ok posts; also the page's default button while it is open, so that Enter
        in its box means ok without JavaScript too."""
        return f"ok:{self.field}" if self.index is None else f"ok:{self.field}:{self.index}"


def without_dialog_boxes(data: QueryDict) -> QueryDict:
    """The page's answers without what a dialog's box held: a dialog closed with Escape or
    cancel leaves its box in the form, and only its ok adds what was typed."""
    kept = data.copy()
    for key in [key for key in kept if key.endswith("_new")]:
        del kept[key]
    return kept


def with_list_error(form: forms.Form, name: str, message: str) -> forms.Form:
    """A shown (unbound) form with one message under its list, as a refused submit shows it."""
    form._errors = ErrorDict({name: form.error_class([message])})  # type: ignore[attr-defined]
    return form


def _selected(data: MultiValueDict[str, Any], name: str, count: int) -> int | None:
    text = str(data.get(f"{name}_selected", ""))
    return parse_count(text, below=count)


def apply_classic_action(form: forms.Form, action: str) -> tuple[forms.Form, Dialog | None]:
    """The page after a toolbar or dialog button: the rows as changed, and the dialog if open."""
    data: MultiValueDict[str, Any] = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
    verb, _, rest = action.partition(":")
    name, _, index_text = rest.partition(":")
    list_field = form.fields.get(name)
    dialog: Dialog | None = None
    if isinstance(list_field, ValueListField):
        items = [str(v) for v in data.getlist(name) if str(v).strip()]
        selected = _selected(data, name, len(items))
        typed = str(data.get(f"{name}_new", "")).strip()
        if verb == "open-add":
            dialog = Dialog(name)
        elif verb == "open-edit" and selected is not None:
            dialog = Dialog(name, selected, items[selected])
        elif verb == "remove-selected" and selected is not None:
            del items[selected]
        elif verb == "ok":
            index = parse_count(index_text, below=len(items))
            try:
                value = str(list_field.parser(typed))
            except InvalidValue as exc:
                dialog = Dialog(name, index, typed, list(exc.messages))
            else:
                if index is not None:
                    items[index] = value
                elif value not in items:
                    items.append(value)
        data.setlist(name, items)
        data[f"{name}_new"] = ""
    initial = {
        key: f.widget.value_from_datadict(data, form.files, form.add_prefix(key))
        for key, f in form.fields.items()
    }
    shown = form.__class__(initial=initial, **getattr(form, "scenario_kwargs", {}))
    shown._errors = ErrorDict()  # type: ignore[attr-defined]  # nothing was submitted yet
    return shown, dialog
