"""Live updates, presence, typing, the stale-reply guard and canned answers in two chromium
sessions against real `ticketmesh web` processes (issue 16 items 2 and 3; Docs/web.md "Live updates")."""

import shutil

import pytest
from conftest import OUTPUT, PASSWORD, sync
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from test_ui import login, shot

LIVE = 5  # seconds: a live change must show well within this (the goal is 1 s; CI machines are slow)


@pytest.fixture
def browser2(request):
    """A second, independent chromium session (its own cookies): another agent at the same site."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                 "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{request.node.name}-second-final.png"))
    driver.quit()


def live(driver, seconds=LIVE):
    return WebDriverWait(driver, seconds)


def mark_page(driver):
    """Tags the loaded document: the tag survives live updates and vanishes on any reload."""
    driver.execute_script("window.__noReload = 'kept';")


def not_reloaded(driver):
    return driver.execute_script("return window.__noReload") == "kept"


def connected(driver):
    live(driver, 15).until(lambda d: d.find_element(By.ID, "live").get_attribute("data-connected") == "1")


def create_ticket(site, summary):
    return site.cli_json("ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/service",
                         "--urgency", "urgent", "--summary", summary, user="agent")


def test_two_sessions_see_each_other_live_and_a_stale_reply_asks_to_confirm(sites, browser, browser2):
    site = sites("HQ")
    url = site.start_web()
    ticket = create_ticket(site, "快递丢件，客户要求赔偿")
    login(browser, url)  # agent
    login(browser2, url, user="boss", password="boss-secret-1")  # supervisor, a second session

    # The supervisor watches the queue; a ticket registered by the CLI (another process) appears without reload.
    connected(browser2)
    mark_page(browser2)
    other = create_ticket(site, "CLI 登记的新工单")
    live(browser2).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{other['number']}']")))
    assert not_reloaded(browser2)

    # Both open the first ticket: each sees the other viewing.
    browser.get(f"{url}/tickets/{ticket['id']}")
    connected(browser)
    browser2.get(f"{url}/tickets/{ticket['id']}")
    connected(browser2)
    live(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#presence .viewer[data-user='boss']")))
    live(browser2).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#presence .viewer[data-user='agent']")))
    assert "同时在看" in browser.find_element(By.ID, "presence").text
    mark_page(browser)
    mark_page(browser2)

    # The agent starts a reply: the supervisor sees them typing.
    browser.find_element(By.ID, "reply-body").send_keys("您好，我们正在核实")
    live(browser2).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#presence .viewer.typing[data-user='agent']")))
    assert "正在输入" in browser2.find_element(By.ID, "presence").text
    shot(browser2, "live-01-ticket-presence-typing")

    # Meanwhile the supervisor replies: it appears on the agent's open page without reload.
    browser2.find_element(By.ID, "reply-body").send_keys("主管：已安排赔付")
    browser2.find_element(By.ID, "reply-submit").click()
    live(browser).until(EC.text_to_be_present_in_element((By.ID, "progress"), "主管：已安排赔付"))
    assert not_reloaded(browser)
    assert browser.find_element(By.ID, "ticket-state").text != "new"  # the facts were refreshed too
    assert browser.find_element(By.ID, "live-changed").is_displayed()
    assert browser.find_element(By.ID, "reply-body").get_attribute("value") == "您好，我们正在核实"
    shot(browser, "live-02-reply-arrived-while-typing")

    # The agent's reply was written against the older ticket: the server asks to confirm.
    browser.find_element(By.ID, "reply-submit").click()
    live(browser, 30).until(EC.presence_of_element_located((By.ID, "stale-form")))
    assert "主管：已安排赔付" in browser.find_element(By.ID, "stale-changes").text
    assert browser.find_element(By.ID, "stale-body").get_attribute("value") == "您好，我们正在核实"
    notes = site.cli_json("ticket", "show", ticket["id"], user="agent")["notes"]
    assert "主管：已安排赔付" in [n["body"] for n in notes]
    assert "您好，我们正在核实" not in [n["body"] for n in notes]  # nothing written before the confirmation
    shot(browser, "live-03-stale-reply-confirm")
    browser.find_element(By.ID, "stale-confirm").click()
    live(browser, 30).until(EC.text_to_be_present_in_element((By.ID, "progress"), "您好，我们正在核实"))
    # And the supervisor's page shows it live.
    live(browser2).until(EC.text_to_be_present_in_element((By.ID, "progress"), "您好，我们正在核实"))


def test_a_change_made_at_another_site_appears_live_after_sync(sites, browser):
    head = sites("HQ")
    ticket = create_ticket(head, "分部协同处理的工单")
    branch = sites("SH")  # starts from HQ's changes, the ticket included
    url = head.start_web()
    login(browser, url)
    browser.get(f"{url}/tickets/{ticket['id']}")
    connected(browser)
    mark_page(browser)
    branch.cli("ticket", "reply", ticket["id"], "上海分部：已上门取件", user="agent")
    sync(branch, head)  # changes export on SH, changes import on HQ (another process on HQ's file)
    live(browser).until(EC.text_to_be_present_in_element((By.ID, "progress"), "上海分部：已上门取件"))
    assert not_reloaded(browser)
    shot(browser, "live-04-after-sync")
    browser.get(url + "/queue")
    connected(browser)
    mark_page(browser)
    created = branch.cli_json("ticket", "create", "--customer", "C0001", "--channel", "walk-in", "--type",
                              "after-sales/repair", "--urgency", "important", "--summary", "上海分部：维修申请",
                              user="agent")
    sync(branch, head)
    live(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{created['number']}']")))
    assert not_reloaded(browser)


def test_canned_answer_is_inserted_and_counted(sites, browser):
    site = sites("HQ")  # its knowledge base has 物流查询
    url = site.start_web()
    ticket = create_ticket(site, "客户询问物流")
    login(browser, url)
    browser.get(f"{url}/tickets/{ticket['id']}")
    connected(browser)
    browser.find_element(By.ID, "canned-q").send_keys("物流")
    browser.find_element(By.ID, "canned-search").click()
    button = live(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#canned-results .canned-insert")))
    button.click()
    live(browser).until(lambda d: "如何查询快递物流状态" in d.find_element(By.ID, "reply-body").get_attribute("value"))
    live(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#canned-results .canned-answer.used")))
    shot(browser, "live-05-canned-answer")
    articles = site.cli_json("kb", "search", "物流", user="agent")
    assert articles[0]["hits"] == 1
    browser.find_element(By.ID, "reply-submit").click()
    live(browser, 30).until(EC.text_to_be_present_in_element((By.ID, "progress"), "如何查询快递物流状态"))
