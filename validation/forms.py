from __future__ import annotations

from django import forms

MAX_RECIPIENTS = 10


class RecipientListForm(forms.Form):
    """The EAC's list of validation addresses: a text box with +, and rows that can be removed.
    Only the text; each address is parsed by the service, which knows the connector's domains."""

    recipients = forms.CharField(required=False)  # a list: read with getlist()
    new_recipient = forms.CharField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.TextInput(
            attrs={"placeholder": "Example: user@contoso.com", "autocomplete": "off"}
        ),
    )
