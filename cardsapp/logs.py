"""Structured logs that cannot carry personal data.

Every record passes a filter that drops fields named like personal data and
masks anything in the text that looks like an e-mail address or an IP address.
Messages and postal addresses are never passed to a logger in the first place;
the filter is the net under that rule.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

# Fields that must never reach a log line, whatever a caller passes in `extra=`.
REFUSED_FIELDS = frozenset(
    {
        "message_text",
        "text",
        "signature",
        "address",
        "address_lines",
        "recipient_name",
        "email",
        "ip",
        "remote_addr",
        "client_ip",
        "password",
    }
)
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Anything shaped like an IPv6 address; only what `ipaddress` accepts is masked, so that a
# duration ("0:00:00.084745") or a time of day ("01:35:04") is left alone.
IPV6_LIKE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
MASK = "[redacted]"
# Loggers whose INFO lines say nothing an operator acts on (Alembic names each of its
# plugins every time a command starts).
QUIET_LOGGERS = ("alembic.runtime.plugins",)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask e-mail and IP addresses in a log text."""
    return IPV6_LIKE.sub(_mask_ipv6, IPV4.sub(MASK, EMAIL.sub(MASK, text)))


def _mask_ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return MASK


class PersonalDataFilter(logging.Filter):
    """Drops refused fields and masks e-mails and IPs; never drops the record itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field in (REFUSED_FIELDS & set(record.__dict__)) - _STANDARD:
            setattr(record, field, MASK)
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts can quote SQL parameters; keep the type, not the text.
            record.exc_text = f"{type(record.exc_info[1]).__name__} (details withheld)"
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, text and any safe extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger through the filter and the JSON formatter (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_cardsapp", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._cardsapp = True  # type: ignore[attr-defined]
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Werkzeug's dev-server access log starts with the client address.
    logging.getLogger("werkzeug").addFilter(PersonalDataFilter())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


class PlainFormatter(logging.Formatter):
    """One short line for a person at a terminal: `cardsapp: warning: text`."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"cardsapp: {record.levelname.lower()}: {record.getMessage()}"
        return text + (f" ({record.exc_text})" if record.exc_text else "")


def quiet_command_line(verbose: bool) -> None:
    """A command run by hand prints only what it is for: warnings as plain lines.

    With -v (`verbose`) every INFO line is shown as JSON, as services log. Services started
    from the command line (`cardsapp run`, `cardsapp dev`) do not call this.
    """
    handler = configure_logging()
    if verbose:
        logging.getLogger().setLevel(logging.INFO)
        handler.setFormatter(JsonFormatter())
        return
    logging.getLogger().setLevel(logging.WARNING)
    handler.setFormatter(PlainFormatter())
