"""The people page in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium): open the people grid, rename a person, reload, see the new name, save screenshots."""

from __future__ import annotations

import os
from pathlib import Path

from atlas_fixtures import make_album
from faceatlas.engines import scan
from faceatlas.service import ServiceSettings, create_app
from faceatlas.store import Atlas
from service_server import LiveServer


def test_rename_person_in_the_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    album = make_album(tmp_path / "album")
    db = tmp_path / "atlas.sqlite3"
    with Atlas(db) as atlas:
        scan(atlas, [album])
    shots = Path(os.environ.get("FACEATLAS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with LiveServer(create_app(ServiceSettings(db=db))) as server:
        browser.get(server.url + "/")
        cards = WebDriverWait(browser, 30).until(
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, ".person-card")
                if len(d.find_elements(By.CSS_SELECTOR, ".person-card")) >= 2
                else False
            )
        )
        assert all(c.find_element(By.CSS_SELECTOR, "img").get_attribute("naturalWidth") != "0" for c in cards)
        cards[0].click()
        name_input = WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, "name-input")))
        person_url = browser.current_url
        name_input.clear()
        name_input.send_keys("Eileen Collins")
        browser.find_element(By.CSS_SELECTOR, "#rename-form button").click()
        WebDriverWait(browser, 30).until(ec.text_to_be_present_in_element((By.ID, "toast"), "Saved"))
        browser.get(person_url)  # reload: the name comes from the store now
        value = (
            WebDriverWait(browser, 30)
            .until(ec.presence_of_element_located((By.ID, "name-input")))
            .get_attribute("value")
        )
        assert value == "Eileen Collins"
        browser.save_screenshot(str(shots / "person.png"))
        browser.get(server.url + "/")
        WebDriverWait(browser, 30).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#people-grid"), "Eileen Collins")
        )
        browser.save_screenshot(str(shots / "people.png"))
        browser.get(server.url + "/review")  # answer the first question the review page asks
        form = WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "form.label-form")))
        face_id = int(form.get_attribute("data-face-id"))
        field = form.find_element(By.CSS_SELECTOR, "input")
        field.clear()
        field.send_keys("Grace Hopper")
        form.find_element(By.CSS_SELECTOR, "button").click()
        WebDriverWait(browser, 30).until(ec.text_to_be_present_in_element((By.ID, "toast"), "Thanks"))
        browser.save_screenshot(str(shots / "review.png"))
    assert (shots / "people.png").stat().st_size > 10_000
    with Atlas(db) as atlas:
        assert "Eileen Collins" in {p.name for p in atlas.people.all()}
        answered = atlas.faces.get(face_id)
        assert atlas.people.get(answered.person_id).name == "Grace Hopper" and answered.source == "user"
