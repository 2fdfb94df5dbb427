"""The PWA shell as the phones get it: the readable sources in pwa/ with the comments and layout taken out.

Pure: bytes in, bytes out. JavaScript is parsed with tree-sitter's JavaScript grammar (a real parser, so template
literals nested in template literals, regex literals and ES modules are read as the browser reads them; rjsmin,
tried first, rewrote the text inside a nested template literal). Every token is kept byte for byte; comments go,
and the whitespace between two tokens becomes its line breaks where it held any (so automatic semicolon insertion
decides as before, and an error a phone reports names the line of the source), one space where two tokens would
otherwise run together, and nothing elsewhere. The result is parsed again and must give the same tokens with the
same line breaks between them, or the source is served as it is. HTML, CSS (12 KB, few comments) and the
manifest are served as they are.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

# Tokens that are copied whole: their text is what the program says, whatever it contains.
_OPAQUE = {"string", "template_string", "regex", "number"}
_LINE_BREAK = re.compile(rb"\r\n|[\n\r]|\xe2\x80[\xa8\xa9]")  # CRLF, LF, CR, U+2028, U+2029 in UTF-8
# Two tokens need a space between them when the last byte of one and the first of the next could join into one
# token: identifier characters (any non-ASCII byte may be part of an identifier, `\u` starts an escaped one),
# `+ +`, `- -`, `/ /`, a number before a dot (`1 .toString()`), and the `<!--` / `-->` a classic script reads
# as a comment.
_WORDY = re.compile(rb"[A-Za-z0-9_$\\\x80-\xff]")
_GLUE = {(b"+", b"+"), (b"-", b"-"), (b"/", b"/"), (b"<", b"!"), (b"-", b">")}


@lru_cache(maxsize=1)
def _parser():  # one parser, not for two threads at once: server.pwa_routes builds under a lock
    import tree_sitter
    import tree_sitter_javascript
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def _tokens(source: bytes) -> list[tuple[int, int]] | None:
    """(start, end) of every token outside comments, in order; None when the source does not parse cleanly or
    holds anything but whitespace and comments between its tokens (text the parser did not account for)."""
    tree = _parser().parse(source)
    if tree.root_node.has_error:
        return None
    out: list[tuple[int, int]] = []
    stack, covered = [tree.root_node], 0
    while stack:
        node = stack.pop()
        if node.type == "comment" or node.type in _OPAQUE or node.child_count == 0:
            if source[covered:node.start_byte].strip():
                return None
            covered = max(covered, node.end_byte)
            if node.type != "comment" and node.end_byte > node.start_byte:
                out.append((node.start_byte, node.end_byte))
            continue
        stack.extend(reversed(node.children))
    return out if not source[covered:].strip() else None


def _needs_space(left: bytes, right: bytes) -> bool:
    a, b = left[-1:], right[:1]
    return bool(_WORDY.match(a) and _WORDY.match(b)) or (a, b) in _GLUE or (a.isdigit() and b == b".")


def _shape(source: bytes, tokens: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
    """Each token's text with the number of line breaks before it (what the stripped text must keep)."""
    shape, prev_end = [], 0
    for start, end in tokens:
        shape.append((source[start:end], len(_LINE_BREAK.findall(source, prev_end, start))))
        prev_end = end
    return shape


def strip_js(source: bytes) -> bytes:
    """The script or module without comments and layout; the source unchanged if that cannot be shown to be safe."""
    tokens = _tokens(source)
    if tokens is None:
        log.warning("PWA shell: a script does not parse; served as it is")
        return source
    parts: list[bytes] = []
    for text, breaks in _shape(source, tokens):
        if breaks:
            parts.append(b"\n" * breaks)
        elif parts and _needs_space(parts[-1], text):
            parts.append(b" ")
        parts.append(text)
    out = b"".join(parts) + b"\n"
    again = _tokens(out)
    if again is None or _shape(out, again) != _shape(source, tokens):
        log.warning("PWA shell: stripping a script would change its tokens; served as it is")
        return source
    return out


def build(name: str, source: bytes) -> bytes:
    """What is served for the shell file `name` (relative to pwa/)."""
    if name.endswith(".js"):
        return strip_js(source)
    return source
