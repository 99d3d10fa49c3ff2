"""One real headless browser for every page a test opens: Debian's chromium, driven by Selenium
through Debian's chromedriver (both installed by `python3 dev.py test` where it can).

Starting Chromium costs seconds; a test that launched it twice per page (once for the DOM, once
for the screenshot) spent most of its time starting browsers. Here one Chromium per test worker
opens every page at each width (set through the DevTools device metrics, so a 390 px page is a
390 px viewport), and a page is read while it is open: its DOM, a screenshot, a measurement.
Selenium is told where chromedriver is, so its driver manager never goes to the network.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
NO_BROWSER = "no chromium/chromedriver: `python3 dev.py test` installs Debian's where it can (root with apt-get)"


def executables() -> tuple[str, str] | None:
    """(browser, chromedriver), or None when either is missing."""
    browser = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


OVERFLOWING = """
const width = document.documentElement.clientWidth, out = [];
const scrolls = el => { for (let e = el.parentElement; e; e = e.parentElement) {
  const x = getComputedStyle(e).overflowX; if (x === "auto" || x === "scroll") return true; } return false; };
for (const el of document.body.querySelectorAll("*")) {
  const box = el.getBoundingClientRect();
  if (box.width > 0 && box.height > 0 && box.right > width + 1 && !scrolls(el))
    out.push(`${el.tagName.toLowerCase()}.${el.className}: ${(el.value || el.textContent || "").trim().slice(0, 40)}`);
}
return out;
"""


class Browser:
    """A headless Chromium: `open(url, width)` loads a page at that viewport width."""

    def __init__(self, browser: str, driver: str, profile: Path):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run", "--hide-scrollbars",
                     f"--user-data-dir={profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=driver))
        self.driver.set_page_load_timeout(60)

    def open(self, url: str, width: int, height: int = 1200, dom: bool = True) -> str | None:
        """Load `url` in a `width` x `height` viewport; its DOM once loaded (None without `dom`: a
        real page's serialised DOM is hundreds of kilobytes through WebDriver's JSON)."""
        from selenium.webdriver.support.wait import WebDriverWait

        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        self.driver.get(url)
        # get() can return while the page is still being parsed (seen once in a loaded suite run:
        # the DOM ended inside the <head>'s <style>, no <body> yet): read it once parsing is over.
        WebDriverWait(self.driver, 30, poll_frequency=0.02).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete")
        return self.driver.execute_script("return document.documentElement.outerHTML") if dom else None

    def screenshot(self, path: Path) -> bytes:
        """The viewport as PNG, written to `path`."""
        png = self.driver.get_screenshot_as_png()
        path.write_bytes(png)
        return png

    def run(self, script: str, *args):
        """A script's value in the open page (`return ...`)."""
        return self.driver.execute_script(script, *args)

    def overflowing(self) -> list[str]:
        """The visible elements of the open page that reach past the right edge of the screen
        (outside a box of their own that scrolls sideways), as `tag.class: text`."""
        return self.run(OVERFLOWING)

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """The worker's one browser, started on first use and closed at the end of the session."""
    found = executables()
    if found is None:
        pytest.skip(NO_BROWSER)
    browser = Browser(*found, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.close()
