"""The New EAC Connectors list's rows, drawn in Python: the template language spends about
0.1 ms a row on its variable lookups, and a page shows up to a hundred rows, which made the page
cost grow with the tenant (docs/architecture.md, "Pages and tenant size"). The markup is the
one the template drew, cell for cell; every value is escaped (the standard library's
html.escape, quotes included) before the rows are marked safe."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from connectors.selectors import ConnectorRow

register = template.Library()


@register.simple_tag
def connector_table_rows(
    rows: Sequence[ConnectorRow], list_url: str, selected_id: str, can_select: bool
) -> SafeString:
    """One `<tr>` per row: its status (with the selection checkbox for those who may delete),
    its name linking to the details panel, and its two ends."""
    return mark_safe("\n".join(_row(row, list_url, selected_id, can_select) for row in rows))  # noqa: S308 (every value escaped in _row)


def _row(row: ConnectorRow, list_url: str, selected_id: str, can_select: bool) -> str:
    name = escape(row.name)
    url = escape(f"{list_url}{row.detail_path}")
    checkbox = (
        '<input class="row-check" type="checkbox" form="connector-selection" name="connector" '
        f'value="{escape(row.direction)}:{escape(row.id)}" aria-label="Select {name}"> '
        if can_select
        else ""
    )
    selected = ' class="selected"' if row.id == selected_id else ""
    return (
        f"<tr{selected}>"
        f'<td class="status-cell">{checkbox}{escape(row.status)}</td>'
        f'<td><a href="{url}" hx-get="{url}" hx-target="#flyout" hx-swap="outerHTML" '
        f'hx-push-url="true">{name}</a></td>'
        f"<td>{escape(row.source_short)}</td>"
        f"<td>{escape(row.target_short)}</td>"
        "</tr>"
    )
