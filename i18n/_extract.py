"""A Babel extractor for the service console's catalog (``service/static/messages/en.json``).

The console keeps its English texts as a JSON object (key -> text); every value is a
message of the project's one gettext catalog, so a translator edits ``messages.po`` only.
``babel.cfg`` names this function in its ``[extractors]`` section.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["extract_json_values"]


def extract_json_values(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                        options: dict[str, Any]) -> Iterator[tuple[int, None, str, list[str]]]:
    """Every string value of a JSON object, with its key as the translator's comment.

    Parameters
    ----------
    fileobj
        The JSON file, opened in binary mode (UTF-8).
    keywords, comment_tags, options
        Babel's extractor arguments (unused: every value is a message).

    Yields
    ------
    tuple
        ``(line number, None, message, [comment])`` as Babel's extractors do.
    """
    text = fileobj.read().decode("utf-8")
    data = json.loads(text)
    lines = text.splitlines()
    for key, value in data.items():
        if not isinstance(value, str) or not value:
            continue
        needle = json.dumps(key, ensure_ascii=False)
        line = next((i for i, row in enumerate(lines, start=1) if row.lstrip().startswith(needle)),
                    1)
        yield line, None, value, [f"console: {key}"]
