"""Decoding and parsing of site CSV files, every problem as a file-row-fix message.

Spreadsheets write CSV in several ways: UTF-8 with or without a byte-order mark, GBK
(Excel on a Chinese Windows machine; read as its superset GB18030), UTF-16 ("Unicode
text"), commas or, where the decimal mark is a comma, semicolons. This module finds out
which, says so, and turns every parser complaint into a sentence naming the line and the
fix, so ``read_sites`` never lets a parser traceback through.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from dataclasses import dataclass

import pandas as pd

__all__ = ["CsvTable", "decode_text", "parse_csv"]

logger = logging.getLogger(__name__)

#: Columns that hold numbers, where a semicolon file may use decimal commas.
NUMERIC_COLUMNS = ("tonnes", "service_min", "priority", "volume_m3", "lon", "lat", "longitude",
                   "latitude", "lng", "x", "y", "load_min", "loaders")  # fmt: skip
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
_SAVE_AS = "save it from the spreadsheet as 'CSV UTF-8', or give its encoding (encoding=, " \
           "--encoding or [sites] encoding), e.g. gb18030 or cp1252"  # fmt: skip


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A parsed CSV: cells as strings, and how the file was read (for messages)."""

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    decimal_comma: bool

    @property
    def how(self) -> str:
        """How the file was read, e.g. ``"GB18030 (GBK), ';' delimiter, decimal commas"``."""
        parts = [self.encoding]
        if self.delimiter != ",":
            parts.append(f"{self.delimiter!r} delimiter" if self.delimiter != "\t"
                         else "tab delimiter")
        if self.decimal_comma:
            parts.append("decimal commas")
        return ", ".join(parts)


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _looks_chinese(text: str) -> bool:
    """Whether the non-ASCII characters of GB18030-decoded text are common Chinese.

    Bytes of a Western code page (cp1252 "ä" followed by a letter) often form valid but
    rare GB18030 characters; real Chinese text is almost all in GB2312's repertoire.
    """
    wide = [ch for ch in text if ord(ch) > 127]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.9 * len(wide)


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and the name of the encoding it was read with.

    Parameters
    ----------
    data
        The file's bytes.
    encoding
        A Python codec name to use; ``None``: detect UTF-8 (with or without BOM),
        UTF-16 with BOM, or GBK/GB18030.

    Returns
    -------
    text : str
    used : str
        ``"UTF-8"``, ``"UTF-8 (with BOM)"``, ``"UTF-16"``, ``"GB18030 (GBK)"`` or the codec
        given.

    Raises
    ------
    ValueError
        With a sentence saying where decoding failed and how to fix it.
    """
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"encoding {encoding!r} is unknown; give a codec name such as "
                             "utf-8, gb18030 or cp1252") from None
        codec = "utf-8-sig" if name == "utf-8" else name
        try:
            return data.decode(codec), encoding
        except UnicodeDecodeError as exc:
            raise ValueError(f"line {_line_of(data, exc.start)}: not valid {encoding} "
                             f"(byte {data[exc.start]:#04x}); {_SAVE_AS}") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "UTF-8 (with BOM)"
        except UnicodeDecodeError as exc:
            raise ValueError(f"line {_line_of(data, exc.start)}: starts with a UTF-8 mark but "
                             f"is not valid UTF-8; {_SAVE_AS}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ValueError(f"starts with a UTF-16 mark but is not valid UTF-16; "
                             f"{_SAVE_AS}") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        return text, "GB18030 (GBK)"
    raise ValueError(f"line {_line_of(data, first_bad)}: not UTF-8 (byte "
                     f"{data[first_bad]:#04x}) and not Chinese GBK/GB18030 text; {_SAVE_AS}")


def _delimiter(header: str) -> str:
    """The delimiter of a header line: ``;`` or a tab when they outnumber commas."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def parse_csv(text: str, *, encoding: str = "UTF-8") -> tuple[CsvTable, list[str]]:
    """Parse CSV text into string cells; collect every structural problem.

    Blank lines are skipped; a row shorter than the header is padded with empty cells;
    a longer one is a problem (a value with an unquoted delimiter). In a file delimited
    by semicolons, decimal commas in the numeric columns become points.

    Returns
    -------
    table : CsvTable
    problems : list of str
        Each naming the line (and data row), what is wrong and the fix.
    """
    lines = text.splitlines()
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return CsvTable(pd.DataFrame(), encoding, ",", False), [
            "the file holds no header row (only blank lines); write a header such as "
            "site_id,kind,tonnes,lon,lat and one row per site"]
    delimiter = _delimiter(lines[first])
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        skipinitialspace=True, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    shown = "a tab" if delimiter == "\t" else repr(delimiter)
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [c.strip() for c in record]
                continue
            if len(record) > len(header):
                extra = ", ".join(repr(c) for c in record[len(header):][:3])
                problems.append(
                    f"line {reader.line_num} (row {len(rows) + 1}): {len(record)} values but "
                    f"the header has {len(header)} columns (extra: {extra}); a value holds an "
                    f"unquoted {shown}, e.g. in a name: put that value in double quotes "
                    f"(\"Main St{delimiter} 5\") or remove the {shown}")
            rows.append((record + [""] * len(header))[:len(header)])
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: {exc}; check the quotes on that line (a value "
                        "that contains a quote must double it: \"\")")
    header = header or []
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append("header: a column has no name; name every column or delete the "
                            "empty one")
        elif name in seen:
            problems.append(f"header: column {name!r} appears twice; keep one")
        seen.add(name)
    if problems:
        return CsvTable(pd.DataFrame(), encoding, delimiter, False), problems
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    decimal_comma = False
    if delimiter != ",":
        for col in frame.columns:
            if col.lower() in NUMERIC_COLUMNS:
                mask = frame[col].str.match(_DECIMAL_COMMA)
                if mask.any():
                    decimal_comma = True
                    frame.loc[mask, col] = frame.loc[mask, col].str.replace(",", ".",
                                                                           regex=False)
    return CsvTable(frame, encoding, delimiter, decimal_comma), []
