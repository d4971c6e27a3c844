"""The English catalog is complete and compiled: every msgid of django.po has an English msgstr, and
the committed django.mo holds exactly those translations (CI has no gettext to compile it)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

import onewindow

PACKAGE = Path(onewindow.__file__).parent
# The project catalog, and any app that keeps its own (Django merges them at run time).
CATALOGS = sorted([PACKAGE / "locale" / "en" / "LC_MESSAGES",
                   *(p.parent for p in PACKAGE.glob("*/locale/en/LC_MESSAGES/django.po"))])
ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$')


def read_po(path: Path) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    flags = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        match = ENTRY.match(line)
        if match:
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif line.startswith("#,"):
            flags += line
        elif not line.strip():
            if current.get("msgid"):
                current["flags"] = flags
                entries.append(current)
            current, key, flags = {}, "", ""
    return entries


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_has_an_english_translation(catalog: Path) -> None:
    entries = read_po(catalog / "django.po")
    assert len(entries) > 10
    untranslated = [e["msgid"] for e in entries
                    if not (e.get("msgstr") or e.get("msgstr[0]")) or "fuzzy" in e["flags"]]
    assert untranslated == []


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_compiled_catalog_matches_the_po_file(catalog: Path) -> None:
    with open(catalog / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in read_po(catalog / "django.po"):
        if not (entry.get("msgstr") or entry.get("msgstr[0]")) or "fuzzy" in entry["flags"]:
            continue  # reported by the test above
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = compiled.npgettext(context, entry["msgid"], entry["msgid_plural"], 1) if context else \
                compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            assert got == entry["msgstr[0]"], entry["msgid"]
        else:
            got = compiled.pgettext(context, entry["msgid"]) if context else compiled.gettext(entry["msgid"])
            assert got == entry["msgstr"], entry["msgid"]


# The names xgettext collects for makemessages (its Python defaults plus Django's keywords). A translation
# function bound to any other name (``gettext as _g``, ``_t = gettext_lazy``) still translates at run time,
# but its strings never reach django.po, so English users see them in Chinese.
COLLECTED = {"gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
             "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
TRANSLATION_IMPORT = re.compile(r"^[ \t]*from[ \t]+django\.utils\.translation[ \t]+import[ \t]+(\([^)]*\)|.*)", re.M)
REBINDING = re.compile(rf"^[ \t]*(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*({'|'.join(sorted(COLLECTED))})[ \t]*(?:#.*)?$", re.M)


def allowed_alias(name: str, alias: str) -> bool:
    # ``_`` is read as a one-argument gettext, so only the one-argument functions may take it.
    return alias == name or (alias == "_" and name in {"gettext", "gettext_lazy", "gettext_noop"})


def test_translation_functions_keep_names_makemessages_collects() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE)
        for match in TRANSLATION_IMPORT.finditer(source):
            names = re.sub(r"#.*", "", match.group(1)).strip("() \t\n\\")
            for item in names.split(","):
                name, _sep, alias = item.strip().partition(" as ")
                name, alias = name.strip(), alias.strip()
                if name in COLLECTED and alias and not allowed_alias(name, alias):
                    offenders.append(f"{where}: {name} as {alias}")
        offenders += [f"{where}: {alias} = {name}" for alias, name in REBINDING.findall(source)
                      if not allowed_alias(name, alias)]
    assert offenders == []
