"""Text from documents and file names, made safe to print on a terminal.

A file name or a quote can carry an escape sequence (ESC, C1 controls) that a terminal
obeys, or a bidi override (U+202E) that makes `txt.exe` read as `exe.txt`. Whatever the
CLI echoes from a document or a path goes through `printable` first, so such characters
show as visible escapes (`\\x1b`, `\\u202e`) instead of acting.
"""

from __future__ import annotations

_BIDI = (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = (*(c for c in range(0x20) if c not in (0x09, 0x0A)), *range(0x7F, 0xA0))

_ESCAPES: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in _CONTROLS},
    **{c: f"\\u{c:04x}" for c in _BIDI},
}
_JSON_ESCAPES: dict[int, str] = {c: f"\\u{c:04x}" for c in (*_CONTROLS, *_BIDI)}


def printable(text: object, one_line: bool = False) -> str:
    """`text` with control and bidi characters escaped; tabs and newlines kept.

    `one_line` escapes newlines too: a message meant as one line (a warning naming a
    file) cannot be made to print a second, forged line.
    """
    escaped = str(text).translate(_ESCAPES)
    return escaped.replace("\n", "\\n") if one_line else escaped


def printable_json(text: str) -> str:
    """JSON text with the same characters as `\\uXXXX` escapes: still valid JSON, same values.

    `json.dumps(..., ensure_ascii=False)` already escapes C0 controls but leaves C1 and
    bidi characters raw; this only ever rewrites characters inside JSON strings.
    """
    return text.translate(_JSON_ESCAPES)
