"""Message trace's search form and the rows it finds: senders, recipients, a time range, a
delivery status. Every box may stay empty; what is refused is said beside its field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet, TextChoices

from eac.models import Tenant
from lab.models import TracedMessage, TraceStatus

# A pasted list of addresses is split on what the EAC's message trace accepts between them.
_SEPARATORS = re.compile(r"[;,\s]+")
# Each address is an OR in the query; SQLite refuses expressions about a thousand terms deep.
MAX_ADDRESSES = 20


class TimeRange(TextChoices):
    """The EAC offers 1 to 10 days back for an instant result; the values are days."""

    DAY = "1", "Last 24 hours"
    TWO_DAYS = "2", "Last 2 days"
    WEEK = "7", "Last 7 days"
    TEN_DAYS = "10", "Last 10 days"
    CUSTOM = "custom", "Custom time range"


DEFAULT_TIME_RANGE = TimeRange.TWO_DAYS  # what the EAC's New message trace starts with


def address_terms(text: str) -> tuple[str, ...]:
    """Addresses or parts of them. A `*` at either end is the EAC's wildcard (`*@contoso.com`);
    a search by part of an address already means that, so it is dropped."""
    return tuple(term for term in (part.strip("*") for part in _SEPARATORS.split(text)) if term)


def _address_field(label: str, everyone: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": everyone, "autocomplete": "off"}),
    )


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as year-month-day, for example 2025-01-31."},
    )


class TraceSearchForm(forms.Form):
    senders = _address_field("Senders", "All senders")
    recipients = _address_field("Recipients", "All recipients")
    time_range = forms.ChoiceField(
        label="Time range",
        choices=TimeRange.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the time ranges."},
    )
    start_date = _date_field("Start date (UTC)")
    end_date = _date_field("End date (UTC)")
    status = forms.ChoiceField(
        label="Delivery status",
        choices=[("", "All"), *TraceStatus.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a delivery status from the list."},
    )

    def clean_senders(self) -> tuple[str, ...]:
        return self._terms("senders")

    def clean_recipients(self) -> tuple[str, ...]:
        return self._terms("recipients")

    def _terms(self, name: str) -> tuple[str, ...]:
        terms = address_terms(self.cleaned_data[name])
        if len(terms) > MAX_ADDRESSES:
            raise forms.ValidationError(
                f"Enter at most {MAX_ADDRESSES} addresses; search again for the rest."
            )
        return terms

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("time_range") != TimeRange.CUSTOM:
            # Without JavaScript the date boxes are sent whatever the range: they don't count.
            for name in ("start_date", "end_date"):
                self.errors.pop(name, None)
                data[name] = None
            return data
        start, end = data.get("start_date"), data.get("end_date")
        if start is None and "start_date" not in self.errors:
            self.add_error("start_date", "Enter the first day to search, or choose a time range.")
        if start and end and end < start:
            self.add_error("end_date", "The end date can't be before the start date.")
        return data

    def search(self, now: datetime) -> TraceSearch:
        """What a valid form asks for, with its time range as instants from `now`."""
        data = self.cleaned_data
        since, until = _period(data, now)
        return TraceSearch(
            senders=data["senders"],
            recipients=data["recipients"],
            since=since,
            until=until,
            status=data["status"],
        )


def _period(data: dict[str, Any], now: datetime) -> tuple[datetime | None, datetime | None]:
    chosen = data.get("time_range") or DEFAULT_TIME_RANGE
    if chosen != TimeRange.CUSTOM:
        return now - timedelta(days=int(chosen)), None
    return _day_start(data["start_date"]), _day_after(data.get("end_date"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_after(day: date | None) -> datetime | None:
    """The end of `day` (the end date counts whole); none for no end, or for the last date there
    is, which has no day after it."""
    if day is None or day == date.max:
        return None
    return _day_start(day + timedelta(days=1))


@dataclass(frozen=True)
class TraceSearch:
    senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    status: str = ""


def _contains_any(field: str, terms: tuple[str, ...]) -> Q:
    found = Q()
    for term in terms:
        found |= Q(**{f"{field}__icontains": term})
    return found


def traced_messages(tenant: Tenant, search: TraceSearch) -> QuerySet[TracedMessage]:
    """The tenant's traced messages the search finds, newest first."""
    rows = TracedMessage.objects.filter(tenant=tenant)
    if search.senders:
        rows = rows.filter(_contains_any("sender", search.senders))
    if search.recipients:
        rows = rows.filter(_contains_any("recipient", search.recipients))
    if search.since is not None:
        rows = rows.filter(received_at__gte=search.since)
    if search.until is not None:
        rows = rows.filter(received_at__lt=search.until)
    if search.status:
        rows = rows.filter(status=search.status)
    return rows.order_by("-received_at", "-id")
