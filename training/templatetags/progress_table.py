"""The trainer's live table: a trainee's task cells, drawn in Python. The table is polled every
5 s and holds trainees × tasks cells; the template language spent most of the poll looking up
their variables (docs/training.md). The markup is the one the template drew, cell for cell,
every value escaped with the standard library's html.escape."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from training.selectors import TaskState

register = template.Library()


@register.simple_tag
def task_cells(states: Sequence[TaskState]) -> SafeString:
    """One `<td>` per task: Done (with a tick) or Not yet, and why, for the pointer and for
    screen readers."""
    return mark_safe("\n".join(_cell(state) for state in states))  # noqa: S308 (escaped in _cell)


def _cell(state: TaskState) -> str:
    detail = escape(state.outcome.detail)
    css, text = ("done", _DONE) if state.done else ("not-yet", "Not yet")
    return (
        f'<td class="task-cell {css}" title="{detail}">'
        f'{text}<span class="visually-hidden">: {detail}</span></td>'
    )


_DONE = '<span aria-hidden="true">✓</span> Done'
