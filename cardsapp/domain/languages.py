"""The languages cardsapp speaks: every text a donor sees exists in each of them."""

from __future__ import annotations

# English first: it is the source language of the catalogues and of campaign texts.
LANGUAGES = ("en", "be", "ru")
# Each language's name in itself, in the order the language switcher shows them.
LANGUAGE_NAMES = {"be": "Беларуская", "ru": "Русский", "en": "English"}
