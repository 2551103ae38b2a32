"""Which language a caller reads: `?lang=zh|en`, else the first `Accept-Language`, else Chinese."""

from typing import Literal

Lang = Literal["zh", "en"]


def wants_english(lang: Lang | None, accept_language: str | None) -> bool:
    if lang is not None:
        return lang == "en"
    return (accept_language or "").split(",")[0].strip().lower().startswith("en")
