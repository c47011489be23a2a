"""The English catalogue is complete and compiled: what the English pages of the journeys read.

No browser here: these checks are fast and fail before the browser tests would show a page
half in Chinese. The .po is the source; the .mo must be compiled from its current text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from linli.core import nav

PO_FILE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _po_entries(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (or msgstr[n]) and flags."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, key = {}, ""
        elif line.startswith("#,"):
            entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] = str(entry[key]) + ast.literal_eval(line)
        else:
            key, _, literal = line.partition(" ")
            entry[key] = ast.literal_eval(literal)
    return [e for e in entries if e.get("msgid")]


ENTRIES = _po_entries(PO_FILE)


def test_every_message_has_an_english_translation():
    assert len(ENTRIES) > 100
    untranslated = [
        e["msgid"]
        for e in ENTRIES
        if not all(v for k, v in e.items() if k.startswith("msgstr"))
        or "fuzzy" in e.get("flags", set())  # type: ignore[operator]
    ]
    assert not untranslated, f"untranslated or fuzzy in {PO_FILE.name}: {untranslated}"


def test_the_compiled_catalogue_matches_the_po_file():
    # The .mo answers with the .po's text: it was compiled after the last edit.
    stale = []
    with translation.override("en"):
        for e in ENTRIES:
            msgid, context = str(e["msgid"]), e.get("msgctxt")
            if "msgid_plural" in e:
                plural = str(e["msgid_plural"])
                got = (
                    translation.npgettext(str(context), msgid, plural, 2)
                    if context
                    else translation.ngettext(msgid, plural, 2)
                )
                want = e["msgstr[1]"]
            else:
                got = (
                    translation.pgettext(str(context), msgid)
                    if context
                    else translation.gettext(msgid)
                )
                want = e["msgstr"]
            if got != want:
                stale.append((msgid, got, want))
    assert not stale, f"run `manage.py compilemessages`: {stale[:5]}"


@pytest.mark.parametrize(
    ("chinese", "english"),
    [("区划与网格", "Regions and grids"), ("退出", "Log out"), ("工作台", "Workbench")],
)
def test_the_shell_speaks_english(chinese, english):
    with translation.override("en"):
        assert translation.gettext(chinese) == english


def test_every_menu_label_is_in_the_catalogue():
    # base.html translates `item.label` at run time; makemessages only finds the labels
    # through linli/core/nav_labels.py.
    msgids = {e["msgid"] for e in ENTRIES}
    labels = {item.label for item in nav._items}
    assert labels, "no menu entries registered"
    missing = labels - msgids
    assert not missing, f"add these to linli/core/nav_labels.py and translate them: {missing}"
