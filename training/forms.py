"""The trainer's New class form."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.html import format_html

from training.scenarios import Scenario, all_scenarios, get_scenario
from training.services import MAX_TRAINEES


def _scenario_choices() -> list[tuple[str, Any]]:
    # The summary sits in the radio's label, so it is read out with the title it explains.
    return [
        (s.id, format_html('{}<span class="scenario-summary">{}</span>', s.title, s.summary))
        for s in all_scenarios()
    ]


def _new_token() -> str:
    return uuid.uuid4().hex


class ClassForm(forms.Form):
    # Sent back with the form: a second POST of the same form (a reload of the passwords page)
    # finds the class it made rather than making another.
    token = forms.CharField(
        widget=forms.HiddenInput, initial=_new_token, max_length=64, required=False
    )
    name = forms.CharField(
        label="Class name",
        max_length=64,
        widget=forms.TextInput(
            attrs={"placeholder": "Example: Monday mail flow", "autofocus": True}
        ),
    )
    scenario = forms.ChoiceField(
        label="Scenario", choices=_scenario_choices, widget=forms.RadioSelect
    )
    trainees = forms.IntegerField(
        label="Number of trainees",
        min_value=1,
        max_value=MAX_TRAINEES,
        initial=3,
        help_text=f"Each trainee gets an account and a sandbox organization of their own (up to {MAX_TRAINEES}).",
    )

    def clean_scenario(self) -> Scenario:
        scenario = get_scenario(self.cleaned_data["scenario"])
        if scenario is None:  # a file removed while the form was open
            raise forms.ValidationError("That scenario no longer exists. Choose another.")
        return scenario
