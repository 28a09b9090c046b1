"""Form fields that parse with the shared value parsers, so a form never re-implements a rule;
and `django_errors`, the one place a parser's refusal becomes Django's ValidationError."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.utils.datastructures import MultiValueDict

from eac.values import InvalidValue, parse_each

LIST_ACTION = "list_action"  # the + and delete buttons post "add:<field>" or "remove:<field>:<i>"


def validation_error(exc: InvalidValue) -> ValidationError:
    if len(exc.problems) == 1:
        return ValidationError(exc.problems[0].message, code=exc.problems[0].code)
    return ValidationError([ValidationError(p.message, code=p.code) for p in exc.problems])


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    fields_for: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    """A service's refusal shown on the form: by the field it names (or the first of
    `fields_for[name]` the form has, where the form's fields differ from the model's), else above
    the fields."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        names = (field, *(fields_for or {}).get(field, ()))
        form.add_error(next((n for n in names if n in form.fields), None), errors)


@contextmanager
def django_errors() -> Iterator[None]:
    """Inside, a parser's InvalidValue leaves as a ValidationError, as forms and models expect."""
    try:
        yield
    except InvalidValue as exc:
        raise validation_error(exc) from exc


class ParsedField(forms.CharField):
    """A text box whose cleaned value is whatever the parser returns (canonical, typed)."""

    def __init__(self, *, parser: Callable[[str], Any], **kwargs: Any) -> None:
        self.parser = parser
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return text
        with django_errors():
            return self.parser(text)


@dataclass(frozen=True)
class ListValue:
    """What a + list posts: the rows already added, and what is still typed in its box."""

    items: tuple[str, ...]
    typed: str = ""

    def __iter__(self) -> Iterator[str]:  # templates list the rows whether bound or not
        return iter(self.items)


class ValueListWidget(forms.Widget):
    """The EAC's list: a text box with a + button, then the added rows with a delete icon each.
    Rows travel as hidden inputs, so the list works without JavaScript."""

    template_name = "widgets/value_list.html"

    def __init__(
        self, *, add_label: str, placeholder: str, attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs)
        self.add_label = add_label
        self.placeholder = placeholder

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> ListValue:
        raw = data.getlist(name) if isinstance(data, MultiValueDict) else data.get(name) or []
        items = tuple(str(v) for v in raw if str(v).strip())
        return ListValue(items=items, typed=str(data.get(f"{name}_new", "")).strip())

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return False

    def format_value(self, value: Any) -> Any:
        return value

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        if isinstance(value, ListValue):
            items, typed = list(value.items), value.typed
        else:
            items, typed = list(value or []), ""
        attrs = context["widget"]["attrs"]
        context["widget"].update(
            items=items,
            typed=typed,
            # Django puts these on the field's control; here that is the box beside the +.
            aria_invalid=attrs.get("aria-invalid"),
            aria_describedby=attrs.get("aria-describedby"),
            add_label=self.add_label,
            placeholder=self.placeholder,
            list_action=LIST_ACTION,
        )
        return context


class ValueListField(forms.Field):
    """A + list whose cleaned value is the list of canonical values. What is still typed in the
    box is added too (better than the EAC, which silently drops it), or its error is shown."""

    widget = ValueListWidget

    def __init__(
        self, *, parser: Callable[[str], Any], add_label: str, placeholder: str, **kwargs: Any
    ) -> None:
        self.parser = parser
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", ValueListWidget(add_label=add_label, placeholder=placeholder))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, ListValue):
            texts = [*value.items, *([value.typed] if value.typed else [])]
        else:
            texts = list(value or [])
        with django_errors():
            return [str(item) for item in parse_each(self.parser, texts)]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError("Add at least one value with the + button.", code="required")


def apply_list_action(form: forms.Form, action: str) -> forms.Form:
    """After a + or delete click: the same form, unbound and without error messages (nothing was
    submitted yet), showing what the user had with the row added or removed. A typed value that
    doesn't parse stays in its box, with its error next to the list."""
    data: MultiValueDict[str, Any] = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict
    verb, _, rest = action.partition(":")
    name, _, index = rest.partition(":")
    field = form.fields.get(name)
    error: list[str] = []
    if isinstance(field, ValueListField):
        items = [str(v) for v in data.getlist(name) if str(v).strip()]
        typed = str(data.get(f"{name}_new", "")).strip()
        if verb == "remove":
            items = [item for i, item in enumerate(items) if str(i) != index]
        elif verb == "add" and typed:
            try:
                value = str(field.parser(typed))
            except InvalidValue as exc:
                error = [f"{typed}: {message}" for message in exc.messages]
            else:
                items += [] if value in items else [value]
                typed = ""
        data.setlist(name, items)
        data[f"{name}_new"] = typed
    initial = {
        key: f.widget.value_from_datadict(data, form.files, form.add_prefix(key))
        for key, f in form.fields.items()
    }
    shown = form.__class__(initial=initial, **getattr(form, "scenario_kwargs", {}))
    # Shown as if just validated: only the error of the box that was added, if any.
    errors = ErrorDict({name: shown.error_class(error)} if error else {})
    shown._errors = errors  # type: ignore[attr-defined]
    return shown
