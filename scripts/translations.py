"""Keep the English catalogue in step with the French source strings.

    python scripts/translations.py extract   # update app/translations/en/.../messages.po
    python scripts/translations.py fill FILE # merge {"french": "english"} pairs from a JSON file
    python scripts/translations.py compile   # build the .mo files (the set-up scripts do this)
    python scripts/translations.py missing   # list untranslated strings (exit 1 if any)
"""

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
POT = ROOT / "instance/messages.pot"


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "extract":
        POT.parent.mkdir(exist_ok=True)
        pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                "-o", str(POT), ".")
        pybabel("update", "-i", str(POT), "-d", "app/translations", "--no-fuzzy-matching")
    elif command == "fill":
        pairs = json.loads(Path(argv[1]).read_text())
        with PO.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if message.id and message.id in pairs:
                message.string = pairs[message.id]
        with PO.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False)
    elif command == "missing":
        with PO.open("rb") as fh:
            missing = [m.id for m in read_po(fh) if m.id and not m.string]
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
