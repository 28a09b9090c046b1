"""Form fields that parse with the shared value parsers, so a form never re-implements a rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms


class ParsedField(forms.CharField):
    """A text box whose cleaned value is whatever the parser returns (canonical, typed)."""

    def __init__(self, *, parser: Callable[[str], Any], **kwargs: Any) -> None:
        self.parser = parser
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        if text in self.empty_values:
            return text
        return self.parser(text)
