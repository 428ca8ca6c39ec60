"""Readable differences between two versions of a text (difflib, from the standard library).

For a page: line by line, and word by word inside a changed line, as plain segments that the
template marks up (``<del>``/``<ins>``) and escapes. For an email: a unified diff.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from portal.models import TextVersion

WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "delete" or "insert"
    text: str


@dataclass(frozen=True)
class Line:
    op: str  # "equal", "delete", "insert" or "change"
    segments: tuple[Segment, ...]


def lines_of(version: TextVersion) -> list[str]:
    parts = [f"# {version.title}", ""]
    if version.summary:
        parts += [version.summary.strip(), ""]
    parts += (version.body_md or "").replace("\r\n", "\n").split("\n")
    return [line.rstrip() for line in parts]


def _words(old: str, new: str) -> tuple[Segment, ...]:
    a, b = WORDS.findall(old), WORDS.findall(new)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Segment("delete", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment("insert", "".join(b[j1:j2])))
    return tuple(out)


def compare(old: TextVersion, new: TextVersion) -> list[Line]:
    """The lines of ``new`` against ``old``: kept, removed, added, or changed word by word."""
    a, b = lines_of(old), lines_of(new)
    out: list[Line] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Line("equal", (Segment("equal", line),)) for line in a[i1:i2]]
        elif op == "delete":
            out += [Line("delete", (Segment("delete", line),)) for line in a[i1:i2]]
        elif op == "insert":
            out += [Line("insert", (Segment("insert", line),)) for line in b[j1:j2]]
        else:
            pairs = min(i2 - i1, j2 - j1)
            out += [Line("change", _words(a[i1 + k], b[j1 + k])) for k in range(pairs)]
            out += [Line("delete", (Segment("delete", line),)) for line in a[i1 + pairs:i2]]
            out += [Line("insert", (Segment("insert", line),)) for line in b[j1 + pairs:j2]]
    return out


def changed(lines: list[Line]) -> bool:
    return any(line.op != "equal" for line in lines)


def unified(old: TextVersion, new: TextVersion) -> str:
    """A unified diff for an email: "-" removed, "+" added, with two lines of context."""
    diff = difflib.unified_diff(lines_of(old), lines_of(new), f"v{old.number}", f"v{new.number}",
                                n=2, lineterm="")
    return "\n".join(list(diff)[2:])  # the file header says nothing to a reader
