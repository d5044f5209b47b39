"""What a moderator decides and sees: rejection reasons and the flagged runs of a message.

The card's states and their allowed moves live in `cardsapp.domain.states`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# --- what a moderator sees ----------------------------------------------------------------------


class RejectionReason(StrEnum):
    """Preset reasons; OTHER needs a note in the moderator's words."""

    POLITICS = "politics"
    CONTACT_DETAILS = "contact_details"
    NAMES = "names"
    UNKIND = "unkind"
    NOT_A_CARD = "not_a_card"
    OTHER = "other"


MAX_NOTE_LENGTH = 200


class ReasonMissing(ValueError):
    """A rejection needs a preset reason, and "other" needs a note."""


def rejection_text(reason: str, note: str = "") -> str:
    """The stored reason: the preset's code, then the moderator's note if any."""
    try:
        preset = RejectionReason(reason)
    except ValueError as exc:
        raise ReasonMissing(reason) from exc
    note = " ".join(note.split())[:MAX_NOTE_LENGTH]
    if preset is RejectionReason.OTHER and not note:
        raise ReasonMissing(reason)
    return f"{preset.value}: {note}" if note else preset.value


@dataclass(frozen=True)
class Segment:
    """A run of the message; `kind` names the flag when the run is highlighted."""

    text: str
    kind: str | None = None
    detail: str = ""


def _span(message: str, flag: Mapping[str, object]) -> tuple[int, int] | None:
    start, end, text = flag.get("start"), flag.get("end"), flag.get("text")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(message)
        and (not isinstance(text, str) or message[start:end] == text)
    ):
        return start, end
    if isinstance(text, str) and text:
        # Stored offsets that no longer fit (say, after normalisation): find the words instead.
        found = message.lower().find(text.lower())
        if found >= 0:
            return found, found + len(text)
    return None


def highlight(message: str, flags: Sequence[Mapping[str, object]]) -> list[Segment]:
    """Split the message into plain and flagged runs, for escaping and marking in a template."""
    spans: list[tuple[int, int, str, str]] = []
    for flag in flags:
        span = _span(message, flag)
        if span is None:
            continue
        start, end = span
        if any(start < e and s < end for s, e, _k, _d in spans):
            continue  # overlapping flags: the first one marks the words
        spans.append((start, end, str(flag.get("kind") or "flag"), str(flag.get("detail") or "")))
    segments: list[Segment] = []
    position = 0
    for start, end, kind, detail in sorted(spans):
        if start > position:
            segments.append(Segment(message[position:start]))
        segments.append(Segment(message[start:end], kind, detail))
        position = end
    if position < len(message):
        segments.append(Segment(message[position:]))
    return segments
