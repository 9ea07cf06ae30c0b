"""Headless Chromium with a fake camera, driven by Selenium through the real pages.

Each browser gets its own, fresh profile folder (so it fetches `/favicon.ico` and keeps
cookies like a new visitor); `quit()` ends the driver and then every Chromium process still
running with that profile, by process id. `Browser(phone=True)` emulates a 360×740 Android
phone; `Browser(lang="mr")` asks for Marathi first. `axe_violations` runs axe-core (the npm
package, installed by `tests/run` into `tests/node_modules`) in the page.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

# A cheap Android phone: 360×740 CSS pixels, touch, a phone's user agent.
PHONE = {
    "deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2.0, "touch": True, "mobile": True},
    "userAgent": "Mozilla/5.0 (Linux; Android 12; SM-A035F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
}

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--ignore-certificate-errors",
    "--window-size=800,900",
]


class Browser:
    def __init__(self, phone: bool = False, lang: str | None = None, args: tuple[str, ...] = ()):
        self.profile = Path(tempfile.mkdtemp(prefix="vappoint-chromium-"))
        options = Options()
        options.binary_location = CHROMIUM
        options.accept_insecure_certs = True
        for f in FLAGS:
            options.add_argument(f)
        options.add_argument(f"--user-data-dir={self.profile}")
        for a in args:  # e.g. --host-resolver-rules, for names that only the test knows
            options.add_argument(a)
        if phone:
            options.add_experimental_option("mobileEmulation", PHONE)
        if lang:
            options.add_argument(f"--lang={lang}")
            options.add_experimental_option("prefs", {"intl.accept_languages": f"{lang},en"})
        # Selenium must not look for drivers online: both paths are given.
        os.environ.setdefault("SE_OFFLINE", "true")
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.set_script_timeout(30)

    def pids(self) -> list[int]:
        """Chromium processes of this browser's profile."""
        out = []
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                cmd = (p / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if str(self.profile) in cmd:
                out.append(int(p.name))
        return out

    def quit(self):
        try:
            self.driver.quit()
        finally:
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def stats(self) -> dict:
        """framesDecoded and packets received by this page's peer connection (see call.js)."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "if (!window.vaPeer) { done(null); return; }"
            "window.vaPeer.stats().then(done, () => done(null));"
        )


def data_state(b: Browser, element_id: str) -> str | None:
    """The `data-state` of the element with that id, or None while it is not on the page: a
    click that submits a form returns before the next page has loaded, so pollers call this."""
    try:
        found = b.driver.find_elements(By.ID, element_id)
        return found[0].get_attribute("data-state") if found else None
    except StaleElementReferenceException:
        return None


def click_when_there(b: Browser, css: str, timeout: float = 20.0, message: str = "the button"):
    """Clicks the first element matching `css` once there is one. Live lists (the officer's
    waiting room) are re-drawn as they change: an element found just before a redraw is
    stale by the click, so it is found again, as a person's second look would."""
    from conftest import wait_until

    def attempt() -> bool:
        try:
            found = b.driver.find_elements(By.CSS_SELECTOR, css)
            if found:
                found[0].click()
                return True
        except StaleElementReferenceException:
            pass
        return False

    wait_until(attempt, timeout=timeout, message=message)


def login(b: Browser, base_url: str, email: str, password: str, path: str = "/officer/login"):
    """Signs in through the login form as a person would, and waits until it has landed."""
    from conftest import wait_until

    b.driver.get(base_url + path)
    b.driver.find_element(By.ID, "email").send_keys(email)
    b.driver.find_element(By.ID, "password").send_keys(password)
    b.driver.find_element(By.CSS_SELECTOR, f"form[action='{path}'] button").click()
    wait_until(lambda: not b.driver.current_url.endswith(path), timeout=20, message="the login landing")


def join(b, base: str, link: str, token: str):
    """The citizen enters the mailed token on the join page and waits to be admitted."""
    from conftest import wait_until

    b.driver.get(f"{base}/a/{link}/join")
    b.driver.find_element(By.ID, "token").send_keys(token)
    b.driver.find_element(By.CSS_SELECTOR, "form[action$='/join'] button").click()
    wait_until(lambda: b.driver.current_url.endswith(f"/a/{link}/call"), timeout=20, message="the call page")
    wait_until(lambda: data_state(b, "call") == "waiting", timeout=20, message="the citizen in the waiting room")


def admit(desk, base: str, email: str, password: str, reference: str):
    """The officer signs in, finds the waiting citizen (by booking reference) and admits them."""
    from conftest import wait_until

    login(desk, base, email, password)
    desk.driver.get(base + "/officer/calls")
    row = "tr[data-appointment][data-status='waiting']"
    wait_until(lambda: desk.driver.find_elements(By.CSS_SELECTOR, row + " button.admit"), timeout=30,
               message="the citizen on the officer's list")
    assert reference in desk.driver.find_element(By.CSS_SELECTOR, row).text
    desk.driver.find_element(By.CSS_SELECTOR, row + " button.admit").click()


def axe_violations(driver, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of the given impacts on the page as it is now."""
    if not AXE.exists():
        raise RuntimeError(f"axe-core is missing at {AXE}: run `npm install` in tests/")
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify({error: String(e)})));"
    )
    found = json.loads(result)
    if isinstance(found, dict):
        raise RuntimeError(f"axe-core failed: {found['error']}")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
        if v["impact"] in impacts
    ]
