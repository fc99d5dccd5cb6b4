"""Fixtures for the browser and OpenAPI tests: real `ticketmesh` sites on loopback, headless chromium."""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
PASSWORD = "agent-secret-1"
ADMIN_PASSWORD = "admin-secret-1"


def binary() -> str:
    path = os.environ.get("TICKETMESH_BIN") or str(ROOT / ".build" / "debug" / "ticketmesh")
    if not os.path.exists(path):
        pytest.fail(f"no ticketmesh binary at {path}: run scripts/browser-test or set TICKETMESH_BIN")
    return path


class Site:
    """One site: a data directory, the CLI against it, and optionally its `ticketmesh web` process."""

    def __init__(self, code: str, root: pathlib.Path):
        self.code = code
        self.data = root / code
        self.process = None
        self.url = None
        self.log = None

    def cli(self, *args: str, user: str | None = "admin", stdin: str | None = None) -> str:
        command = [binary(), *args, "--data", str(self.data)]
        if user:
            command += ["--as", user]
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def cli_json(self, *args: str, user: str | None = "admin"):
        return json.loads(self.cli(*args, "--json", user=user))

    def start_web(self) -> str:
        """Starts `ticketmesh web --http 127.0.0.1:0` and waits for the address it prints."""
        OUTPUT.mkdir(parents=True, exist_ok=True)
        self.log = open(OUTPUT / f"web-{self.code}.log", "w")
        self.process = subprocess.Popen(
            [binary(), "web", "--data", str(self.data), "--http", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()  # blocks until the server prints its address, or exits
        if not line.startswith("listening on "):
            self.process.kill()
            raise AssertionError(f"ticketmesh web did not start: {line!r}; see {self.log.name}")
        self.url = line.split("listening on ", 1)[1].strip()
        return self.url

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log:
            self.log.close()


@pytest.fixture
def sites():
    """Makes sites on demand: the first one gets users and a customer; later ones start from its changes."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="ticketmesh-browser-"))
    made: list[Site] = []

    def make(code: str) -> Site:
        site = Site(code, root)
        if not made:
            site.cli("init", "--site", code, user=None)
            site.cli("user", "add", "admin", "--role", "admin", user=None)
            site.cli("user", "add", "agent", "--role", "agent")
            site.cli("user", "add", "boss", "--role", "supervisor")
            site.cli("user", "password", "admin", "--password", ADMIN_PASSWORD)
            site.cli("user", "password", "agent", stdin=PASSWORD + "\n")
            site.cli("user", "password", "boss", "--password", "boss-secret-1")
            site.cli("customer", "add", "--id", "C0001", "--name", "上海物流有限公司", "--contact", "王经理",
                     "--phone", "13800131234")
            site.cli("kb", "add", "--title", "物流查询", "--body", "如何查询快递物流状态", "--category", "logistics")
        else:
            site.cli("init", "--site", code, user=None)
            sync(made[0], site)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()
    shutil.rmtree(root, ignore_errors=True)


def sync(source: Site, target: Site):
    """Moves every change `target` lacks from `source`, as a file (`changes export/import`)."""
    vector = json.loads(target.cli("status", "--json", user=None))["vector"]
    vector_file = target.data.parent / f"vector-{target.code}.json"
    vector_file.write_text(json.dumps(vector))
    out = source.data.parent / f"changes-{source.code}-to-{target.code}.tmcs"
    source.cli("changes", "export", "--out", str(out), "--for-vector", str(vector_file), user=None)
    target.cli("changes", "import", str(out), user=None)


@pytest.fixture
def browser(request):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                 "--lang=zh-CN"):
        options.add_argument(flag)
    # The console log, where chromium reports Content-Security-Policy violations (test_security.py).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{request.node.name}-final.png"))
    driver.quit()
