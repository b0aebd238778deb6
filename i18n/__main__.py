"""``python -m i18n update`` (extract and merge the catalogs) or ``check`` (what is missing)."""

from __future__ import annotations

import sys

from i18n._catalog import check, update
from i18n._core import DEFAULT_LANGUAGE, LANGUAGES


def main(argv: list[str] | None = None) -> int:
    """Run ``update`` or ``check``; exit 1 when ``check`` finds a text without translation."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["update"]:
        for lang, todo in update().items():
            print(f"{lang}: {todo} text(s) to translate")
        return 0
    if args[:1] == ["check"]:
        missing = [f"{lang}: {p}" for lang in LANGUAGES if lang != DEFAULT_LANGUAGE
                   for p in check(lang)]
        print("\n".join(missing) or "every text has its translation")
        return 1 if missing else 0
    print("usage: python -m i18n update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
