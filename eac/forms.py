"""The sign-in form. The accepted-domain forms are with their pages (`connectors.domains.forms`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        # Addresses are stored in lower case; people type them however they like.
        return str(self.cleaned_data["username"]).lower()
