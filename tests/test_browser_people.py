"""The people app's flows in a real headless Chromium (Debian's chromium + chromedriver, Selenium):
answer a review question and see the whole person named, "Is this X?" → Yes, open a photo from a
face, merge on a person's page and undo it from History, the merged person's old URL redirecting,
hiding a person, paging through people.
Synthetic atlas (no analysis), so the flows take seconds."""

from __future__ import annotations

from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas
from people_fixtures import make_people_atlas
from service_server import LiveServer


def _wait(browser, condition, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(condition)


def test_review_names_whole_people_then_merge_undo_hide(browser, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select

    w = make_people_atlas(tmp_path / "atlas.sqlite3", photos=tmp_path / "photos")
    a1, a2, b, c = (w["people"][k] for k in ("A1", "A2", "B", "C"))

    def person_of(face_id: int) -> int | None:
        with Atlas(w["db"]) as atlas:
            return atlas.faces.get(face_id).person_id

    def state_of(person_id: int) -> str:
        with Atlas(w["db"]) as atlas:
            return atlas.people.states()[person_id]

    with LiveServer(create_app(ServiceSettings(db=w["db"], analysis_processes=0))) as server:
        # 1. "Who is this?" on the largest group: the answer names all of it (and the look-alike)
        browser.get(server.url + "/review")
        form = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "form.label-form")))
        assert "Who is this?" in browser.find_element(By.CSS_SELECTOR, ".question-text").text
        field = form.find_element(By.CSS_SELECTOR, "input")
        field.send_keys("Ann")
        form.find_element(By.CSS_SELECTOR, "button").click()
        _wait(browser, lambda d: all(person_of(f) == a1 for f in w["faces"]["A1"] + w["faces"]["loose"]))
        with Atlas(w["db"]) as atlas:
            assert atlas.people.get(a1).name == "Ann" and atlas.people.get(a1).face_count == 7

        # 2. after the reload, A2 is asked "Is this Ann?": Yes joins it to Ann
        yes = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button.answer-yes") or False)
        card = yes[0].find_element(By.XPATH, "./ancestor::figure")
        assert "Is this Ann?" in card.text
        yes[0].click()
        _wait(browser, lambda d: all(person_of(f) == a1 for f in w["faces"]["A2"]))

        # 3. open a face's photo from the person's page: its box, named
        browser.get(f"{server.url}/people/{a1}")
        _wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "a.open-photo"))).click()
        box = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".photo-view .face-box")))
        assert "/photos/" in browser.current_url and "Ann" in box.text

        # 4. merge C into B on B's page (confirmation), then undo it from History
        browser.get(f"{server.url}/people/{b}")
        select = Select(_wait(browser, ec.presence_of_element_located((By.ID, "merge-select"))))
        assert select.first_selected_option.get_attribute("value") == ""  # no real person pre-selected
        select.select_by_value(str(c))
        browser.find_element(By.CSS_SELECTOR, "#merge-form button").click()
        _wait(browser, ec.alert_is_present()).accept()
        _wait(browser, lambda d: all(person_of(f) == b for f in w["faces"]["C"]))
        browser.get(f"{server.url}/people/{c}")  # the merged person's old URL: redirected
        _wait(browser, lambda d: d.current_url.endswith(f"/people/{b}"))
        browser.get(server.url + "/history")
        rows = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#history-table tr") or False)
        assert "merged" in rows[0].text
        rows[0].find_element(By.CSS_SELECTOR, "button.undo").click()
        _wait(browser, lambda d: all(person_of(f) == c for f in w["faces"]["C"]))
        _wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#history-table"), "undone"))

        # 5. hide B: gone from the people page
        browser.get(f"{server.url}/people/{b}")
        _wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "button.hide-person"))).click()
        _wait(browser, lambda d: state_of(b) == "hidden")
        _wait(browser, ec.text_to_be_present_in_element((By.CSS_SELECTOR, "button.hide-person"), "Show again"))
        browser.get(server.url + "/")
        grid = _wait(browser, ec.presence_of_element_located((By.ID, "people-grid")))
        assert f"/people/{b}" not in grid.get_attribute("innerHTML")
        assert f"/people/{a1}" in grid.get_attribute("innerHTML")

        # 6. paginate the people grid (one person a page here): Next shows the second page
        from faceatlas.service import web

        monkeypatch.setattr(web, "PAGE_SIZE", 1)
        browser.get(server.url + "/")
        _wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#people-pager a[rel=next]"))).click()
        _wait(browser, ec.text_to_be_present_in_element((By.ID, "people-pager"), "page 2 of 2"))
        grid = browser.find_element(By.ID, "people-grid").get_attribute("innerHTML")
        assert f"/people/{c}" in grid and f"/people/{a1}" not in grid


def test_people_page_filters_by_date_taken(browser, tmp_path, monkeypatch):
    """The people list's "taken after / before" controls: only people with a photo in the range,
    kept while paging; a bad date is one line on the page, the list unfiltered."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    from faceatlas.service import web

    w = make_people_atlas(tmp_path / "atlas.sqlite3", photos=tmp_path / "photos")
    a1, a2, b, c = (w["people"][k] for k in ("A1", "A2", "B", "C"))
    with Atlas(w["db"]) as atlas, atlas.transaction():  # A1: 2019, A2: 2020-02-29, B: May 2015, C: undated
        for key, when in (("A1", "2019-07-04T10:00:00"), ("A2", "2020-02-29T12:00:00"), ("B", "2015-05-05T09:30:00")):
            atlas.images.set_taken_at(atlas.faces.get(w["faces"][key][0]).image_id, when)

    def shown(browser) -> set[int]:
        cards = browser.find_elements(By.CSS_SELECTOR, "#people-grid a.person-card")
        return {int(card.get_attribute("data-person-id")) for card in cards}

    with LiveServer(create_app(ServiceSettings(db=w["db"], analysis_processes=0))) as server:
        browser.get(server.url + "/")
        _wait(browser, ec.presence_of_element_located((By.ID, "people-grid")))
        assert shown(browser) == {a1, a2, b, c}
        browser.find_element(By.ID, "taken-after").send_keys("2016")
        browser.find_element(By.ID, "taken-before").send_keys("2020-02")
        browser.find_element(By.ID, "dates-apply").click()
        _wait(browser, lambda d: "taken_after=2016" in d.current_url)
        assert shown(browser) == {a1, a2}
        assert browser.find_element(By.ID, "taken-before").get_attribute("value") == "2020-02"

        monkeypatch.setattr(web, "PAGE_SIZE", 1)  # one person a page: Next keeps the range
        browser.refresh()
        first = _wait(browser, lambda d: shown(d) or False)
        _wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "#people-pager a[rel=next]"))).click()
        _wait(browser, ec.text_to_be_present_in_element((By.ID, "people-pager"), "page 2 of 2"))
        assert "taken_before=2020-02" in browser.current_url and (first | shown(browser)) == {a1, a2}

        monkeypatch.setattr(web, "PAGE_SIZE", 120)
        browser.get(server.url + "/?taken_after=2019-13")
        error = _wait(browser, ec.presence_of_element_located((By.ID, "dates-error")))
        assert "is not a date" in error.text and shown(browser) == {a1, a2, b, c}
