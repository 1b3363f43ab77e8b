"""Make written French speakable: numbers, dates, times, money, units and abbreviations.

Everything is turned into words here rather than left to the engine, so every engine (espeak-ng,
Piper) reads the same thing and the tests can state exactly what will be said.
"""

import re
import unicodedata
from decimal import Decimal

_UNITS = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    "onze", "douze", "treize", "quatorze", "quinze", "seize",
]
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
]

#: Abbreviations of the short-supply-chain field, as written → as spoken. Pronounceable acronyms
#: are written as one lower-case word (the engine then reads a word), the others as spaced letters
#: (the engine then names each letter). Matched case-sensitively as whole words.
ABBREVIATIONS: dict[str, str] = {
    # Networks, labels and public policy
    "AMAP": "amap",
    "Amap": "amap",
    "MIRAMAP": "miramap",
    "Miramap": "miramap",
    "EGalim": "égalim",
    "Egalim": "égalim",
    "EGALIM": "égalim",
    "PAT": "projet alimentaire territorial",
    "PAC": "pac",
    "FEADER": "féader",
    "CIVAM": "civam",
    "Civam": "civam",
    "FNAB": "fnab",
    "ADEAR": "adéar",
    "MSA": "M S A",
    "DRAAF": "draaf",
    "DDPP": "D D P P",
    "INAO": "i na o",
    "AOP": "A O P",
    "AOC": "A O C",
    "IGP": "I G P",
    "SIQO": "sico",
    "HVE": "H V E",
    "AB": "A B",
    "ESS": "E S S",
    "GMS": "G M S",
    "RHD": "R H D",
    "OFN": "O F N",
    # Legal forms and administration
    "SCIC": "scic",
    "Scic": "scic",
    "SCOP": "scop",
    "Scop": "scop",
    "GIE": "G I E",
    "SAS": "S A S",
    "SASU": "S A S U",
    "SARL": "S A R L",
    "EURL": "E U R L",
    "EARL": "E A R L",
    "GAEC": "gaèk",
    "Gaec": "gaèk",
    "CUMA": "cuma",
    "Cuma": "cuma",
    "AG": "A G",
    "CA": "C A",
    "SIRET": "siret",
    "SIREN": "sirène",
    "URSSAF": "urssaf",
    "Urssaf": "urssaf",
    "RGPD": "R G P D",
    "CGV": "C G V",
    "TVA": "T V A",
    "HT": "hors taxes",
    "TTC": "toutes taxes comprises",
    # Food safety and logistics
    "DLC": "D L C",
    "DDM": "D D M",
    "HACCP": "H A C C P",
    "kg": "kilo",
    "km": "kilomètre",
    # Everyday abbreviations
    "PDF": "P D F",
    "URL": "U R L",
    "etc.": "et cetera",
    "cf.": "voir",
    "env.": "environ",
    "Mme": "madame",
    "Mmes": "mesdames",
    "Mlle": "mademoiselle",
    "n°": "numéro",
    "N°": "numéro",
}

#: Units read after a number: symbol → (singular, plural, feminine).
UNITS: dict[str, tuple[str, str, bool]] = {
    "kg": ("kilo", "kilos", False),
    "g": ("gramme", "grammes", False),
    "t": ("tonne", "tonnes", True),
    "km": ("kilomètre", "kilomètres", False),
    "m": ("mètre", "mètres", False),
    "cm": ("centimètre", "centimètres", False),
    "mm": ("millimètre", "millimètres", False),
    "m²": ("mètre carré", "mètres carrés", False),
    "m2": ("mètre carré", "mètres carrés", False),
    "ha": ("hectare", "hectares", False),
    "l": ("litre", "litres", False),
    "L": ("litre", "litres", False),
    "cl": ("centilitre", "centilitres", False),
    "ml": ("millilitre", "millilitres", False),
    "h": ("heure", "heures", True),
    "min": ("minute", "minutes", True),
    "kWh": ("kilowattheure", "kilowattheures", False),
    "°C": ("degré", "degrés", False),
    "°": ("degré", "degrés", False),
}
_PER = {**{k: v[0] for k, v in UNITS.items()}, "jour": "jour", "an": "an", "mois": "mois",
        "semaine": "semaine", "personne": "personne", "pers.": "personne", "pers": "personne"}

_NUM = r"(?:\d{1,3}(?: \d{3})+|\d+)"
_NUM_DEC = _NUM + r"(?:,\d+)?"
_SPACES_RE = re.compile(r"[\u00a0\u202f\u2007\u2009\t]")
_SUPERSCRIPTS = str.maketrans({"ᵉ": "e", "ʳ": "r", "ᵈ": "d", "ˢ": "s", "’": "'", "ʼ": "'",
                               "−": "-", "…": "...", "œ": "oe", "Œ": "Oe"})
_URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_ISO_DATE_RE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_DATE_RE = re.compile(
    r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|(?<=/\d\d/)\d{2}|(?<=/\d/)\d{2})"
    r"(?![\d/]|[.-]\d)"
)
_RANGE_RE = re.compile(r"(\d(?: ?h(?:\d\d)?)?|%|€)\s*[–-]\s*(?=\d)")
_TIME_RE = re.compile(r"(?<![\d,])([01]?\d|2[0-4]) ?[hH] ?([0-5]\d)(?!\d)")
_CLOCK_RE = re.compile(r"(?<![\d:,])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_CENTURY_RE = re.compile(r"\b([IVXLC]+)(?:e|ème|er) +(siècles?|arrondissement)")
_ORDINAL_RE = re.compile(r"(?<![\d,])(\d+)(ère|ere|er|re|ème|eme|e|nde|nd)(?!\w)")
_MONEY_RE = re.compile(r"(?<![\d,])(" + _NUM + r")(?:,(\d+))? ?(k€|M€|€|euros?\b|EUR\b)")
_PERCENT_RE = re.compile(r"(?<=\d) ?%")
_UNIT_RE = re.compile(
    r"(?<![\d,])(" + _NUM + r")(?:,(\d+))? ?("
    + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
    + r")(?![\w²'])"
)
_PER_RE = re.compile(
    r"(?<=[\w€]) ?/ ?(" + "|".join(re.escape(u) for u in sorted(_PER, key=len, reverse=True))
    + r")(?![\w²'])"
)
_DOTTED_RE = re.compile(r"(?<![\d.,])\d+(?:\.\d+)+(?![\d])")
_THOUSANDS_DOTS_RE = re.compile(r"\d{1,3}(?:\.\d{3})+")
_FRACTION_RE = re.compile(r"(?<=\d) ?/ ?(?=\d)")
_MINUS_RE = re.compile(r"(?<![\w-])-(?=\d)")
_NUMBER_RE = re.compile(r"(?<![\d,])(" + _NUM + r")(?:,(\d+))?")
_ABBREVIATION_RE = re.compile(
    r"(?<![\w])("
    + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?![\w])"
)
_SYMBOLS = {"&": " et ", "+": " plus ", "=": " égale ", "@": " arobase ", "§": " paragraphe ",
            "€": " euros ", "%": " pour cent ", "/": " ", "(": ", ", ")": ", ", "[": ", ",
            "]": ", ", "{": ", ", "}": ", ", "–": ", ", "—": ", ", "•": ", ", "·": ", ",
            "→": ", ", "⇒": ", ", "«": " ", "»": " ", '"': " ", "“": " ", "”": " "}
#: Punctuation kept in spoken text: the engines turn it into pauses.
_KEPT_PUNCTUATION = set(".,;:!?'-")


def cardinal(n: int, *, feminine: bool = False) -> str:
    """Spell an integer in French words (traditional spelling)."""
    if n < 0:
        return "moins " + cardinal(-n, feminine=feminine)
    if n >= 10**12:
        return " ".join(_UNITS[int(d)] for d in str(n))
    words = _cardinal(n, final=True)
    if feminine and (words == "un" or words.endswith((" un", "-un"))):
        words += "e"
    return words


def _below_100(n: int) -> str:
    if n < 17:
        return _UNITS[n]
    if n < 20:
        return "dix-" + _UNITS[n - 10]
    if n < 70:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _TENS[tens]
        return _TENS[tens] + (" et un" if unit == 1 else "-" + _UNITS[unit])
    if n < 80:
        return "soixante et onze" if n == 71 else "soixante-" + _below_100(n - 60)
    if n == 80:
        return "quatre-vingts"
    return "quatre-vingt-" + _below_100(n - 80)


def _below_1000(n: int, *, final: bool) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        words = _below_100(rest)
        # "quatre-vingts" loses its s before "mille" ("quatre-vingt mille").
        return words if final or words != "quatre-vingts" else "quatre-vingt"
    head = "cent" if hundreds == 1 else _UNITS[hundreds] + " cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 and final else "")
    return head + " " + _below_100(rest)


def _cardinal(n: int, *, final: bool) -> str:
    if n < 1000:
        return _below_1000(n, final=final)
    parts = []
    for value, singular in ((10**9, "milliard"), (10**6, "million")):
        count, n = divmod(n, value)
        if count:
            parts.append(_cardinal(count, final=True) + " " + singular + ("s" if count > 1 else ""))
    thousands, n = divmod(n, 1000)
    if thousands:
        parts.append("mille" if thousands == 1 else _cardinal(thousands, final=False) + " mille")
    if n:
        parts.append(_below_1000(n, final=final))
    return " ".join(parts)


def ordinal(n: int, *, feminine: bool = False) -> str:
    """Spell an ordinal number in French words ("premier", "vingt et unième")."""
    if n == 1:
        return "première" if feminine else "premier"
    words = cardinal(n)
    if words.endswith(("vingts", "cents", "millions", "milliards")):
        words = words[:-1]
    if words.endswith("cinq"):
        return words + "uième"
    if words.endswith("neuf"):
        return words[:-1] + "vième"
    if words.endswith("e"):
        words = words[:-1]
    return words + "ième"


def decimal_words(integer: str, decimals: str | None, *, feminine: bool = False) -> str:
    """Spell a French decimal number written with a comma ("3,05" → "trois virgule zéro cinq")."""
    words = _integer_words(integer, feminine=feminine and not decimals)
    if not decimals:
        return words
    if len(decimals) > 3:
        fraction = " ".join(_UNITS[int(d)] for d in decimals)
    else:
        zeros = len(decimals) - len(decimals.lstrip("0"))
        fraction = " ".join(["zéro"] * zeros + ([cardinal(int(decimals))] if decimals.strip("0")
                                                 or not zeros else []))
    return words + " virgule " + fraction


def _integer_words(digits: str, *, feminine: bool = False) -> str:
    digits = digits.replace(" ", "")
    if len(digits) > 1 and digits.startswith("0"):
        # Codes and telephone numbers: "06" is read "zéro six".
        zeros = len(digits) - len(digits.lstrip("0"))
        rest = digits[zeros:]
        return " ".join(["zéro"] * zeros + ([cardinal(int(rest))] if rest else []))
    return cardinal(int(digits), feminine=feminine)


def _date(day: int, month: int, year: int) -> str | None:
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    return f"{'1er' if day == 1 else day} {_MONTHS[month - 1]} {year}"


def _replace_date(match: re.Match) -> str:
    day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    if len(match.group(4)) == 2:
        year += 2000
    return _date(day, month, year) or match.group(0)


def _replace_iso_date(match: re.Match) -> str:
    year, month, day = (int(g) for g in match.groups())
    return _date(day, month, year) or match.group(0)


def _replace_time(match: re.Match) -> str:
    hours, minutes = int(match.group(1)), int(match.group(2))
    words = cardinal(hours, feminine=True) + (" heure" if hours < 2 else " heures")
    return words + (" " + cardinal(minutes, feminine=True) if minutes else "")


def _roman(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for current, following in zip(numeral, numeral[1:] + " ", strict=True):
        value = values[current]
        total += -value if values.get(following, 0) > value else value
    return total


def _replace_ordinal(match: re.Match) -> str:
    n, suffix = int(match.group(1)), match.group(2)
    if suffix in ("nd", "nde") and n == 2:
        return "second" if suffix == "nd" else "seconde"
    return ordinal(n, feminine=suffix in ("re", "ère", "ere", "nde"))


def _replace_money(match: re.Match) -> str:
    integer, decimals, currency = match.group(1).replace(" ", ""), match.group(2), match.group(3)
    amount = Decimal(integer + ("." + decimals if decimals else ""))
    if currency in ("k€", "M€"):
        amount *= 1000 if currency == "k€" else 1_000_000
    elif decimals and len(decimals) > 2:
        return decimal_words(integer, decimals) + " euros"
    euros, cents = int(amount), int((amount - int(amount)) * 100)
    if amount != euros + Decimal(cents) / 100:
        return decimal_words(integer, decimals) + " euros"
    if euros == 0 and cents:
        return cardinal(cents) + (" centime" if cents < 2 else " centimes")
    words = cardinal(euros)
    if words.endswith(("million", "millions", "milliard", "milliards")):
        words += " d'euros"
    else:
        words += " euro" if euros < 2 else " euros"
    return words + (" " + cardinal(cents) if cents else "")


def _replace_unit(match: re.Match) -> str:
    integer, decimals, symbol = match.group(1), match.group(2), match.group(3)
    singular, plural, feminine = UNITS[symbol]
    value = Decimal(integer.replace(" ", "") + ("." + decimals if decimals else ""))
    # French puts the noun in the plural from 2 up ("1,5 kilo", "2 kilos").
    return decimal_words(integer, decimals, feminine=feminine) + " " + (
        plural if value >= 2 else singular)


def _replace_number(match: re.Match) -> str:
    return " " + decimal_words(match.group(1), match.group(2)) + " "


def _replace_dotted(match: re.Match) -> str:
    text = match.group(0)
    if _THOUSANDS_DOTS_RE.fullmatch(text):
        return text.replace(".", "")
    return " point ".join(text.split("."))


def _speak_address(text: str) -> str:
    text = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, flags=re.IGNORECASE)
    host = text.split("/", 1)[0]
    return " point ".join(part for part in host.split(".") if part)


def _speak_email(match: re.Match) -> str:
    user, host = match.group(0).split("@", 1)
    return " ".join(user.replace(".", " point ").split()) + " arobase " + _speak_address(host)


def _keep(char: str) -> bool:
    if char.isspace() or char in _KEPT_PUNCTUATION:
        return True
    if char.isdigit():
        return char.isascii()
    if char.isalpha():
        # espeak-ng's French voice switches language or spells out other scripts.
        return char.isascii() or unicodedata.name(char, "").startswith("LATIN")
    return False


def speakable(text: str) -> str:
    """Return French text as it should be read aloud: words only, with pause punctuation."""
    text = unicodedata.normalize("NFC", text).translate(_SUPERSCRIPTS)
    text = _SPACES_RE.sub(" ", text)
    text = _EMAIL_RE.sub(_speak_email, text)
    text = _URL_RE.sub(lambda m: _speak_address(m.group(0)), text)
    text = _ISO_DATE_RE.sub(_replace_iso_date, text)
    text = _DATE_RE.sub(_replace_date, text)
    text = _RANGE_RE.sub(r"\1 à ", text)
    text = _MINUS_RE.sub("moins ", text)
    text = _TIME_RE.sub(_replace_time, text)
    text = _CLOCK_RE.sub(_replace_time, text)
    text = _CENTURY_RE.sub(lambda m: ordinal(_roman(m.group(1))) + " " + m.group(2), text)
    text = _ORDINAL_RE.sub(_replace_ordinal, text)
    text = _MONEY_RE.sub(_replace_money, text)
    text = _PERCENT_RE.sub(" pour cent", text)
    text = _UNIT_RE.sub(_replace_unit, text)
    text = _PER_RE.sub(lambda m: " par " + _PER[m.group(1)], text)
    text = _ABBREVIATION_RE.sub(lambda m: ABBREVIATIONS[m.group(1)], text)
    text = _DOTTED_RE.sub(_replace_dotted, text)
    text = _FRACTION_RE.sub(" sur ", text)
    text = _NUMBER_RE.sub(_replace_number, text)
    text = "".join(_SYMBOLS.get(c, c) for c in text)
    text = "".join(c if _keep(c) else " " for c in text)
    return _tidy(text)


_TIDY_RULES = (
    (re.compile(r"\s+"), " "),
    # Stray hyphens and quotes go; those inside words ("l'amap", "peut-être") stay.
    (re.compile(r"(?<!\w)[-']+|[-']+(?!\w)"), " "),
    (re.compile(r"\s+([.,;:!?])"), r"\1"),
    (re.compile(r"([,;:])(?:\s*[,;:])+"), r"\1"),
    (re.compile(r"[,;:]+\s*([.!?])"), r"\1"),
    (re.compile(r"([.!?])(?:\s*[,;:.])+(?!\.)"), r"\1"),
    (re.compile(r"([.,;:!?])(?=\w)"), r"\1 "),
    (re.compile(r"\s+"), " "),
)


def _tidy(text: str) -> str:
    for pattern, replacement in _TIDY_RULES:
        text = pattern.sub(replacement, text)
    return text.strip().lstrip(".,;:!? ").strip()
