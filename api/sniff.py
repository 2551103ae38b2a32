"""What an uploaded file is, from its bytes alone (product.md §8, reliability.md EVID-02).

The client's file name and Content-Type are never consulted. Allowed:
- images and PDF, recognized by their magic bytes (`filetype`): JPEG, PNG, WebP, HEIC, PDF;
- chat exports as text: bytes that decode as UTF-8, with no control characters other than tab, line and page
  breaks, and no HTML/SVG/XML/PHP markup (`<script`, `<svg`, `<?php`, `<!DOCTYPE`, ... anywhere); `text/plain`,
  or `application/json` when the text is a JSON document (checked up to `JSON_SNIFF_MAX_BYTES`; a larger JSON
  export is kept as `text/plain`).
Everything else (other binaries, markup, text in other encodings) is refused. The same bytes always get the same
media type, so the content-addressed storage key is a function of the bytes.
"""

import codecs
import json
import re

import filetype

BINARY: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}
TEXT, JSON = "text/plain", "application/json"
EXTENSIONS: dict[str, str] = {**BINARY, TEXT: "txt", JSON: "json"}

JSON_SNIFF_MAX_BYTES = 2 * 1024 * 1024
HEAD_BYTES = 8192  # what `filetype` looks at
_MARKUP = re.compile(
    r"<(?:[?!]|/?(?:html|head|body|script|style|svg|iframe|frame|frameset|object|embed|applet|meta|link|base|form"
    r"|img|math|xml|xsl)\b)",
    re.IGNORECASE,
)
_MARKUP_TAIL = 16  # characters kept between chunks, so markup split across two chunks is still seen
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Sniffer:
    """Fed an upload's bytes in order; then `media_type()` says what they are, or None when not allowed."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._text = True
        self._tail = ""
        self._first_char = ""

    def feed(self, chunk: bytes) -> None:
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        if self._text:
            self._feed_text(chunk, final=False)

    def media_type(self, whole: bytes | None = None) -> str | None:
        """The sniffed type; `whole` (the complete bytes, when small enough) lets text be recognized as JSON."""
        guess = filetype.guess(bytes(self._head))
        if guess is not None and guess.mime in BINARY:
            return str(guess.mime)
        self._feed_text(b"", final=True)
        if not self._text:
            return None
        return JSON if whole is not None and self.may_be_json and _is_json(whole) else TEXT

    @property
    def may_be_json(self) -> bool:
        return self._first_char in ("{", "[")

    def _feed_text(self, chunk: bytes, *, final: bool) -> None:
        if not self._text:
            return
        try:
            text = self._decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            self._text = False
            return
        if not self._first_char:
            self._first_char = text.lstrip("\ufeff \t\r\n\f")[:1]
        window = self._tail + text
        if _CONTROL.search(text) or _MARKUP.search(window):
            self._text = False
        self._tail = window[-_MARKUP_TAIL:]


def _is_json(whole: bytes) -> bool:
    try:
        json.loads(whole.decode("utf-8-sig"))
    except ValueError:
        return False
    return True
