"""Person names in captions.

When spaCy and an English pipeline (``en_core_web_sm`` / ``_md`` / ``_lg``) are installed, its NER
``PERSON`` entities are used. Otherwise a documented rule-based extractor runs:

1. tokens are words; a *name run* is a sequence of capitalised words (allowing particles such as
   "van", "de", "bin", initials like "J." and hyphenated or apostrophe names "O'Neil", "Jean-Luc"),
   optionally led by an honorific (Mr, Mrs, Ms, Dr, Prof, President, Senator...) which is dropped;
2. runs made only of stop words (sentence starters, months, weekdays, places and organisation words
   like "White House", "Summit") are dropped; a run's leading stop words are stripped ("Yesterday
   Barack Obama" → "Barack Obama");
3. a single capitalised word counts as a name unless it follows a place preposition ("in Hamburg");
   a lowercase word (a verb) between two names splits them ("Bush meets Putin" → Bush, Putin); a
   surname alone after the full name is the same person; photo credits ("REUTERS/Jane Doe") are
   removed first;
4. names the user lists (``known``) are matched first, whole-word, so "Putin" is found alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

HONORIFICS = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "president",
    "senator",
    "sen",
    "rep",
    "gov",
    "governor",
    "mayor",
    "minister",
    "chancellor",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "general",
    "gen",
    "col",
    "capt",
    "captain",
    "judge",
    "justice",
    "rev",
    "father",
    "sister",
    "brother",
    "coach",
    "sheikh",
    "premier",
    "secretary",
    "ambassador",
    "chairman",
    "ceo",
}
PARTICLES = {
    "van",
    "von",
    "de",
    "der",
    "den",
    "da",
    "di",
    "del",
    "della",
    "la",
    "le",
    "du",
    "bin",
    "al",
    "ibn",
    "ter",
    "y",
}
STOP = {
    # sentence starters and function words that are capitalised at the start of a caption
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "of",
    "and",
    "with",
    "for",
    "from",
    "to",
    "by",
    "after",
    "before",
    "during",
    "as",
    "this",
    "that",
    "these",
    "those",
    "his",
    "her",
    "their",
    "its",
    "our",
    "my",
    "here",
    "there",
    "left",
    "right",
    "center",
    "centre",
    "front",
    "back",
    "yesterday",
    "today",
    "tomorrow",
    "photo",
    "file",
    "pictured",
    "above",
    "below",
    "while",
    "when",
    "where",
    "who",
    "also",
    "former",
    "new",
    "top",
    # calendar
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    # places and organisations that look like names
    "white",
    "house",
    "kremlin",
    "summit",
    "parliament",
    "congress",
    "senate",
    "university",
    "street",
    "square",
    "palace",
    "hall",
    "museum",
    "stadium",
    "airport",
    "city",
    "state",
    "united",
    "states",
    "nations",
    "republic",
    "union",
    "european",
    "national",
    "international",
    "north",
    "south",
    "east",
    "west",
    "york",
    "london",
    "paris",
    "washington",
    "moscow",
    "berlin",
    "beijing",
    "tokyo",
    "geneva",
    "brussels",
    "rome",
    "madrid",
    "olympic",
    "olympics",
    "cup",
    "world",
    "festival",
    "gala",
    "award",
    "awards",
    "oscar",
    "oscars",
    "ap",
    "reuters",
    "afp",
    "getty",
    "images",
    "press",
    "news",
    "inc",
    "ltd",
    "corp",
    "company",
    "group",
    "club",
    "fc",
    "party",
    "council",
    "court",
    "agency",
    "day",
    "night",
    # groups of people named by role
    "police",
    "protesters",
    "officials",
    "fans",
    "players",
    "students",
    "people",
    "supporters",
    "residents",
    "workers",
    "soldiers",
    "members",
    "children",
    "women",
    "men",
    "crowds",
    "guests",
    "delegates",
    "leaders",
    "organisers",
    "organizers",
    "visitors",
    "voters",
    "staff",
    "volunteers",
    "rescuers",
    "journalists",
}
_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’\-]*\.?|[A-Z]\.")


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and not word.isupper() or (len(word) <= 2 and word[:1].isupper())


def _clean(word: str) -> str:
    return word.rstrip(".").replace("’", "'")


@lru_cache(maxsize=1)
def _spacy():
    try:
        import spacy
    except ImportError:
        return None
    for model in ("en_core_web_sm", "en_core_web_md", "en_core_web_lg"):
        try:
            return spacy.load(model, disable=["lemmatizer"])
        except OSError:
            continue
    return None


def extract_names(caption: str, known: list[str] | None = None, use_ner: bool = True) -> list[str]:
    """Distinct person names in ``caption``, in order of appearance."""
    nlp = _spacy() if use_ner else None
    if nlp is not None:
        found = [e.text.strip() for e in nlp(caption).ents if e.label_ == "PERSON"]
        return _merge_known(caption, _dedupe(_strip_honorifics(n) for n in found), known)
    return _merge_known(caption, rule_based_names(caption), known)


def rule_based_names(caption: str) -> list[str]:
    text = _CREDIT.sub(" ", caption)  # photo credits: "REUTERS/Jane Doe", "(AP Photo/John Roe)"
    tokens = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
    runs: list[tuple[list[str], bool, str]] = []  # (words, led by an honorific, the word before)
    current: list[str] = []
    honorific = False
    run_before = ""
    prev_end = 0
    for i, (tok, pos) in enumerate(tokens):
        word = _clean(tok)
        low = word.lower()
        ended = i > 0 and tokens[i - 1][0].endswith(".") and len(tokens[i - 1][0]) > 2
        ended = ended and _clean(tokens[i - 1][0]).lower() not in HONORIFICS  # "Dr." does not end a sentence
        if current and (ended or _BREAK.search(text[prev_end:pos])):  # "Ann Lee, Bo Kim" are two names
            runs.append((current, honorific, run_before))
            current, honorific = [], False
        prev_end = pos + len(tok)
        if low in HONORIFICS and _is_cap(tok) and i + 1 < len(tokens) and _is_cap(tokens[i + 1][0]):
            if current:
                runs.append((current, honorific, run_before))
            current, honorific = [], True
            continue
        if _is_cap(tok) or (current and low in PARTICLES and i + 1 < len(tokens) and _is_cap(tokens[i + 1][0])):
            if not current:
                run_before = _clean(tokens[i - 1][0]).lower() if i else ""
            current.append(word)
        else:
            if current:
                runs.append((current, honorific, run_before))
            current, honorific = [], False
    if current:
        runs.append((current, honorific, run_before))
    names: list[str] = []
    for words, led, before in runs:
        while words and words[0].lower() in STOP:
            words = words[1:]
        if not words or any(w.lower() in STOP | PARTICLES for w in (words[0], words[-1])):
            continue
        if any(w.lower() in STOP for w in words):
            continue  # "White House Press", "Met Gala"
        if len(words) == 1 and not led and before in PLACE_WORDS:
            continue  # "in Hamburg", "from Geneva"
        names.append(" ".join(words))
    return _dedupe(names)


_CREDIT = re.compile(r"\(?\b(?:[A-Z]{2,}(?: Photo)?|Photo|Credit|Courtesy)\s*/\s*[A-Z][\w.'-]*(?: [A-Z][\w.'-]*)*\)?")
_BREAK = re.compile(r"[,;:()\[\]\"/–—!?&]|\.\s")
PLACE_WORDS = {
    "in",
    "at",
    "from",
    "near",
    "to",
    "of",
    "outside",
    "inside",
    "across",
    "around",
    "into",
    "visit",
    "visits",
}


def _strip_honorifics(name: str) -> str:
    words = name.split()
    while words and _clean(words[0]).lower() in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def _dedupe(names) -> list[str]:
    out: list[str] = []
    for n in names:
        n = n.strip(" ,;:'\"")
        if not n:
            continue
        if any(n == o or (o.endswith(" " + n)) for o in out):
            continue  # "Smith" after "Anna Smith"
        out = [o for o in out if not n.endswith(" " + o)]  # "Anna Smith" after "Smith"
        out.append(n)
    return out


def _merge_known(caption: str, found: list[str], known: list[str] | None) -> list[str]:
    """Known names present in the caption, whole-word (also by surname alone), come first."""
    if not known:
        return found
    hits = []
    for name in known:
        parts = [re.escape(name)] + ([re.escape(name.split()[-1])] if " " in name else [])
        if any(re.search(rf"(?<![\w]){p}(?![\w])", caption) for p in parts):
            hits.append(name)
    rest = [f for f in found if not any(f == k or k.endswith(" " + f) or f.endswith(" " + k.split()[-1]) for k in hits)]
    return _dedupe(hits + rest)
