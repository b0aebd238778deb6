"""``/``: the dispatcher's console, plain HTML and a little JavaScript, no build step.

Every text the console shows is in ``service/static/messages/en.json`` (key -> English
text with ``{name}`` placeholders); the page and the script carry keys only. Other
languages translate those texts through the project's gettext catalog (``i18n``: the
texts are extracted into ``messages.po`` like every other), so a translator edits one
file per language. ``?lang=`` picks the language (``en``, ``zh-CN``; English when it is
not one of them) and the page links to every language.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

import i18n
from service.dependencies import State

__all__ = ["LANGUAGE_NAMES", "STATIC_DIR", "catalogs", "messages_for", "router"]

router = APIRouter(tags=["console"])

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DEFAULT_LANG = "en"
TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
#: Each language in its own words, for the switch at the top of the page.
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    """The console's text catalogs by language tag (file stem), read once."""
    out = {}
    for path in sorted((STATIC_DIR / "messages").glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def messages_for(lang: str) -> dict[str, str]:
    """The console's texts in a language: the English catalog translated key by key."""
    english = catalogs()[DEFAULT_LANG]
    return {key: i18n.gettext(text, lang=lang) for key, text in english.items()}


def _chosen(lang: str | None) -> str:
    try:
        return i18n.normalize(lang) if lang else DEFAULT_LANG
    except i18n.LanguageError:
        return DEFAULT_LANG


def _switch(chosen: str) -> str:
    links = []
    for tag in i18n.LANGUAGES:
        name = LANGUAGE_NAMES.get(tag, tag)
        current = ' aria-current="true"' if tag == chosen else ""
        links.append(f'<a href="?lang={tag}" hreflang="{tag}" lang="{tag}"{current}>{name}</a>')
    return " · ".join(links)


@lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC_DIR / "console.html").read_text(encoding="utf-8")


def _script_json(element_id: str, data: object) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script id="{element_id}" type="application/json">{text}</script>'


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def console(state: State, lang: Annotated[str | None, Query(max_length=20)] = None):
    """The console page, with its texts and settings inlined."""
    chosen = _chosen(lang)
    messages = messages_for(chosen)
    tiles = state.settings.tiles
    config = {
        "lang": chosen, "languages": list(i18n.LANGUAGES), "tiles": tiles,
        "tileAttribution": TILE_ATTRIBUTION, "writes": state.settings.token is not None,
        "scenario": state.scenario.name,
        "places": state.places,
    }
    html = _template().replace(
        "<!--CONSOLE-DATA-->",
        _script_json("console-config", config) + _script_json("console-messages", messages),
    ).replace("{{lang}}", chosen).replace("<!--LANGUAGES-->", _switch(chosen))
    img = "'self' data:"
    if tiles and tiles.startswith("http"):
        parts = urlsplit(tiles)
        img += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    csp = (f"default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; "
           "script-src 'self'; frame-src 'self'; connect-src 'self'; base-uri 'none'; "
           "form-action 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp,
                                       "Cache-Control": "no-cache"})
