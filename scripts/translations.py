"""Keep the English catalogue in step with the French source strings.

python scripts/translations.py extract   # update app/translations/en/.../messages.po
python scripts/translations.py fill FILE # merge {"french": "english"} pairs from a JSON file;
                                         # plural entries: {"singular msgid": ["one", "many"]}
python scripts/translations.py compile   # build the .mo files (the set-up scripts do this)
python scripts/translations.py missing   # list untranslated strings (exit 1 if any);
                                         # plural entries are listed as [singular, plural]
"""

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
FR_PO = ROOT / "app/translations/fr/LC_MESSAGES/messages.po"
POT = ROOT / "instance/messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def jinja_mapping() -> Path:
    """babel.cfg, with syntax errors in templates made loud.

    Jinja's extractor silently skips a template it cannot parse (``silent`` defaults to true),
    so a template using ``{% do %}`` (enabled in app/core/templating.py) once lost all its
    strings. babel.cfg declares the extensions; this adds ``silent = false`` to each Jinja
    section that does not say it already.
    """
    lines: list[str] = []
    in_jinja = has_silent = False

    def close_section() -> None:
        if in_jinja and not has_silent:
            lines.append("silent = false")

    for line in (ROOT / "babel.cfg").read_text().splitlines():
        if line.strip().startswith("["):
            close_section()
            in_jinja, has_silent = line.strip().startswith("[jinja2:"), False
        elif line.split("=")[0].strip() == "silent":
            has_silent = True
        lines.append(line)
    close_section()
    mapping = POT.parent / "babel-extract.cfg"
    mapping.write_text("\n".join(lines) + "\n")
    return mapping


def update_french_plurals() -> None:
    """Write the French catalogue: only the plural entries, each form filled from the source.

    French is the source language, so its sentences need no translation; but without a
    catalogue gettext applies English's plural rule and says "0 téléchargements". With the
    entries present, French's own rule (n > 1) picks the form: "0 téléchargement".
    """
    from babel.messages.catalog import Catalog

    with POT.open("rb") as fh:
        template = read_po(fh)
    catalog = Catalog(locale="fr", domain="messages", project="circuits-courts", fuzzy=False)
    for message in template:
        if message.id and message.pluralizable:
            # CLDR gives French a third form ("many": 1 000 000 téléchargements): the plural.
            singular, plural = message.id[0], message.id[1]
            forms = (singular, *[plural] * (catalog.num_plurals - 1))
            catalog.add(message.id, string=forms, flags=message.flags - {"fuzzy"})
    FR_PO.parent.mkdir(parents=True, exist_ok=True)
    with FR_PO.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, no_location=True)


def _translated(message) -> bool:
    """A plural entry counts as translated only when every form is filled."""
    if message.pluralizable:
        return all(message.string)
    return bool(message.string)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "extract":
        POT.parent.mkdir(exist_ok=True)
        pybabel(
            "extract",
            "-F",
            str(jinja_mapping()),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "Message",  # app/core/i18n.py: sentences stored by workers, translated when read
            "--no-location",
            "-o",
            str(POT),
            ".",
        )
        update_french_plurals()
        pybabel(
            "update",
            "-i",
            str(POT),
            "-l",
            "en",
            "-d",
            "app/translations",
            "--no-fuzzy-matching",
            "--width",
            "100",
        )  # the width `fill` writes with: no re-wrapping churn
    elif command == "fill":
        pairs = json.loads(Path(argv[1]).read_text())
        with PO.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            # Plural entries are keyed by their singular msgid and take
            # ["singular", "plural"] (one string per plural form).
            key = message.id[0] if message.pluralizable else message.id
            if key not in pairs:
                continue
            value = pairs[key]
            if message.pluralizable:
                if isinstance(value, str):
                    value = [value, value]
                forms = catalog.num_plurals
                value = list(value) + [value[-1]] * (forms - len(value))
                message.string = tuple(value[:forms])
            elif isinstance(value, str):
                message.string = value
        with PO.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False)
    elif command == "missing":
        with PO.open("rb") as fh:
            missing = [
                list(m.id) if m.pluralizable else m.id
                for m in read_po(fh)
                if m.id and not _translated(m)
            ]
        print(json.dumps(missing, ensure_ascii=False, indent=1))
        return 1 if missing else 0
    elif command == "compile":
        pybabel("compile", "-d", "app/translations", "--statistics")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
