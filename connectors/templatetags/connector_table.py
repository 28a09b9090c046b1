"""The New EAC Connectors list's rows, drawn in Python: the template language spends about
0.1 ms a row on its variable lookups, and a page shows up to a hundred rows, which made the page
cost grow with the tenant (docs/architecture.md, "Pages and tenant size"). The markup is the
one the template drew, cell for cell."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from connectors.selectors import ConnectorRow

register = template.Library()

_ROW = (
    "<tr{}>"
    '<td class="status-cell">{}{}</td>'
    '<td><a href="{}" hx-get="{}" hx-target="#flyout" hx-swap="outerHTML" hx-push-url="true">{}</a></td>'
    "<td>{}</td>"
    "<td>{}</td>"
    "</tr>"
)
_CHECKBOX = (
    '<input class="row-check" type="checkbox" form="connector-selection" name="connector" '
    'value="{}:{}" aria-label="Select {}"> '
)


@register.simple_tag
def connector_table_rows(
    rows: Sequence[ConnectorRow], list_url: str, selected_id: str, can_select: bool
) -> SafeString:
    """One `<tr>` per row: its status (with the selection checkbox for those who may delete),
    its name linking to the details panel, and its two ends."""
    return format_html_join(
        "\n",
        _ROW,
        (
            (
                mark_safe(' class="selected"') if row.id == selected_id else "",
                format_html(_CHECKBOX, row.direction, row.id, row.name) if can_select else "",
                row.status,
                f"{list_url}{row.detail_path}",
                f"{list_url}{row.detail_path}",
                row.name,
                row.source_short,
                row.target_short,
            )
            for row in rows
        ),
    )
