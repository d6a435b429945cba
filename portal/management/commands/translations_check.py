"""Fail when a translatable string is missing from a catalogue, untranslated or fuzzy.

It regenerates the catalogues with ``makemessages`` into the working tree, compares the
message ids with the committed ones, and puts the committed files back. English is the source
language: its catalogue must be in step; French must also translate every entry.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

MUST_TRANSLATE = {"fr": True, "en": False}
IGNORED = [".venv", "var", "staticfiles", "tests", "node_modules", "assets"]


def _ids(path: Path) -> set[tuple[str, str]]:
    return {(entry.msgctxt or "", entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


class Command(BaseCommand):
    help = "Check that the fr and en catalogues are complete and in step with the code."

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = Path(settings.BASE_DIR) / "locale"
        problems: list[str] = []
        with tempfile.TemporaryDirectory() as backup:
            for language in MUST_TRANSLATE:
                source = locale_dir / language / "LC_MESSAGES" / "django.po"
                if not source.exists():
                    raise CommandError(f"missing catalogue {source}")
                shutil.copy(source, Path(backup) / f"{language}.po")
            try:
                call_command(
                    "makemessages", locale=list(MUST_TRANSLATE), ignore_patterns=IGNORED, no_obsolete=True, verbosity=0
                )
                for language in MUST_TRANSLATE:
                    fresh = _ids(locale_dir / language / "LC_MESSAGES" / "django.po")
                    committed = _ids(Path(backup) / f"{language}.po")
                    for context, message_id in sorted(fresh - committed):
                        problems.append(f"{language}: not in the catalogue: {message_id!r} {context}".rstrip())
            finally:
                for language in MUST_TRANSLATE:
                    shutil.copy(Path(backup) / f"{language}.po", locale_dir / language / "LC_MESSAGES" / "django.po")
        for language, must_translate in MUST_TRANSLATE.items():
            catalogue = polib.pofile(str(locale_dir / language / "LC_MESSAGES" / "django.po"))
            for entry in catalogue.fuzzy_entries():
                problems.append(f"{language}: fuzzy: {entry.msgid!r}")
            if must_translate:
                for entry in catalogue.untranslated_entries():
                    problems.append(f"{language}: untranslated: {entry.msgid!r}")
        if problems:
            raise CommandError("translations are incomplete:\n  " + "\n  ".join(problems))
        self.stdout.write("translations: fr and en complete and in step with the code")
