"""Headless Chromium with a fake camera, driven by Selenium through the real pages.

Each browser gets its own profile folder; `quit()` ends the driver and then every Chromium
process still running with that profile, by process id.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

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
    def __init__(self):
        self.profile = Path(tempfile.mkdtemp(prefix="vappoint-chromium-"))
        options = Options()
        options.binary_location = CHROMIUM
        options.accept_insecure_certs = True
        for f in FLAGS:
            options.add_argument(f)
        options.add_argument(f"--user-data-dir={self.profile}")
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
