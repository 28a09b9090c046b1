"""The Mail flow explorer's diagram: geometry for the SVG of templates/connectors/explorer.html,
in its viewBox's units, computed here so it is tested without a browser. A place is a box; a hop
is an arrow between two boxes, with the connector's name beside it (your server to the internet,
under centralized mail transport, goes over the Office 365 box between them). The server can't
measure text, so a name's width is estimated from per-character widths that are an upper bound
for the console's font stack (Segoe UI, Arial or Liberation Sans, DejaVu Sans, which is the
widest); the name is wrapped, and put where that estimate touches no box, no arrow and no other
name. A name too long for any free place is cut with an ellipsis; the SVG keeps it whole in the
label's <title>, and the list of hops under the diagram names every connector in full."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from connectors.mailflow.explorer import (
    INTERNET,
    OFFICE_365,
    PARTNER,
    PLACE_NAMES,
    YOUR_ORG,
    Hop,
    Path,
)

DIAGRAM_WIDTH = 800
NODE_WIDTH, NODE_HEIGHT = 190, 64
NODE_CENTRES = {
    YOUR_ORG: (110, 90),
    OFFICE_365: (400, 90),
    INTERNET: (690, 90),
    PARTNER: (690, 230),
}
LABEL_FONT_SIZE = 12  # static/eac/explorer.css gives .hop-label this size
LABEL_LINE_HEIGHT = 15  # a line of 12px text, ascent and descent included, in any of the fonts
LABEL_MAX_LINES = 3
CLEARANCE = 4  # between a label and a box, an arrow, another label or the diagram's edge
LEADER_AFTER = 20  # a label further than this from its arrow is tied to it by a dotted line
SPREAD = 10  # between two arrows that join the same two boxes
# An arrow between the two outer boxes of the top row (your server to the internet, under
# centralized mail transport) goes over the box between them, this high.
DETOUR_Y = 30

# Widths in em, each the larger of DejaVu Sans's and Liberation Sans's (Arial's metrics), measured
# in Chromium; any other character counts as 1.02 em (a CJK character is 1 em).
_EM_WIDTHS = {
    char: width
    for width, chars in (
        (0.30, "'ijlI"),
        (0.40, " ,./:;\\|-()[]frt"),
        (0.50, '!"*J`'),
        (0.64, "abcdeghknopqsuvxyz0123456789$?_{}FLT"),
        (0.80, "ABCDEGHKNOPQRSUVXYZ&"),
        (0.88, "w#+<=>^~"),
    )
    for char in chars
}
_WIDEST = 1.02  # M, W, m, %, @ and every character not listed


@lru_cache(maxsize=4096)
def text_width(text: str, font_size: float = LABEL_FONT_SIZE) -> float:
    """At least the width `text` takes in the console's fonts at `font_size` px."""
    return sum(_EM_WIDTHS.get(char, _WIDEST) for char in text) * font_size


@dataclass(frozen=True)
class Segment:
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def middle(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def grown(self, by: float) -> Rect:
        return Rect(self.x - by, self.y - by, self.width + 2 * by, self.height + 2 * by)

    def intersects(self, other: Rect) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def contains(self, other: Rect) -> bool:
        return (
            self.x <= other.x
            and other.right <= self.right
            and self.y <= other.y
            and other.bottom <= self.bottom
        )

    def crosses(self, segment: Segment) -> bool:
        """Whether any point of `segment` lies in this rectangle (Liang-Barsky clipping)."""
        dx, dy = segment.x2 - segment.x1, segment.y2 - segment.y1
        low, high = 0.0, 1.0
        for p, q in (
            (-dx, segment.x1 - self.x),
            (dx, self.right - segment.x1),
            (-dy, segment.y1 - self.y),
            (dy, self.bottom - segment.y1),
        ):
            if p == 0:
                if q < 0:
                    return False
            elif p < 0:
                low = max(low, q / p)
            else:
                high = min(high, q / p)
        return low <= high

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of this rectangle closest to (x, y)."""
        return min(max(x, self.x), self.right), min(max(y, self.y), self.bottom)


@dataclass(frozen=True)
class Label:
    text: str  # in full, for the label's <title>
    lines: tuple[str, ...]  # what is drawn: `text` wrapped, maybe cut short with "…"
    box: Rect  # the estimated extent of the drawn lines
    leader: Segment | None = None  # from the label to its arrow, when they are apart

    @property
    def x(self) -> float:
        """Where the lines are centred (text-anchor: middle)."""
        return round(self.box.x + self.box.width / 2, 1)

    @property
    def y(self) -> float:
        """The first line's baseline: an ascent below the top of its line."""
        return round(self.box.y + LABEL_LINE_HEIGHT - 3, 1)

    @property
    def line_height(self) -> int:
        return LABEL_LINE_HEIGHT


@dataclass(frozen=True)
class NodeLine:
    text: str
    dy: int


@dataclass(frozen=True)
class Node:
    place: str
    box: Rect
    lines: tuple[NodeLine, ...]
    active: bool

    @property
    def cx(self) -> float:
        return self.box.x + self.box.width / 2

    @property
    def cy(self) -> float:
        return self.box.y + self.box.height / 2


@dataclass(frozen=True)
class Arrow:
    line: Segment  # the piece the label is placed by: the whole arrow, or a detour's middle
    label: Label
    problem: bool
    pieces: tuple[Segment, ...] = ()  # a detour's pieces in order; () for a straight arrow

    @property
    def points(self) -> str:
        """A detour as the points of an SVG <polyline>."""
        corners = [(p.x1, p.y1) for p in self.pieces] + [(self.pieces[-1].x2, self.pieces[-1].y2)]
        return " ".join(f"{x:g},{y:g}" for x, y in corners)


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]

    @property
    def bounds(self) -> Rect:
        return Rect(0, 0, self.width, self.height)


def diagram(path: Path) -> Diagram:
    """Boxes for the places and an arrow per hop between two places, each with its label."""
    touched = {hop.source for hop in path.hops} | {hop.target for hop in path.hops}
    used = {YOUR_ORG, OFFICE_365, INTERNET} | touched
    active = touched | {path.sender.place, path.recipient.place}
    nodes = tuple(
        Node(
            place,
            Rect(x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT),
            _node_lines(PLACE_NAMES[place]),
            place in active,
        )
        for place, (x, y) in NODE_CENTRES.items()
        if place in used
    )
    height = 290 if PARTNER in used else 170
    hops = [hop for hop in path.hops if hop.source != hop.target]
    routes = [
        _route(hop.source, hop.target, earlier=sum(_same_boxes(h, hop) for h in hops[:i]))
        for i, hop in enumerate(hops)
    ]
    bounds = Rect(0, 0, DIAGRAM_WIDTH, height).grown(-CLEARANCE)
    taken = [node.box.grown(CLEARANCE) for node in nodes] + [_head(r[-1]) for r in routes]
    crossings = [piece for route in routes for piece in route]
    arrows = []
    for hop, route in zip(hops, routes, strict=True):
        text = hop.connector or ("missing connector" if hop.problem else "no connector")
        line = route[len(route) // 2]
        label = place_label(text, line, bounds=bounds, taken=taken, crossings=crossings)
        taken.append(label.box.grown(CLEARANCE))
        if label.leader is not None:
            crossings.append(label.leader)
        arrows.append(Arrow(line, label, bool(hop.problem), route if len(route) > 1 else ()))
    return Diagram(DIAGRAM_WIDTH, height, nodes, tuple(arrows))


def _same_boxes(a: Hop, b: Hop) -> bool:
    return {a.source, a.target} == {b.source, b.target}


def _route(source: str, target: str, *, earlier: int) -> tuple[Segment, ...]:
    """The pieces of the arrow from one box to the other: one straight line, or a detour over
    a box that stands between them."""
    if _box_between(source, target):
        return _detour(source, target)
    return (_arrow_line(source, target, earlier=earlier),)


def _box_between(source: str, target: str) -> bool:
    """Whether another box of the same row stands between these two, so a straight arrow
    would run through it."""
    (x1, y1), (x2, y2) = NODE_CENTRES[source], NODE_CENTRES[target]
    return y1 == y2 and any(
        y == y1 and min(x1, x2) < x < max(x1, x2) for x, y in NODE_CENTRES.values()
    )


def _detour(source: str, target: str) -> tuple[Segment, ...]:
    """Up from the top of one box, across above the box between, down into the other. Only
    one hop of a path ever takes it (your server to the internet), so there is no spreading."""
    (x1, y1), (x2, _) = NODE_CENTRES[source], NODE_CENTRES[target]
    top = y1 - NODE_HEIGHT / 2
    return (
        Segment(x1, top, x1, DETOUR_Y),
        Segment(x1, DETOUR_Y, x2, DETOUR_Y),
        Segment(x2, DETOUR_Y, x2, top),
    )


def _arrow_line(source: str, target: str, *, earlier: int) -> Segment:
    """From the edge of one box to the edge of the other; moved aside when `earlier` arrows
    join the same two boxes, so that both can be seen."""
    (x1, y1), (x2, y2) = NODE_CENTRES[source], NODE_CENTRES[target]
    if y1 == y2:
        across = NODE_WIDTH / 2 if x2 > x1 else -NODE_WIDTH / 2
        shift = earlier * SPREAD
        return Segment(x1 + across, y1 + shift, x2 - across, y2 + shift)
    down = NODE_HEIGHT / 2 if y2 > y1 else -NODE_HEIGHT / 2
    shift = earlier * SPREAD * 4  # sideways: a slanted arrow's gap to its neighbour is smaller
    return Segment(x1 + shift, y1 + down, x2 + shift, y2 - down)


def _head(line: Segment) -> Rect:
    """Room for the arrowhead at the end of `line`: its marker (explorer.html) is 7 strokes wide
    and long, and console.css draws a hop 3 units thick."""
    size = 7 * 3
    dx, dy = line.x2 - line.x1, line.y2 - line.y1
    length = math.hypot(dx, dy)
    cx, cy = line.x2 - dx / length * size / 2, line.y2 - dy / length * size / 2
    return Rect(cx - size / 2, cy - size / 2, size, size).grown(CLEARANCE)


def _node_lines(label: str) -> tuple[NodeLine, ...]:
    """One or two centred lines, so "Your organization's email server" fits its box."""
    words = label.split()
    lines = [label] if len(label) <= 20 else [" ".join(words[:2]), " ".join(words[2:])]
    first = 5 - 8 * (len(lines) - 1)
    return tuple(NodeLine(text, first if i == 0 else 16) for i, text in enumerate(lines))


# Wider labels and more lines are allowed where there is room, at a cost in the search below (in
# viewBox units, like the distance to the arrow), so a name stays near its arrow and compact.
_LABEL_WIDTHS = range(60, 521, 20)
_COMPACT_WIDTH = 260
_COST_PER_LINE = 20
_COST_PER_WIDE_UNIT = 0.5
_COST_OF_CUTTING = 1000
_COST_BELOW = 6
_COST_OFF_CENTRE = 0.05
_STEP = 4


def place_label(
    text: str, arrow: Segment, *, bounds: Rect, taken: list[Rect], crossings: list[Segment]
) -> Label:
    """`text` wrapped and placed as near `arrow`'s middle as it can be inside `bounds`, clear of
    the `taken` rectangles and not on any of the `crossings` lines. A text that fits nowhere whole
    is cut short; one that fits nowhere at all is reduced to "…" above its arrow."""
    mx, my = arrow.middle
    best: tuple[float, Label] | None = None
    for lines, cost in sorted(_wrappings(text), key=lambda wrapping: wrapping[1]):
        if best is not None and cost >= best[0]:
            break
        # Even, so that the centre the lines are drawn from is exact to a tenth.
        width = 2 * math.ceil(max(text_width(line) for line in lines) / 2)
        height = len(lines) * LABEL_LINE_HEIGHT
        for column in _positions(mx, my, width, height, bounds, taken):
            scored = sorted(((cost + _distance(box, mx, my), box) for box in column), key=_first)
            for score, box in scored:  # the first that is clear is the column's best
                if best is not None and score >= best[0]:
                    break
                nx, ny = box.nearest(mx, my)
                far = math.hypot(nx - mx, ny - my) > LEADER_AFTER
                leader = Segment(nx, ny, mx, my) if far else None
                if _clear(box, leader, arrow, taken, crossings):
                    best = (score, Label(text, lines, box, _shortened(leader)))
                    break
    if best is None:
        dots = 2 * math.ceil(text_width("…") / 2)
        top = my - CLEARANCE - LABEL_LINE_HEIGHT
        return Label(text, ("…",), Rect(mx - dots / 2, top, dots, LABEL_LINE_HEIGHT))
    return best[1]


def _first(pair: tuple[float, Rect]) -> float:
    return pair[0]


def _distance(box: Rect, mx: float, my: float) -> float:
    """From (mx, my) to the nearest point of `box`, plus a little for being off centre, and for
    being below the arrow: a label reads best centred above its arrow."""
    nx, ny = box.nearest(mx, my)
    off_centre = abs(box.x + box.width / 2 - mx) * _COST_OFF_CENTRE
    below = _COST_BELOW if box.y > my else 0
    return math.hypot(nx - mx, ny - my) + off_centre + below


def _clear(
    box: Rect, leader: Segment | None, arrow: Segment, taken: list[Rect], crossings: list[Segment]
) -> bool:
    """Whether a label in `box`, and its leader, keep clear of everything already drawn."""
    if any(box.intersects(other) for other in taken):
        return False
    if any(box.grown(CLEARANCE).crosses(line) for line in crossings):
        return False
    if leader is None:
        return True
    inner = _shortened(leader, by=CLEARANCE)
    return inner is not None and not (
        any(other.crosses(inner) for other in taken)
        or any(_meet(inner, line) for line in crossings if line != arrow)
    )


def _meet(a: Segment, b: Segment) -> bool:
    """Whether two segments share a point (touching counts)."""

    def side(s: Segment, x: float, y: float) -> float:
        return (s.x2 - s.x1) * (y - s.y1) - (s.y2 - s.y1) * (x - s.x1)

    def overlap(p1: float, p2: float, q1: float, q2: float) -> bool:
        return min(p1, p2) <= max(q1, q2) and min(q1, q2) <= max(p1, p2)

    return (
        side(a, b.x1, b.y1) * side(a, b.x2, b.y2) <= 0
        and side(b, a.x1, a.y1) * side(b, a.x2, a.y2) <= 0
        and overlap(a.x1, a.x2, b.x1, b.x2)
        and overlap(a.y1, a.y2, b.y1, b.y2)
    )


def _shortened(leader: Segment | None, by: float = 3) -> Segment | None:
    """The leader without its last `by` units, so it stops short of the arrow it points at."""
    if leader is None:
        return None
    dx, dy = leader.x2 - leader.x1, leader.y2 - leader.y1
    length = math.hypot(dx, dy)
    keep = (length - by) / length
    return Segment(
        round(leader.x1, 1),
        round(leader.y1, 1),
        round(leader.x1 + dx * keep, 1),
        round(leader.y1 + dy * keep, 1),
    )


def _positions(
    mx: float, my: float, width: int, height: int, bounds: Rect, taken: list[Rect]
) -> Iterable[list[Rect]]:
    """Places for a width × height label inside `bounds`, in columns: centred on (mx, my), to
    its left or to its right; in each column, at every height (a grid, and snug above or below
    the arrow's middle and each thing `taken`)."""
    if width > bounds.width or height > bounds.height:
        return
    lefts = {mx - width / 2, mx - CLEARANCE - width, mx + CLEARANCE}
    tops = {*range(int(bounds.y), int(bounds.bottom - height) + 1, _STEP)}
    tops |= {my - CLEARANCE - height - 0.5, my + CLEARANCE + 0.5}
    tops |= {r.bottom + 0.5 for r in taken} | {r.y - height - 0.5 for r in taken}
    clamped = {min(max(x, bounds.x), bounds.right - width) for x in lefts}
    inside = [y for y in tops if bounds.y <= y <= bounds.bottom - height]
    for x in sorted(clamped):
        yield [Rect(round(x, 1), round(y, 1), width, height) for y in inside]


def _wrappings(text: str) -> Iterable[tuple[tuple[str, ...], float]]:
    """Ways to draw `text` at each width, each with its cost: the whole text in at most
    LABEL_MAX_LINES lines, else (at a high cost) its first lines ending with "…"."""
    seen: set[tuple[str, ...]] = set()
    for width in _LABEL_WIDTHS:
        lines = wrap(text, width)
        wide = max(0, width - _COMPACT_WIDTH) * _COST_PER_WIDE_UNIT
        for count in range(LABEL_MAX_LINES, 0, -1):
            shown = tuple(lines[:count])
            cost = wide + _COST_PER_LINE * (len(shown) - 1)
            if len(lines) > count:
                shown = (*shown[:-1], _cut(shown[-1], width))
                cost += _COST_OF_CUTTING
            if shown not in seen:
                seen.add(shown)
                yield shown, cost


def wrap(text: str, width: float) -> list[str]:
    """`text` in lines no wider than `width`: broken between words, else after a hyphen, dot,
    slash or underscore, else between any two characters."""
    lines: list[str] = []
    line, used = "", 0.0
    space = text_width(" ")
    for word in text.split():
        for index, piece in enumerate(_pieces(word, width)):
            gap = space if index == 0 and line else 0.0
            size = text_width(piece)
            if used + gap + size <= width:
                line, used = f"{line}{' ' if gap else ''}{piece}", used + gap + size
            else:
                if line:
                    lines.append(line)
                line, used = piece, size
    return [*lines, line] if line else lines or [""]


def _pieces(word: str, width: float) -> list[str]:
    """`word` cut after each hyphen, dot, slash or underscore, and wherever it must be to fit."""
    pieces: list[str] = []
    for part in re.findall(r"[^-_./\\]*[-_./\\]?", word):
        piece, used = "", 0.0
        for char in part:
            size = text_width(char)
            if piece and used + size > width:
                pieces.append(piece)
                piece, used = "", 0.0
            piece, used = piece + char, used + size
        if piece:
            pieces.append(piece)
    return pieces


def _cut(line: str, width: float) -> str:
    """`line` shortened to end with "…" within `width`."""
    while line and text_width(f"{line}…") > width:
        line = line[:-1]
    return f"{line.rstrip()}…"
