"""Web login hardening in headless chromium (issue 13, item 5): CSRF, login throttling, security headers."""

import http.server
import threading
import urllib.request

import pytest
from conftest import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from test_ui import login, shot, wait


@pytest.fixture
def other_origin():
    """Serves one page from another origin (127.0.0.1, another port: the same site, so even the
    SameSite=Strict cookie goes along with its form posts; only the CSRF token can refuse them)."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path, html):
        pages[path] = html
        return f"http://127.0.0.1:{server.server_address[1]}{path}"

    yield serve
    server.shutdown()


def create_ticket(site, summary="快递延误"):
    return site.cli_json("ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/service",
                         "--urgency", "normal", "--summary", summary, user="agent")


def notes(site, ticket):
    return [note["body"] for note in site.cli_json("ticket", "show", ticket["id"])["notes"]]


def test_cross_origin_form_post_is_refused_and_changes_nothing(sites, browser, other_origin):
    site = sites("HQ")
    url = site.start_web()
    ticket = create_ticket(site)
    login(browser, url)
    attack = other_origin("/attack.html", f"""<!doctype html><html><body>
        <form method="post" action="{url}/tickets/{ticket['id']}/note" id="attack-form">
        <input name="body" value="forged by another origin"><button id="attack">go</button></form></body></html>""")
    browser.get(attack)
    browser.find_element(By.ID, "attack").click()
    message = wait(browser).until(EC.presence_of_element_located((By.ID, "error-message")))
    # In the page's language (the browser's tm_lang cookie may or may not go along with a cross-site post).
    assert ("CSRF token" in message.text and "nothing was changed" in message.text) or (
        "CSRF 令牌" in message.text and "未做任何修改" in message.text), message.text
    assert browser.current_url.startswith(url)
    shot(browser, "20-cross-origin-refused")
    assert "forged by another origin" not in notes(site, ticket)

    # The same form on the site's own page, with its token stripped, is refused too; with it, accepted.
    browser.get(f"{url}/tickets/{ticket['id']}?lang=en")
    wait(browser).until(EC.presence_of_element_located((By.ID, "note-form")))
    browser.execute_script("document.querySelector('#note-form input[name=csrf]').remove()")
    browser.find_element(By.ID, "note-body").send_keys("stripped token")
    browser.find_element(By.ID, "note-submit").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "error-message")))
    assert "stripped token" not in notes(site, ticket)
    browser.get(f"{url}/tickets/{ticket['id']}?lang=en")
    wait(browser).until(EC.presence_of_element_located((By.ID, "note-form")))
    browser.find_element(By.ID, "note-body").send_keys("genuine note")
    browser.find_element(By.ID, "note-submit").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "progress"), "genuine note"))
    assert "genuine note" in notes(site, ticket)


def test_cross_origin_login_form_is_refused(sites, browser, other_origin):
    site = sites("HQ")
    url = site.start_web()
    attack = other_origin("/login.html", f"""<!doctype html><html><body>
        <form method="post" action="{url}/login"><input name="user" value="agent">
        <input name="password" value="{PASSWORD}"><button id="attack">go</button></form></body></html>""")
    browser.get(attack)
    browser.find_element(By.ID, "attack").click()
    flash = wait(browser).until(EC.presence_of_element_located((By.ID, "flash")))
    assert "did not come from this site" in flash.text or "不是来自本站点的登录页" in flash.text, flash.text
    assert browser.get_cookie("tm_session") is None


def test_login_throttling_shows_its_message_on_the_login_page(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    for attempt in range(5):
        browser.get(url + "/login?lang=en")
        wait(browser).until(EC.presence_of_element_located((By.ID, "login-form")))
        browser.find_element(By.ID, "login-user").send_keys("agent")
        browser.find_element(By.ID, "login-password").send_keys(f"wrong-password-{attempt}")
        browser.find_element(By.ID, "login-submit").click()
        flash = wait(browser).until(EC.presence_of_element_located((By.ID, "flash")))
        assert "wrong user name or password" in flash.text or "用户名或密码错误" in flash.text, flash.text
    browser.get(url + "/login?lang=en")
    wait(browser).until(EC.presence_of_element_located((By.ID, "login-form")))
    browser.find_element(By.ID, "login-user").send_keys("agent")
    browser.find_element(By.ID, "login-password").send_keys(PASSWORD)  # right, but throttled
    browser.find_element(By.ID, "login-submit").click()
    flash = wait(browser).until(EC.presence_of_element_located((By.ID, "flash")))
    assert ("too many failed logins for user 'agent'" in flash.text and "try again in" in flash.text) or (
        "用户「agent」登录失败次数过多" in flash.text and "秒后再试" in flash.text), flash.text
    shot(browser, "21-login-throttled")
    # Another user is not throttled.
    login(browser, url, user="boss", password="boss-secret-1")


def test_security_headers_are_sent_and_pages_keep_to_the_policy(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    ticket = create_ticket(site)
    for path in ("/login", "/static/app.css", "/api/me", "/nowhere"):
        try:
            response = urllib.request.urlopen(url + path, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        headers = response.headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    # Chromium enforces the policy: pages that needed inline script or style would log violations.
    login(browser, url)
    for path in ("/queue", f"/tickets/{ticket['id']}", "/customers", "/kb?q=物流", "/site", "/tickets/new"):
        browser.get(url + path)
        wait(browser).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
    # The reports page, with its SVG charts, as a role that may read it.
    browser.delete_all_cookies()
    login(browser, url, user="boss", password="boss-secret-1")
    browser.get(url + "/reports?kind=weekly")
    wait(browser).until(EC.presence_of_element_located((By.ID, "report-charts")))
    assert browser.find_elements(By.CSS_SELECTOR, "#report-charts svg")
    violations = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert violations == []
    # The stylesheet still applies (it is served, not inline).
    header = browser.find_element(By.TAG_NAME, "header")
    assert header.value_of_css_property("display") == "flex"
