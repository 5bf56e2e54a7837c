"""Person names in photo captions, with the left-to-right hints news captions give.

``parse_caption`` returns the people a caption names, in order of mention, each with an optional
position: "(L)", "(R)", "(C)", "(2nd L)", ", left," / ", right," / ", center," after a name, and
"From left:" / "L-R:" / "left to right" before a list. ``extract_names`` returns the names only.

When spaCy and an English pipeline (``en_core_web_sm`` / ``_md`` / ``_lg``) are installed, its
``PERSON`` entities decide which spans are names (the filters below still apply). Otherwise the
rule-based parser runs; its vocabularies come from packages (:mod:`faceatlas.people.lexicon`):

1. all-capital agency captions ("U.S. PRESIDENT BARACK OBAMA (R) ...") are re-cased first (function
   words lowercase, other words capitalised); such names are cut to two words plus particles;
2. photo credits go: "(AP Photo/Evan Vucci)", "REUTERS/Jane Doe", "Photo: John Roe/Reuters",
   "(Photo by ... /Getty Images)", "(Xinhua)", "Photo by X", "courtesy of X", a trailing "Photo: X";
3. a *name run* is a sequence of capitalised words (with particles "van", "de", "al-"; initials
   "J.", "W."; hyphens and apostrophes "Jean-Luc", "O'Neil"; accents; suffixes "Jr.", "III"); a
   possessive ("Obama's") ends its run; punctuation, lowercase words and numbers split runs;
4. in a run, everything up to the last title or role word is dropped ("U.S. President Joe Biden",
   "Singer Kathy Perrin", "White House Press Secretary Sean Spicer" → the person); leading
   function words, months and days ("Jan. 4"), and caption words ("FILE", "Episode") are dropped;
5. a run is not a person when it names a place (GeoNames: countries, capitals, states, cities of
   ≥ 15,000 people), contains an organisation, agency or group word ("University", "Reuters",
   "Police") or is only initials ("U.S.");
6. a single word is a name only after a title ("President Bush", "Mrs. Smith") or as the surname
   or given name of a full name in the same caption; the user's known names are matched first,
   whole-word and by surname, so "Putin" alone is found once "Vladimir Putin" is a known person.

Mononyms ("Madonna") are therefore missed unless known: a caption's lone capitalised words are far
more often places, months and headings than people ("Jan", "Episode" were named people before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from faceatlas.people import lexicon


@dataclass(frozen=True)
class Position:
    """Where the caption puts a person: ``side`` "left" / "right" with ``rank`` 0 = outermost, or
    "centre"."""

    side: str
    rank: int = 0

    def expected_index(self, n: int) -> float:
        """Expected index among ``n`` faces sorted left to right."""
        if self.side == "left":
            return float(min(self.rank, n - 1))
        if self.side == "right":
            return float(max(0, n - 1 - self.rank))
        return (n - 1) / 2


@dataclass(frozen=True)
class CaptionName:
    """A person named by a caption, with the position the caption gives (None: not said)."""

    name: str
    position: Position | None = None


# ---------------------------------------------------------------- text preparation


def _recase_word(m: re.Match) -> str:
    w = m.group(0)
    stem = w.rstrip(".")
    if "." in stem:
        return w  # "U.S.", "J.R."
    dots, w = w[len(stem) :], stem
    if w.lower() in lexicon.function_words() or w.lower() in lexicon.particles():
        return w.lower() + dots
    out = "-".join(part[:1].upper() + part[1:].lower() for part in w.split("-"))
    out = re.sub(r"'([a-z])(?=[a-z])", lambda k: "'" + k.group(1).upper(), out)  # O'Brien, not Obama'S
    return out + dots


def _is_all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8


_WORDISH = re.compile(r"[^\W\d_][\w'.\-]*")

_AGENCY = r"(?:AP|AFP|EPA|Reuters|REUTERS|Xinhua|XINHUA|Getty|GETTY|Pool|POOL|Bloomberg|UPI|dpa|DPA|Kyodo|TASS|Yonhap)"
_CREDITS = [
    # parenthesised credits: "(AP Photo/Evan Vucci)", "(Photo by X/Getty Images)", "(Xinhua)", "[Reuters]"
    re.compile(
        r"[(\[][^()\[\]]*?(?:\bphoto|\bcredit|\bcourtesy|\bimages\b|/|\b" + _AGENCY + r"\b)[^()\[\]]*[)\]]",
        re.IGNORECASE,
    ),
    # slash credits: "REUTERS/Jason Reed", "Jane Doe/Reuters", "AFP PHOTO / JOHN DOE", "EPA/JOHN SMITH"
    re.compile(r"(?:[A-Z][\w'’\-]*[ \t]+){0,3}[A-Z][\w'’\-]*\s*/\s*[A-Z][\w'’\-]*(?:[ \t]+[A-Z][\w'’\-]*){0,3}"),
    # "Photo by X", "photograph courtesy of X", "Credit: X Y"
    re.compile(
        r"\b(?:photo(?:graph)?s?|pictures?|images?)\s+(?:by|courtesy\s+of)\s+(?:[A-Z][\w.'’\-]*\s*){1,4}"
        r"|\b(?:courtesy\s+of|credit:)\s*(?:[A-Z][\w.'’\-]*\s*){1,4}",
        re.IGNORECASE,
    ),
    # a trailing "Photo: John Roe" / "Picture: X"
    re.compile(r"\b(?:photo(?:graph)?|picture|image)\s*:\s*(?:[A-Z][\w.'’\-]*\s*){1,4}\.?\s*$", re.IGNORECASE),
]

_ORDINALS = {"2nd": 1, "second": 1, "3rd": 2, "third": 2, "4th": 3, "fourth": 3}
_SIDE = r"(?P<side>l|r|c|m|left|right|cent(?:er|re)|middle)"
_ORD = r"(?:(?P<ord>2nd|second|3rd|third|4th|fourth)[\s-]+(?:from[\s-]+)?)?"
_PAREN_MARK = re.compile(r"\(\s*" + _ORD + _SIDE + r"\s*\)", re.IGNORECASE)
_COMMA_MARK = re.compile(r",\s*" + _ORD + r"(?P<side>left|right|cent(?:er|re)|middle)\s*(?=[,.;)]|$)", re.IGNORECASE)
_ORDER_MARK = re.compile(
    r"\(?\b(?:(?:pictured\s+)?from\s+(?P<a>left|right)(?:\s+to\s+(?:right|left))?|(?P<b>left|right)\s+to\s+"
    r"(?:right|left)|(?P<c>l|r)\s*-\s*(?:r|l)|(?P<d>l|r)\s+to\s+(?:r|l))\b\)?\s*[:,]?",
    re.IGNORECASE,
)


def _marker(side: str, ordinal: str | None) -> str:
    side = side.lower()
    rank = _ORDINALS.get((ordinal or "").lower(), 0)
    code = "L" if side in ("l", "left") else "R" if side in ("r", "right") else "C"
    return f" ⟦{code}{rank}⟧ "


def _order_marker(m: re.Match) -> str:
    side = next(g for g in (m.group("a"), m.group("b"), m.group("c"), m.group("d")) if g)
    return " ⟦OL⟧ " if side.lower().startswith("l") else " ⟦OR⟧ "


def prepare(caption: str) -> tuple[str, bool]:
    """Normalised caption text with credits removed and position markers as ``⟦..⟧`` tokens, and
    whether it was all capitals."""
    text = caption.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"').replace("\xa0", " ")
    caps = _is_all_caps(text)
    if caps:
        text = _WORDISH.sub(_recase_word, text)
    text = _PAREN_MARK.sub(lambda m: _marker(m.group("side"), m.group("ord")), text)
    text = _COMMA_MARK.sub(lambda m: _marker(m.group("side"), m.group("ord")) + ",", text)
    text = _ORDER_MARK.sub(_order_marker, text)
    for pattern in _CREDITS:
        text = pattern.sub(" | ", text)
    return text, caps


# ---------------------------------------------------------------- tokens and runs

_TOKEN = re.compile(
    r"(?P<mark>⟦\w+⟧)"
    r"|(?P<abbr>(?:[^\W\d_]\.){2,})"
    r"|(?P<word>[^\W\d_](?:[\w'\-]*[^\W_])?\.?)"
    r"|(?P<num>\d+(?:[,.:/\-]\d+)*\w*)"
    r"|(?P<punct>[^\w\s])"
)


@dataclass
class _Run:
    words: list[str]
    sentence_start: bool
    ordered: str | None = None  # "L" / "R" when inside a "From left:" list
    position: Position | None = None
    possessive: bool = False
    affiliation: bool = False  # followed by a role ("Goldman Sachs CEO ...") or a place word ("St. Peter's Square")
    after_of: bool = False  # "Museum of Modern Art": the run after "of"


def _cap(word: str) -> bool:
    if not word[:1].isupper():
        return False
    letters = [c for c in word if c.isalpha()]
    return not (len(letters) >= 3 and all(c.isupper() for c in letters))  # "REUTERS", "FILE" are not names


def _low(word: str) -> str:
    return word.rstrip(".").lower()


def _ends_sentence(word: str) -> bool:
    """A word with a full stop that is not an abbreviation ("Sen.", "Jan.", "J.", "Jr.")."""
    if not word.endswith("."):
        return False
    low = _low(word)
    return not (
        len(low) <= 1 or low in lexicon.titles() or low in lexicon.calendar_words() or low in lexicon.suffixes()
    )


def _particles_then_name(tokens: list[tuple[str, str]], i: int) -> bool:
    """Whether the particles from token ``i`` on lead to a capitalised word ("de la Cruz")."""
    j = i
    while j < len(tokens) and tokens[j][0] == "word" and _low(tokens[j][1]) in lexicon.particles():
        j += 1
    return j < len(tokens) and tokens[j][0] == "word" and _cap(tokens[j][1]) and j > i


def _runs(text: str, caps: bool = False) -> list[_Run]:
    tokens = [(m.lastgroup, m.group(0)) for m in _TOKEN.finditer(text)]
    runs: list[_Run] = []
    current: list[str] = []
    sentence_start = True
    run_start = True
    order: str | None = None
    start = 0

    def close(i: int, possessive: bool = False) -> None:
        nonlocal current
        if current:
            nxt = tokens[i][1] if i < len(tokens) and tokens[i][0] in ("word", "abbr") else ""
            low = _low(nxt)
            then = tokens[i + 1] if i + 1 < len(tokens) else (None, "")
            role = low in lexicon.titles() and low not in lexicon.function_words() and (len(low) > 3 or nxt.isupper())
            # "Goldman Sachs CEO Tim Cook", "Real Madrid's Cristiano Ronaldo", "St. Peter's Square"
            affiliation = (role and then[0] == "word" and _cap(then[1])) or (possessive and _cap(nxt) and not caps)
            after = [t for k, t in tokens[max(0, start - 2) : start] if k == "word"]
            after_of = bool(after) and (after[-1].lower() == "of" or after[-2:] == ["of", "the"])
            runs.append(
                _Run(current, run_start, order, possessive=possessive, affiliation=affiliation, after_of=after_of)
            )
        current = []

    for i, (kind, tok) in enumerate(tokens):
        if kind == "mark":
            close(i)
            code = tok[1:-1]
            if code in ("OL", "OR"):
                order = code[1]
            elif runs and runs[-1].position is None:
                side = {"L": "left", "R": "right", "C": "centre"}[code[0]]
                runs[-1].position = Position(side, int(code[1:]))
            continue
        if kind == "word" or kind == "abbr":
            low = _low(tok)
            particle = low in lexicon.particles() and tok[:1].islower() and _particles_then_name(tokens, i)
            prefixed = (
                "-" in tok and tok.split("-", 1)[0].lower() + "-" in lexicon.particles() and _cap(tok.split("-", 1)[1])
            )
            suffix = bool(current) and low in lexicon.suffixes()
            if kind == "abbr" or _cap(tok) or particle or prefixed or suffix:
                if not current:
                    run_start, start = sentence_start, i
                if re.search(r"'s$|s'$", tok):
                    current.append(tok[:-2] if tok.endswith("'s") else tok[:-1])
                    close(i + 1, possessive=True)
                else:
                    current.append(tok)
                sentence_start = False
                if kind == "word" and _ends_sentence(tok):
                    close(len(tokens))
                    sentence_start, order = True, None
                continue
            close(i)
            sentence_start = False
            if _ends_sentence(tok):
                sentence_start, order = True, None
            continue
        close(i)
        if kind == "punct" and tok in ".!?|":
            sentence_start, order = True, None
        elif kind == "punct" and tok in ";:" and order is None:
            sentence_start = True
    close(len(tokens))
    return runs


# ---------------------------------------------------------------- runs → names


def _skippable_start(low: str) -> bool:
    return (
        low in lexicon.function_words()
        or low in lexicon.calendar_words()
        or low in lexicon.CAPTION_WORDS
        or low in lexicon.AGENCIES
    )


def _clean_word(word: str) -> str:
    return word if re.fullmatch(r"(?:[^\W\d_]\.)+", word) else word.rstrip(".")


def _candidate(run: _Run, caps: bool) -> tuple[str, bool] | None:
    """(name, led by a title) for a run, or None when the run is no person."""
    words = [_clean_word(w) for w in run.words]
    led = False
    titles = lexicon.titles()
    if run.affiliation:
        return None
    for i in range(len(words) - 2, -1, -1):  # the part after the last title word that has a name after it
        if _low(words[i]) in titles and any(_low(w) not in lexicon.suffixes() for w in words[i + 1 :]):
            words, led = words[i + 1 :], True
            break
    while words and (_skippable_start(_low(words[0])) or _low(words[0]) in titles):
        words = words[1:]
    if not words:
        return None
    lows = [_low(w) for w in words]
    if any(w in lexicon.ORG_WORDS or w in lexicon.GROUP_WORDS or w in lexicon.AGENCIES for w in lows):
        return None
    if lexicon.is_place(words) or all("." in w or len(w) <= 1 for w in words):
        return None
    if any(lexicon.is_place(words[:k]) for k in range(2, len(words))):
        return None  # "New York Jets", "Los Angeles Lakers": a team or a body named after a place
    if caps:  # no case to tell verbs from names: a run ends at an "-ed" / "-ly" word ("Later Joined")
        cut = next((k for k, w in enumerate(words) if k and len(w) >= 5 and _low(w).endswith(("ed", "ly"))), None)
        words = words[:cut] if cut is not None else words
        if not words:
            return None
        core = [w for w in words if _low(w) not in lexicon.particles() and _low(w) not in lexicon.suffixes()]
        if len(core) > 2:
            keep, seen = [], 0
            for w in words:
                if _low(w) not in lexicon.particles() and _low(w) not in lexicon.suffixes():
                    seen += 1
                    if seen > 2:
                        break
                keep.append(w)
            words = keep
    if len(words) == 1 and lexicon.is_place(words):
        return None
    return " ".join(words), led


def _rule_based(caption: str) -> list[CaptionName]:
    text, caps = prepare(caption)
    cands: list[tuple[str, bool, _Run]] = []  # (name, strong, run) in order of mention
    previous_org = False
    for run in _runs(text, caps):
        cand = None if run.after_of and previous_org else _candidate(run, caps)
        previous_org = any(_low(w) in lexicon.ORG_WORDS for w in run.words)
        if cand is not None:
            name, led = cand
            cands.append((name, " " in name or led, run))
    full_names = [n for n, strong, _ in cands if strong and " " in n]
    out: list[CaptionName] = []
    order_rank = {"L": 0, "R": 0}
    for name, strong, run in cands:
        if not strong:
            full = _full_name_for(name, full_names)
            if full is None:
                continue  # a lone capitalised word: no person without a title or a full name
            name = full
        elif " " not in name:
            name = _full_name_for(name, full_names) or name  # "President Obama" after "Barack Obama"
        position = run.position
        if run.ordered and position is None:
            position = Position("left" if run.ordered == "L" else "right", order_rank[run.ordered])
            order_rank[run.ordered] += 1
        existing = next((k for k, o in enumerate(out) if o.name == name), None)
        if existing is not None:
            if out[existing].position is None and position is not None:
                out[existing] = CaptionName(name, position)
            continue
        out.append(CaptionName(name, position))
    return out


def _full_name_for(word: str, names: list[str]) -> str | None:
    """The full name whose surname or given name ``word`` is ("Obama" → "Barack Obama")."""
    for n in names:
        parts = n.split()
        if len(parts) > 1 and (parts[-1] == word or parts[0] == word):
            return n
    return None


# ---------------------------------------------------------------- public API


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


def parse_caption(caption: str, known: list[str] | None = None, use_ner: bool = True) -> list[CaptionName]:
    """People a caption names, in order of mention, with the positions it gives them."""
    found = _rule_based(caption)
    nlp = _spacy() if use_ner else None
    if nlp is not None:
        text, caps = prepare(caption)
        ents = []
        for e in nlp(text.replace("⟦", " ").replace("⟧", " ")).ents:
            if e.label_ == "PERSON":
                cand = _candidate(_Run(e.text.split(), False), caps)
                if cand and (" " in cand[0] or cand[1]):
                    ents.append(cand[0])
        positions = {c.name: c.position for c in found}
        found = [CaptionName(n, positions.get(n)) for n in dict.fromkeys(ents)]
    return _merge_known(caption, found, known)


def extract_names(caption: str, known: list[str] | None = None, use_ner: bool = True) -> list[str]:
    """Distinct person names in ``caption``, in order of mention."""
    return [c.name for c in parse_caption(caption, known, use_ner)]


def _merge_known(caption: str, found: list[CaptionName], known: list[str] | None) -> list[CaptionName]:
    """Known names present in the caption, whole-word (also by surname alone), come first."""
    if not known:
        return found
    hits: list[CaptionName] = []
    for name in known:
        parts = [re.escape(name)] + ([re.escape(name.split()[-1])] if " " in name else [])
        if any(re.search(rf"(?<![\w]){p}(?![\w])", caption) for p in parts):
            pos = next((f.position for f in found if f.name == name or name.endswith(" " + f.name)), None)
            hits.append(CaptionName(name, pos))
    rest = [
        f
        for f in found
        if not any(
            f.name == k.name or k.name.endswith(" " + f.name) or f.name.endswith(" " + k.name.split()[-1]) for k in hits
        )
    ]
    return hits + rest
