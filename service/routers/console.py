"""``/``: the dispatcher's console, plain HTML and a little JavaScript, no build step.

Every text the console shows is in one catalog per language,
``service/static/messages/<lang>.json`` (key -> text with ``{name}`` placeholders); the
page and the script carry keys only, so a translator edits one file. ``?lang=`` picks
a catalog among those present (English when absent).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from service.dependencies import State

__all__ = ["STATIC_DIR", "catalogs", "router"]

router = APIRouter(tags=["console"])

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DEFAULT_LANG = "en"
TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"


@lru_cache(maxsize=1)
def catalogs() -> dict[str, dict[str, str]]:
    """The console's text catalogs by language tag (file stem), read once."""
    out = {}
    for path in sorted((STATIC_DIR / "messages").glob("*.json")):
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


@lru_cache(maxsize=1)
def _template() -> str:
    return (STATIC_DIR / "console.html").read_text(encoding="utf-8")


def _script_json(element_id: str, data: object) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script id="{element_id}" type="application/json">{text}</script>'


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def console(state: State, lang: Annotated[str | None, Query(max_length=20)] = None):
    """The console page, with its texts and settings inlined."""
    known = catalogs()
    chosen = lang if lang in known else DEFAULT_LANG
    messages = {**known[DEFAULT_LANG], **known.get(chosen, {})}
    tiles = state.settings.tiles
    config = {
        "lang": chosen, "languages": sorted(known), "tiles": tiles,
        "tileAttribution": TILE_ATTRIBUTION, "writes": state.settings.token is not None,
        "scenario": state.scenario.name,
        "places": state.places,
    }
    html = _template().replace(
        "<!--CONSOLE-DATA-->",
        _script_json("console-config", config) + _script_json("console-messages", messages),
    ).replace("{{lang}}", chosen)
    img = "'self' data:"
    if tiles and tiles.startswith("http"):
        parts = urlsplit(tiles)
        img += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    csp = (f"default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; "
           "script-src 'self'; frame-src 'self'; connect-src 'self'; base-uri 'none'; "
           "form-action 'none'")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp,
                                       "Cache-Control": "no-cache"})
