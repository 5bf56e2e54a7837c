"""The caption parser on realistic news captions written for this test: titles and roles, dates,
places, organisations, photo credits, positions ("(L)", "From left:"), possessives, hyphenated and
accented names, all-capital agency style. No shared data needed."""

from __future__ import annotations

import pytest

from faceatlas.people.names import Position, extract_names, parse_caption

L0, L1, L2, R0, C0 = (
    Position("left", 0),
    Position("left", 1),
    Position("left", 2),
    Position("right", 0),
    Position("centre"),
)

CAPTIONS = [
    # titles and roles
    ("U.S. President Joe Biden speaks at the White House in Washington, Jan. 4, 2013.", ["Joe Biden"]),
    ("Singer Kathy Perrin performs during the Episode 4 launch in Los Angeles.", ["Kathy Perrin"]),
    ("Actress Emma Stone arrives at the 89th Academy Awards in Hollywood, California.", ["Emma Stone"]),
    ("Sen. Elizabeth Warren, D-Mass., questions witnesses on Capitol Hill.", ["Elizabeth Warren"]),
    (
        "German Chancellor Angela Merkel and French President Emmanuel Macron talk in Berlin.",
        ["Angela Merkel", "Emmanuel Macron"],
    ),
    ("White House Press Secretary Sean Spicer briefs reporters.", ["Sean Spicer"]),
    ("British Prime Minister Theresa May leaves 10 Downing Street.", ["Theresa May"]),
    ("Manchester United manager José Mourinho reacts during the Premier League match.", ["José Mourinho"]),
    ("Former Secretary of State Hillary Clinton greets supporters.", ["Hillary Clinton"]),
    ("Pope Francis blesses the crowd in St. Peter's Square at the Vatican.", ["Francis"]),
    ("Dr. Anthony Fauci testifies before the Senate Health Committee.", ["Anthony Fauci"]),
    ("Rep. Alexandria Ocasio-Cortez speaks to reporters on Tuesday.", ["Alexandria Ocasio-Cortez"]),
    # dates, months, places, organisations
    ("Jan. 4, 2013: Barack Obama waves as he boards Air Force One.", ["Barack Obama"]),
    ("On March 3, Angela Merkel met Vladimir Putin at the Kremlin in Moscow.", ["Angela Merkel", "Vladimir Putin"]),
    ("Tom Hanks attends a screening at the Museum of Modern Art in New York on Monday, Dec. 11, 2017.", ["Tom Hanks"]),
    ("Students of Harvard University protest outside the Supreme Court.", []),
    ("The United Nations Security Council meets in New York.", []),
    ("Police said Smith was arrested in Buenos Aires.", []),
    ("A sunset over the harbour in Sydney, Australia.", []),
    ("Goldman Sachs CEO David Solomon speaks at the World Economic Forum in Davos, Switzerland.", ["David Solomon"]),
    # photo credits
    ("Elon Musk attends the Met Gala in New York, May 2, 2022. REUTERS/Jane Doe", ["Elon Musk"]),
    ("President Donald Trump speaks in the Oval Office. (AP Photo/Evan Vucci)", ["Donald Trump"]),
    ("Serena Williams celebrates her victory. Photo: Mike Segar/Reuters", ["Serena Williams"]),
    ("Lionel Messi scores (Photo by David Ramos/Getty Images)", ["Lionel Messi"]),
    ("Justin Trudeau speaks in Ottawa. AFP PHOTO / Lars Hagberg", ["Justin Trudeau"]),
    ("BEIJING, Jan. 4, 2013 (Xinhua) -- Chinese President Xi Jinping meets guests. (Xinhua/Li Xueren)", ["Xi Jinping"]),
    ("FILE PHOTO: Taylor Swift performs in Tokyo. Photo courtesy of Jane Roe", ["Taylor Swift"]),
    ("Kamala Harris campaigns in Atlanta. Photo: John Smith", ["Kamala Harris"]),
    # positions
    ("Barack Obama (R) shakes hands with Vladimir Putin (L) in Geneva.", ["Barack Obama", "Vladimir Putin"]),
    (
        "From left: Hanna Silva, Mateo Okafor and Diego Dubois during the ceremony in London.",
        ["Hanna Silva", "Mateo Okafor", "Diego Dubois"],
    ),
    ("Dr. Jane Goodall, left, with Prince William in London.", ["Jane Goodall", "William"]),
    ("Ann Lee (C) poses with Bo Kim (2nd L) and Cy Roe (R).", ["Ann Lee", "Bo Kim", "Cy Roe"]),
    ("L-R: Priya Kaur, Omar Haddad.", ["Priya Kaur", "Omar Haddad"]),
    # possessives, references, hyphens, accents, particles
    ("Barack Obama's wife Michelle Obama waves. Obama later met Biden.", ["Barack Obama", "Michelle Obama"]),
    ("Yesterday Jean-Luc Picard met Ludwig van Beethoven.", ["Jean-Luc Picard", "Ludwig van Beethoven"]),
    ("Syrian President Bashar al-Assad meets Sheikh Mohammed bin Zayed.", ["Bashar al-Assad", "Mohammed bin Zayed"]),
    ("Zoë Kravitz and Penélope Cruz at the Cannes Film Festival.", ["Zoë Kravitz", "Penélope Cruz"]),
    ("Conan O'Brien jokes with Seán Ó Dúill backstage.", ["Conan O'Brien", "Seán Ó Dúill"]),
    ("Martin Luther King Jr. addresses the crowd.", ["Martin Luther King Jr"]),
    ("George W. Bush and Laura Bush arrive.", ["George W. Bush", "Laura Bush"]),
    ("Mrs. Smith (left) and her son", ["Smith"]),
    # teams, clubs and places that open a name
    ("New England Patriots quarterback Tom Brady throws a pass against the New York Jets.", ["Tom Brady"]),
    ("Real Madrid's Cristiano Ronaldo celebrates after scoring against FC Barcelona.", ["Cristiano Ronaldo"]),
    ("Britain's Prince Harry and Meghan Markle visit Sydney, Australia.", ["Harry", "Meghan Markle"]),
    ('Harry Styles performs on NBC\'s "Today" show at Rockefeller Plaza.', ["Harry Styles"]),
    (
        "Kim Jong Un (R) shakes hands with South Korean President Moon Jae-in at Panmunjom.",
        ["Kim Jong Un", "Moon Jae-in"],
    ),
    # all-capital agency style
    (
        "U.S. PRESIDENT BARACK OBAMA (R) AND GERMAN CHANCELLOR ANGELA MERKEL ATTEND A NEWS CONFERENCE AT THE "
        "WHITE HOUSE IN WASHINGTON, JANUARY 4, 2013. REUTERS/JASON REED",
        ["Barack Obama", "Angela Merkel"],
    ),
    ("ACTRESS JENNIFER LAWRENCE ARRIVES FOR THE PREMIERE IN LONDON. EPA/FACUNDO ARRIZABALAGA", ["Jennifer Lawrence"]),
    ("SHAQUILLE O'NEAL'S JERSEY IS RETIRED IN ORLANDO", ["Shaquille O'Neal"]),
]


@pytest.mark.parametrize(("caption", "expected"), CAPTIONS, ids=[c[:40] for c, _ in CAPTIONS])
def test_names_in_news_captions(caption, expected):
    assert extract_names(caption, use_ner=False) == expected


def test_at_least_forty_captions():
    assert len(CAPTIONS) >= 40


def test_issue_15_words_are_not_people():
    for caption in ("Jan. 4, 2013", "Episode 4: the return", "Singer Kathy Perrin on stage"):
        assert not {"Jan", "Episode", "Singer Kathy Perrin"} & set(extract_names(caption, use_ner=False))


@pytest.mark.parametrize(
    ("caption", "positions"),
    [
        ("Barack Obama (R) shakes hands with Vladimir Putin (L) in Geneva.", [R0, L0]),
        ("From left: Hanna Silva, Mateo Okafor and Diego Dubois during the ceremony.", [L0, L1, L2]),
        ("Dr. Jane Goodall, left, with Prince William in London.", [L0, None]),
        ("Ann Lee (C) poses with Bo Kim (2nd L) and Cy Roe (R).", [C0, L1, R0]),
        ("Ann Lee and Bo Kim. From left to right: Cy Roe, Di Fox.", [None, None, L0, L1]),
        ("U.S. PRESIDENT BARACK OBAMA (R) AND GERMAN CHANCELLOR ANGELA MERKEL (L) TALK.", [R0, L0]),
    ],
)
def test_positions(caption, positions):
    assert [c.position for c in parse_caption(caption, use_ner=False)] == positions


def test_expected_index():
    assert R0.expected_index(3) == 2 and L1.expected_index(3) == 1 and C0.expected_index(3) == 1
    assert Position("left", 3).expected_index(2) == 1


def test_known_names_are_found_by_surname():
    assert extract_names("Bush meets Putin", known=["Vladimir Putin"], use_ner=False) == ["Vladimir Putin"]
    found = parse_caption("Putin (L) meets Anna Smith.", known=["Vladimir Putin"], use_ner=False)
    assert [c.name for c in found] == ["Vladimir Putin", "Anna Smith"]
