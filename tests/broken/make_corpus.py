"""Write the broken-input corpus: one folder per case, each a complete content folder that would
build but for its one defect.

    python tests/broken/make_corpus.py

Every case starts from BASE (the `valid-base` case), changes one file, and records in
`<case>/expect.txt` what the build must say: `exit N`, then one line per diagnostic that must
appear (`file:line:column: severity: code`, or `file: severity: code` when there is no line).
A FIFO cannot be committed; `make-fifo <path>` in expect.txt asks the test to create one.
tests/test_bad_input.py checks that the committed folders are what this script writes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent

BASE = {
    "site.yaml": "title: {en: Broken-case base, zh: 基础站点}\n"
    "description: {en: The valid site every broken case starts from., zh: 每个损坏用例的起点。}\n"
    "intro: {en: Two districts and one zone., zh: 两个区和一个区域。}\n"
    "sources: [news-2024-01-02]\n"
    "zone_kinds: {innovation-zone: {en: Innovation zone, zh: 创新区}}\n",
    "sources/news-2024-01-02.yaml": "title: Alpha announces its zone\n"
    "publisher: {en: Example News, zh: 示例新闻}\n"
    "url: https://example.org/news\n"
    "date: 2024-01-02\n"
    "language: en\n",
    "themes/trade.yaml": "name: {en: Trade, zh: 贸易}\n"
    "summary: {en: Trade across borders., zh: 跨境贸易。}\n"
    "order: 1\n",
    "batches/first.yaml": "name: {en: First batch, zh: 第一批}\n"
    "announced: 2024-08-15\n"
    "order: 1\n"
    "summary: {en: The first batch., zh: 第一批。}\n"
    "sources: [news-2024-01-02]\n",
    "districts/alpha.yaml": "name: {en: Alpha, zh: 甲区}\n"
    'code: "310110"\n'
    "summary: {en: The first district., zh: 第一个区。}\n"
    "sources: [news-2024-01-02]\n",
    "districts/beta.yaml": "name: {en: Beta, zh: 乙区}\n"
    'code: "310101"\n'
    "summary: {en: The second district., zh: 第二个区。}\n"
    "sources: [news-2024-01-02]\n",
    "zones/alpha-zone.yaml": "name: {en: Alpha Zone, zh: 甲区联动创新区}\n"
    "kind: innovation-zone\n"
    "district: alpha\n"
    "batch: first\n"
    "area_km2: 23\n"
    "summary: {en: The zone of Alpha., zh: 甲区的区域。}\n"
    "sources: [news-2024-01-02]\n",
    "initiatives/alpha-trade.yaml": "title: {en: Trade in Alpha and Beta, zh: 甲乙两区贸易}\n"
    "districts: [beta]\n"
    "zones: [alpha-zone]\n"
    "themes: [trade]\n"
    "batch: first\n"
    "date: 2024-08-20\n"
    "sources: [news-2024-01-02]\n"
    "body: {en: A platform for trade., zh: 贸易平台。}\n",
}

ZONE = BASE["zones/alpha-zone.yaml"]
DISTRICT = BASE["districts/alpha.yaml"]
INITIATIVE = BASE["initiatives/alpha-trade.yaml"]


def sub(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def body(markdown: str) -> str:
    """The initiative with an English body (line 8, column 7)."""
    return sub(
        INITIATIVE,
        "body: {en: A platform for trade., zh: 贸易平台。}\n",
        f"body:\n  en: '{markdown}'\n  zh: 贸易平台。\n",
    )


def district_id(value: str) -> str:
    return "id: " + value + "\n" + DISTRICT


SOURCE = BASE["sources/news-2024-01-02.yaml"]


def source_url(url: str) -> str:
    """The source with another URL (line 3, column 6)."""
    return sub(SOURCE, "https://example.org/news", url)


def body_block(markdown: str) -> str:
    """The initiative with an English body written as a literal block (`en: |` on line 9)."""
    lines = "".join(f"    {line}\n" for line in markdown.splitlines())
    return sub(
        INITIATIVE, "body: {en: A platform for trade., zh: 贸易平台。}\n", f"body:\n  en: |\n{lines}  zh: 贸易平台。\n"
    )


def setting(line: str) -> str:
    """site.yaml with one more line (line 6)."""
    return BASE["site.yaml"] + line + "\n"


def order(value: str) -> str:
    """The theme with another order (line 3, column 8)."""
    return sub(BASE["themes/trade.yaml"], "order: 1", f"order: {value}")


# case -> (one-line description, {path: new bytes or text, None to leave the file out,
#          ("symlink", target)}, expected exit code, expected diagnostics)
CASES: dict[str, tuple] = {
    "valid-base": ("the base every case starts from; builds cleanly", {}, 0, []),
    # --- YAML syntax and structure -----------------------------------------------------------
    "yaml-unclosed-flow": (
        "a flow mapping that is never closed",
        {"districts/alpha.yaml": sub(DISTRICT, "甲区}", "甲区")},
        1,
        ["districts/alpha.yaml:2:5: error: yaml-syntax"],
    ),
    "yaml-tab-indent": (
        "a tab used for indentation",
        {"districts/alpha.yaml": sub(DISTRICT, "sources: [news-2024-01-02]", "sources:\n\t- news-2024-01-02")},
        1,
        ["districts/alpha.yaml:5:1: error: yaml-syntax", "indent with spaces"],
    ),
    "yaml-unterminated-quote": (
        "a quoted string that never ends",
        {"districts/alpha.yaml": sub(DISTRICT, 'code: "310110"', 'code: "310110')},
        1,
        ["districts/alpha.yaml:2:7: error: yaml-syntax"],
    ),
    "yaml-bad-indent": (
        "a key indented deeper than its siblings",
        {"districts/alpha.yaml": sub(DISTRICT, "code:", "  code:")},
        1,
        ["districts/alpha.yaml:2:3: error: yaml-syntax"],
    ),
    "yaml-duplicate-key": (
        "the same key twice at the top level",
        {"districts/alpha.yaml": DISTRICT + 'code: "310111"\n'},
        1,
        ["districts/alpha.yaml:5:1: error: duplicate-key"],
    ),
    "yaml-duplicate-key-nested": (
        "the same language twice in one text",
        {"districts/alpha.yaml": sub(DISTRICT, "zh: 甲区}", "en: Alfa}")},
        1,
        ["districts/alpha.yaml:1:19: error: duplicate-key"],
    ),
    "yaml-alias": (
        "an anchor and an alias",
        {"districts/alpha.yaml": sub(DISTRICT, "name: {", "name: &n {") + "extra: *n\n"},
        1,
        ["districts/alpha.yaml:1:7: error: yaml-alias"],
    ),
    "yaml-billion-laughs": (
        "the billion-laughs alias bomb",
        {
            "districts/alpha.yaml": "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
        },
        1,
        ["districts/alpha.yaml:1:4: error: yaml-alias"],
    ),
    "yaml-deep-flow-100000": (
        "100,000 nested [ (the loader must not recurse)",
        {"districts/alpha.yaml": "name: " + "[" * 100_000 + "\n"},
        1,
        ["districts/alpha.yaml:1:"],
    ),
    "yaml-deep-block": (
        "block mappings nested 40 levels deep",
        {"districts/alpha.yaml": DISTRICT + "".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + "  " * 40 + "v\n"},
        1,
        ["districts/alpha.yaml:37:65: error: too-deep"],
    ),
    "yaml-several-documents": (
        "two YAML documents in one file",
        {"districts/alpha.yaml": DISTRICT + "---\n" + DISTRICT},
        1,
        ["districts/alpha.yaml:5:1: error: several-documents"],
    ),
    "yaml-empty-file": (
        "an empty file",
        {"districts/alpha.yaml": ""},
        1,
        ["districts/alpha.yaml:1:1: error: empty-file"],
    ),
    "yaml-only-comments": (
        "a file holding only a comment",
        {"districts/alpha.yaml": "# to be written\n"},
        1,
        ["districts/alpha.yaml:2:1: error: empty-file"],
    ),
    "yaml-top-level-list": (
        "a list where a mapping of fields belongs",
        {"districts/alpha.yaml": "- name: Alpha\n- code: '310110'\n"},
        1,
        ["districts/alpha.yaml:1:1: error: wrong-type"],
    ),
    "yaml-top-level-scalar": (
        "a bare string where a mapping of fields belongs",
        {"districts/alpha.yaml": "Alpha\n"},
        1,
        ["districts/alpha.yaml:1:1: error: wrong-type"],
    ),
    "yaml-python-tag": (
        "a PyYAML tag that would run a command if constructed",
        {"districts/alpha.yaml": DISTRICT + "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n"},
        1,
        ["districts/alpha.yaml:5:4: error: yaml-tag"],
    ),
    "yaml-custom-tag": (
        "an application-specific tag",
        {"districts/alpha.yaml": sub(DISTRICT, 'code: "310110"', "code: !include code.txt")},
        1,
        ["districts/alpha.yaml:2:7: error: yaml-tag"],
    ),
    "yaml-complex-key": (
        "a list used as a mapping key",
        {"districts/alpha.yaml": DISTRICT + "? [a, b]\n: c\n"},
        1,
        ["districts/alpha.yaml:5:3: error: yaml-key"],
    ),
    "yaml-control-char": (
        "a BEL control character in a value",
        {"districts/alpha.yaml": sub(DISTRICT, "Alpha,", "Al\x07pha,")},
        1,
        ["districts/alpha.yaml:1:", "error: yaml-syntax"],
    ),
    # --- encodings and sizes -----------------------------------------------------------------
    "encoding-bom-accepted": (
        "UTF-8 with a byte-order mark: accepted",
        {"districts/alpha.yaml": b"\xef\xbb\xbf" + DISTRICT.encode()},
        0,
        [],
    ),
    "encoding-utf16-bom": (
        "UTF-16 with a byte-order mark",
        {"districts/alpha.yaml": DISTRICT.encode("utf-16")},
        1,
        ["districts/alpha.yaml:1:1: error: encoding"],
    ),
    "encoding-utf16-no-bom": (
        "UTF-16 (big-endian) without a byte-order mark",
        {"districts/alpha.yaml": DISTRICT.encode("utf-16-be")},
        1,
        ["districts/alpha.yaml:1:1: error: encoding"],
    ),
    "encoding-invalid-utf8": (
        "a Latin-1 byte in a UTF-8 file",
        {"districts/alpha.yaml": DISTRICT.encode().replace(b"first", b"f\xefrst")},
        1,
        ["districts/alpha.yaml:3:20: error: encoding"],
    ),
    "encoding-nul-byte": (
        "a NUL byte in line 3",
        {"districts/alpha.yaml": DISTRICT.encode().replace(b"The first", b"The\x00first")},
        1,
        ["districts/alpha.yaml:3:1: error: encoding"],
    ),
    "file-too-large": (
        "a file over 1 MiB",
        {"districts/alpha.yaml": DISTRICT + ("# padding " + "x" * 90 + "\n") * 10_500},
        1,
        ["districts/alpha.yaml: error: file-too-large"],
    ),
    # --- values --------------------------------------------------------------------------------
    "value-missing-required": (
        "a required field left out",
        {"districts/alpha.yaml": sub(DISTRICT, 'code: "310110"\n', "")},
        1,
        ["districts/alpha.yaml:1:1: error: missing-field"],
    ),
    "value-null-required": (
        "a required field set to null",
        {"districts/alpha.yaml": sub(DISTRICT, 'code: "310110"', "code: ~")},
        1,
        ["districts/alpha.yaml:2:7: error: missing-field"],
    ),
    "value-number-for-text": (
        "a number where text belongs",
        {"districts/alpha.yaml": sub(DISTRICT, "name: {en: Alpha, zh: 甲区}", "name: 42")},
        1,
        ["districts/alpha.yaml:1:7: error: wrong-type"],
    ),
    "value-number-for-string": (
        "an unquoted district code, read as a number",
        {"districts/alpha.yaml": sub(DISTRICT, '"310110"', "310110")},
        1,
        ["districts/alpha.yaml:2:7: error: wrong-type"],
    ),
    "value-string-for-int": (
        "a word where a whole number belongs",
        {"batches/first.yaml": sub(BASE["batches/first.yaml"], "order: 1", "order: first")},
        1,
        ["batches/first.yaml:3:8: error: wrong-type"],
    ),
    "value-string-for-list": (
        "one id where a list of ids belongs",
        {"districts/alpha.yaml": sub(DISTRICT, "[news-2024-01-02]", "news-2024-01-02")},
        1,
        ["districts/alpha.yaml:4:10: error: wrong-type"],
    ),
    "value-empty-list": (
        "an empty list where one entry is required",
        {"districts/alpha.yaml": sub(DISTRICT, "[news-2024-01-02]", "[]")},
        1,
        ["districts/alpha.yaml:4:10: error: missing-field"],
    ),
    "value-empty-text": (
        "an empty name",
        {"districts/alpha.yaml": sub(DISTRICT, "en: Alpha", "en: ''")},
        1,
        ["districts/alpha.yaml:1:12: error: empty-text"],
    ),
    "value-unknown-language": (
        "a text in a language the site does not have",
        {"districts/alpha.yaml": sub(DISTRICT, "zh: 甲区", "fr: Alpha")},
        1,
        ["districts/alpha.yaml:1:19: error: unknown-field"],
    ),
    "value-unknown-field": (
        "a misspelt field",
        {"districts/alpha.yaml": sub(DISTRICT, "summary:", "sumary:")},
        1,
        ["districts/alpha.yaml:3:1: error: unknown-field", "did you mean 'summary'?"],
    ),
    "value-control-char-escape": (
        "an escaped BEL control character in a name",
        {"districts/alpha.yaml": sub(DISTRICT, "en: Alpha", 'en: "Al\\apha"')},
        1,
        ["districts/alpha.yaml:1:12: error: control-character"],
    ),
    "value-control-char-url": (
        "an escaped control character in a source URL",
        {
            "sources/news-2024-01-02.yaml": sub(
                BASE["sources/news-2024-01-02.yaml"], "https://example.org/news", '"https://example.org/n\\x01ews"'
            )
        },
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: control-character"],
    ),
    "value-bad-enum": (
        "a zone kind with an underscore",
        {"zones/alpha-zone.yaml": sub(ZONE, "innovation-zone", "innovation_zone")},
        1,
        ["zones/alpha-zone.yaml:2:7: error: bad-value", "did you mean 'innovation-zone'?"],
    ),
    "value-area-negative": (
        "a negative area",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "-5")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-area-zero": (
        "an area of zero",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "0")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-area-absurd": (
        "an area larger than Shanghai",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "1e9")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-area-nan": (
        "an area that is not a number",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", ".nan")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-area-infinite": (
        "an infinite area",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", ".inf")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-area-boolean": (
        "a boolean area",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "yes")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type"],
    ),
    "value-date-impossible": (
        "the 30th of February",
        {"batches/first.yaml": sub(BASE["batches/first.yaml"], "2024-08-15", "2024-02-30")},
        1,
        ["batches/first.yaml:2:12: error: bad-date"],
    ),
    "value-date-month-13": (
        "a thirteenth month",
        {"batches/first.yaml": sub(BASE["batches/first.yaml"], "2024-08-15", "2024-13-01")},
        1,
        ["batches/first.yaml:2:12: error: bad-date"],
    ),
    "value-date-out-of-range": (
        "a date before 1949",
        {"batches/first.yaml": sub(BASE["batches/first.yaml"], "2024-08-15", "1800-01-01")},
        1,
        ["batches/first.yaml:2:12: error: wrong-type"],
    ),
    "value-datetime": (
        "a date with a time of day",
        {"batches/first.yaml": sub(BASE["batches/first.yaml"], "2024-08-15", "2024-08-15 10:00:00")},
        1,
        ["batches/first.yaml:2:12: error: wrong-type"],
    ),
    "value-url-javascript": (
        "a source URL with the javascript: scheme",
        {
            "sources/news-2024-01-02.yaml": sub(
                BASE["sources/news-2024-01-02.yaml"], "https://example.org/news", "javascript:alert(1)"
            )
        },
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type"],
    ),
    "value-bad-languages": (
        "a language the generator does not know",
        {"site.yaml": BASE["site.yaml"] + "languages: [en, fr]\n"},
        1,
        ["site.yaml:6:17: error: wrong-type"],
    ),
    "value-bad-severity": (
        "a severity that does not exist",
        {"site.yaml": BASE["site.yaml"] + "severity: {uncited-source: fatal}\n"},
        1,
        ["site.yaml:6:28: error: wrong-type"],
    ),
    # --- ids -----------------------------------------------------------------------------------
    "id-dot-dot-field": (
        "an id field that climbs out of its folder",
        {"districts/alpha.yaml": district_id("../alpha")},
        1,
        ["districts/alpha.yaml:1:5: error: bad-id"],
    ),
    "id-dot-dot-name": (
        "a file name with two dots",
        {"districts/al..pha.yaml": DISTRICT},
        1,
        ["districts/al..pha.yaml: error: bad-id"],
    ),
    "id-slash": (
        "an id field with a slash",
        {"districts/alpha.yaml": district_id("districts/alpha")},
        1,
        ["districts/alpha.yaml:1:5: error: bad-id"],
    ),
    "id-backslash": (
        "an id field with a backslash",
        {"districts/alpha.yaml": district_id("'al\\pha'")},
        1,
        ["districts/alpha.yaml:1:5: error: bad-id"],
    ),
    "id-space": (
        "a file name with a space",
        {"districts/al pha.yaml": DISTRICT},
        1,
        ["districts/al pha.yaml: error: bad-id"],
    ),
    "id-upper-case": (
        "a file name in upper case",
        {"districts/Gamma.yaml": DISTRICT},
        1,
        ["districts/Gamma.yaml: error: bad-id"],
    ),
    "id-cyrillic": (
        "a Cyrillic а that looks like a Latin a",
        {"districts/\u0430lpha.yaml": DISTRICT},
        1,
        ["districts/\u0430lpha.yaml: error: bad-id"],
    ),
    "id-underscore": (
        "an underscore",
        {"districts/al_pha.yaml": DISTRICT},
        1,
        ["districts/al_pha.yaml: error: bad-id"],
    ),
    "id-double-hyphen": (
        "two hyphens in a row",
        {"districts/al--pha.yaml": DISTRICT},
        1,
        ["districts/al--pha.yaml: error: bad-id"],
    ),
    "id-reserved-index": (
        "the reserved name index",
        {"districts/index.yaml": DISTRICT},
        1,
        ["districts/index.yaml: error: bad-id"],
    ),
    "id-reserved-data": ("the reserved name data", {"zones/data.yaml": ZONE}, 1, ["zones/data.yaml: error: bad-id"]),
    "id-reserved-assets": (
        "the reserved name assets",
        {"themes/assets.yaml": BASE["themes/trade.yaml"]},
        1,
        ["themes/assets.yaml: error: bad-id"],
    ),
    "id-too-long": (
        "an id of 81 characters",
        {f"districts/{'a' * 81}.yaml": DISTRICT},
        1,
        [f"districts/{'a' * 81}.yaml: error: bad-id"],
    ),
    "id-empty-field": (
        "an empty id field",
        {"districts/alpha.yaml": district_id('""')},
        1,
        ["districts/alpha.yaml:1:5: error: bad-id"],
    ),
    "id-mismatch": (
        "an id field that differs from the file name",
        {"districts/alpha.yaml": district_id("gamma")},
        1,
        ["districts/alpha.yaml:1:5: error: id-mismatch"],
    ),
    "id-duplicate": (
        "alpha.yml next to alpha.yaml",
        {"districts/alpha.yml": DISTRICT},
        1,
        ["districts/alpha.yml: error: duplicate-id"],
    ),
    # --- references ----------------------------------------------------------------------------
    "ref-unknown": (
        "a district that does not exist",
        {"zones/alpha-zone.yaml": sub(ZONE, "district: alpha", "district: alpah")},
        1,
        ["zones/alpha-zone.yaml:3:11: error: unknown-reference", "did you mean 'alpha'?"],
    ),
    "ref-self": (
        "a zone naming itself as its district",
        {"zones/alpha-zone.yaml": sub(ZONE, "district: alpha", "district: alpha-zone")},
        1,
        ["zones/alpha-zone.yaml:3:11: error: unknown-reference", "is a zone, not a district"],
    ),
    "ref-wrong-kind": (
        "a zone id in districts:",
        {"initiatives/alpha-trade.yaml": sub(INITIATIVE, "districts: [beta]", "districts: [alpha-zone]")},
        1,
        ["initiatives/alpha-trade.yaml:2:13: error: unknown-reference", "is a zone, not a district"],
    ),
    "ref-unknown-theme": (
        "a theme outside the closed vocabulary",
        {"initiatives/alpha-trade.yaml": sub(INITIATIVE, "themes: [trade]", "themes: [trade, tarde]")},
        1,
        ["initiatives/alpha-trade.yaml:4:17: error: unknown-reference"],
    ),
    "ref-duplicate": (
        "the same theme twice",
        {"initiatives/alpha-trade.yaml": sub(INITIATIVE, "themes: [trade]", "themes: [trade, trade]")},
        1,
        ["initiatives/alpha-trade.yaml:4:17: error: duplicate-reference"],
    ),
    "ref-no-place": (
        "an initiative with neither district nor zone",
        {"initiatives/alpha-trade.yaml": sub(sub(INITIATIVE, "districts: [beta]\n", ""), "zones: [alpha-zone]\n", "")},
        1,
        ["initiatives/alpha-trade.yaml:1:1: error: missing-field"],
    ),
    # --- files ---------------------------------------------------------------------------------
    "file-folder-as-item": (
        "a folder named like an item file",
        {"districts/gamma.yaml/README.md": "a folder where a file belongs\n"},
        1,
        ["districts/gamma.yaml: error: not-a-file"],
    ),
    "file-symlink-outside": (
        "a link to a file outside the content folder",
        {"districts/gamma.yaml": ("symlink", "../../outside.yaml"), "../outside.yaml": DISTRICT},
        1,
        ["districts/gamma.yaml: error: outside-content"],
    ),
    "file-symlink-dangling": (
        "a link to a file that does not exist",
        {"districts/gamma.yaml": ("symlink", "nowhere.yaml")},
        1,
        ["districts/gamma.yaml: error: not-a-file", "link to nothing"],
    ),
    "file-fifo": (
        "a named pipe where a file belongs (reading it would block forever)",
        {},
        1,
        ["districts/gamma.yaml: error: not-a-file", "special file"],
    ),
    "file-not-yaml": (
        "a text file in a content folder",
        {"districts/notes.txt": "remember to add gamma\n"},
        1,
        ["districts/notes.txt: error: unexpected-file"],
    ),
    "file-unknown-folder": (
        "a folder the generator does not know",
        {"images/logo.svg": "<svg/>\n"},
        1,
        ["images: error: unexpected-file"],
    ),
    "file-no-settings": ("site.yaml missing", {"site.yaml": None}, 1, ["site.yaml: error: missing-file"]),
    # --- Markdown ------------------------------------------------------------------------------
    "markdown-javascript": (
        "a javascript: link",
        {"initiatives/alpha-trade.yaml": body("[x](javascript:alert(1))")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-javascript-mixed-case": (
        "a JaVaScRiPt: link",
        {"initiatives/alpha-trade.yaml": body("[x](JaVaScRiPt:alert(1))")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-javascript-entity": (
        "a javascript: link with an escaped colon",
        {"initiatives/alpha-trade.yaml": body("[x](javascript&#58;alert(1))")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-data": (
        "a data: link",
        {"initiatives/alpha-trade.yaml": body("[x](data:text/html;base64,PHNjcmlwdD4=)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-vbscript": (
        "a vbscript: link",
        {"initiatives/alpha-trade.yaml": body("[x](vbscript:msgbox(1))")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-remote-image": (
        "an image from another host",
        {"initiatives/alpha-trade.yaml": body("![a map](https://example.org/map.png)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    # --- round two (issue #20): URLs --------------------------------------------------------
    "url-source-trailing-newline": (
        "a source URL ending in a line break",
        {"sources/news-2024-01-02.yaml": source_url('"https://example.org/news\\n"')},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type", "U+000A"],
    ),
    "url-source-space": (
        "a source URL with a space",
        {"sources/news-2024-01-02.yaml": source_url('"https://example.org/a news"')},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type", "U+0020"],
    ),
    "url-source-protocol-relative": (
        "a source URL without a scheme",
        {"sources/news-2024-01-02.yaml": source_url("//example.org/news")},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type", "does not start with http:// or https://"],
    ),
    "url-source-backslash": (
        "a source URL whose host starts with a backslash",
        {"sources/news-2024-01-02.yaml": source_url("'https:\\evil.example/'")},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type"],
    ),
    "url-source-credentials": (
        "a source URL carrying a user name and password",
        {"sources/news-2024-01-02.yaml": source_url("https://user:secret@example.org/")},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type", "user name or password"],
    ),
    "url-source-no-host": (
        "a source URL with no host",
        {"sources/news-2024-01-02.yaml": source_url("https:///news")},
        1,
        ["sources/news-2024-01-02.yaml:3:6: error: wrong-type", "names no host"],
    ),
    "url-base-javascript": (
        "a base URL with the javascript: scheme",
        {"site.yaml": setting('base_url: "javascript:alert(1)//"')},
        1,
        ["site.yaml:6:11: error: wrong-type", "does not start with http:// or https://"],
    ),
    "url-base-newline": (
        "a base URL that would forge a robots.txt line",
        {"site.yaml": setting('base_url: "https://example.org/\\nDisallow: /"')},
        1,
        ["site.yaml:6:11: error: wrong-type", "U+000A"],
    ),
    "url-base-space": (
        "a base URL with a space",
        {"site.yaml": setting('base_url: "https://example.org/a b/"')},
        1,
        ["site.yaml:6:11: error: wrong-type", "U+0020"],
    ),
    "url-base-query": (
        "a base URL with a query",
        {"site.yaml": setting("base_url: https://example.org/?page=1")},
        1,
        ["site.yaml:6:11: error: wrong-type", "has a query or fragment"],
    ),
    "url-base-unicode": (
        "a base URL that is not ASCII",
        {"site.yaml": setting("base_url: https://例子.org/区/")},
        1,
        ["site.yaml:6:11: error: wrong-type", "is not plain ASCII"],
    ),
    "url-base-ftp": (
        "a base URL with another scheme",
        {"site.yaml": setting("base_url: ftp://example.org/")},
        1,
        ["site.yaml:6:11: error: wrong-type"],
    ),
    # --- embedded resources and links in Markdown ---------------------------------------------
    "markdown-image-protocol-relative": (
        "an image from another host without a scheme",
        {"initiatives/alpha-trade.yaml": body("![a pixel](//evil.example/pixel.png)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link", "does not name a file of the site"],
    ),
    "markdown-image-backslash-host": (
        "an image from another host written with a backslash",
        {"initiatives/alpha-trade.yaml": body("![a map](/\\evil.example/a.png)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-image-site-root": (
        "an image by an absolute path (outside the site under a sub-path or from disk)",
        {"initiatives/alpha-trade.yaml": body("![a map](/media/a.png)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-image-data": (
        "an image as a data: URL",
        {"initiatives/alpha-trade.yaml": body("![a dot](data:image/png;base64,iVBORw0KGgo=)")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link"],
    ),
    "markdown-link-tab-in-scheme": (
        "a javascript: link split by an escaped tab, which browsers drop",
        {"initiatives/alpha-trade.yaml": body("[x](java&#9;script:alert(1))")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: unsafe-link", "U+0009"],
    ),
    # --- bounded work per text ------------------------------------------------------------------
    "markdown-backtick-run": (
        "3,000 backticks in a row (took minutes)",
        {"initiatives/alpha-trade.yaml": body("`" * 3000)},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex"],
    ),
    "markdown-image-brackets": (
        "20,000 '![' (quadratic time)",
        {"initiatives/alpha-trade.yaml": body("![" * 20_000)},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex"],
    ),
    "markdown-too-long": (
        "a body of 60,000 characters",
        {"initiatives/alpha-trade.yaml": body("trade " * 10_000)},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex", "60,000 characters"],
    ),
    "markdown-deep-list": (
        "a list nested 100 levels deep (exhausted the stack)",
        {"initiatives/alpha-trade.yaml": body_block("\n".join("    " * i + "- x" for i in range(100)))},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex", "nests 99 levels"],
    ),
    "markdown-deep-quote": (
        "block quotes nested 50 deep",
        {"initiatives/alpha-trade.yaml": body_block("> " * 50 + "x")},
        1,
        ["initiatives/alpha-trade.yaml:9:7: error: markdown-too-complex", "nests 50 levels"],
    ),
    "geo-deep-array": (
        "5,000 nested [ in the district boundaries (exhausted the stack)",
        {"geo/shanghai-districts.geojson": "[" * 5000 + "\n"},
        1,
        ["geo/shanghai-districts.geojson:1:17: error: too-deep"],
    ),
    "geo-deep-object": (
        "objects nested 40 deep in the district boundaries",
        {"geo/shanghai-districts.geojson": '{"a":' * 40 + "1" + "}" * 40 + "\n"},
        1,
        ["geo/shanghai-districts.geojson:1:81: error: too-deep"],
    ),
    # --- values YAML 1.1 would misread ----------------------------------------------------------
    "yaml11-sexagesimal": (
        "an area written 1:30, which YAML 1.1 reads as 90",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "1:30")},
        1,
        ["zones/alpha-zone.yaml:5:11: error: wrong-type", "found the text '1:30'"],
    ),
    "yaml11-octal": (
        "an order written 010, which YAML 1.1 reads as 8",
        {"themes/trade.yaml": order("010")},
        1,
        ["themes/trade.yaml:3:8: error: wrong-type", "found the text '010'"],
    ),
    "yaml11-underscore": (
        "an order written 1_0, which YAML 1.1 reads as 10",
        {"themes/trade.yaml": order("1_0")},
        1,
        ["themes/trade.yaml:3:8: error: wrong-type", "found the text '1_0'"],
    ),
    "yaml11-binary": (
        "an order written 0b11, which YAML 1.1 reads as 3",
        {"themes/trade.yaml": order("0b11")},
        1,
        ["themes/trade.yaml:3:8: error: wrong-type", "found the text '0b11'"],
    ),
    "yaml11-yes": (
        "strict: yes, which YAML 1.1 reads as true",
        {"site.yaml": setting("strict: yes")},
        1,
        ["site.yaml:6:9: error: wrong-type", "found the text 'yes'"],
    ),
    "yaml11-off": (
        "strict: off, which YAML 1.1 reads as false",
        {"site.yaml": setting("strict: off")},
        1,
        ["site.yaml:6:9: error: wrong-type", "found the text 'off'"],
    ),
    "number-5001-digits": (
        "an order of 5,001 digits (was reported as a bad date)",
        {"themes/trade.yaml": order("9" * 5001)},
        1,
        ["themes/trade.yaml:3:8: error: bad-number: a number of 5,001 characters"],
    ),
    "number-long-float": (
        "an area with 60 decimals",
        {"zones/alpha-zone.yaml": sub(ZONE, "23", "2." + "3" * 60)},
        1,
        ["zones/alpha-zone.yaml:5:11: error: bad-number: a number of 62 characters"],
    ),
    # --- the severity table ---------------------------------------------------------------------
    "severity-ignores-error": (
        "a severity that would silence an error",
        {"site.yaml": setting("severity: {bad-id: ignore}")},
        1,
        ["site.yaml:6:20: error: bad-severity: 'bad-id' is an error and cannot be set to ignore"],
    ),
    "severity-error-to-warning": (
        "a severity that would turn an error into a warning",
        {"site.yaml": setting("severity: {unknown-field: warning}")},
        1,
        ["site.yaml:6:27: error: bad-severity"],
    ),
    # --- links among the files ------------------------------------------------------------------
    "file-symlink-loop": (
        "a link to itself where a file belongs",
        {"districts/gamma.yaml": ("symlink", "gamma.yaml")},
        1,
        ["districts/gamma.yaml: error: not-a-file", "link loop"],
    ),
}
FIFO = {"file-fifo": "districts/gamma.yaml"}


def write_case(name: str, folder: Path) -> None:
    description, changes, code, expected = CASES[name]
    content = folder / "content"
    for path, text in {**BASE, **changes}.items():
        target = content / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, tuple):
            target.symlink_to(text[1])
        elif text is not None:  # None: the base file is left out
            target.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    lines = [f"# {description}", f"exit {code}"]
    if name in FIFO:
        lines.append(f"make-fifo {FIFO[name]}")
    (folder / "expect.txt").write_text("\n".join(lines + expected) + "\n", encoding="utf-8")


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    for name in CASES:
        write_case(name, HERE / name)
    print(f"wrote {len(CASES)} cases to {os.path.relpath(HERE)}")


if __name__ == "__main__":
    main()
