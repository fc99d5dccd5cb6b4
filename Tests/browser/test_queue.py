"""The queue's filters, search, saved views and bulk actions, and every word of a zh-CN page in
Chinese (issue 16 items 1 and 4), in headless chromium against real `ticketmesh web` processes."""

import re

from conftest import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from test_ui import login, replaced, shot, wait

# The English raw values of every enum a page shows (TicketState, Urgency, Channel, Role, SLAClock.Kind).
STATES = ["new", "acknowledged", "in-progress", "pending-customer", "escalated", "resolved", "reopened", "closed"]
URGENCIES = ["urgent", "important", "normal"]
CHANNELS = ["phone", "chat", "email", "social", "app", "web", "walk-in"]
ROLES = ["agent", "specialist", "supervisor", "manager", "analyst", "admin"]
CLOCKS = ["first-response", "progress-update", "escalate-complex", "acceptance", "resolution", "severe-plan",
          "reopen-plan", "follow-up", "met", "on-track", "at-risk", "breached", "paused"]
RAW = set(STATES + URGENCIES + CHANNELS + ROLES + CLOCKS)


def create(site, summary, urgency="normal", channel="phone", user="agent"):
    return site.cli_json("ticket", "create", "--customer", "C0001", "--channel", channel, "--type", "complaint/service",
                         "--urgency", urgency, "--summary", summary, user=user)


def rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "tr.ticket-row")


def test_filter_and_search_find_a_ticket_by_a_two_character_chinese_word(sites, browser):
    site = sites("HQ")
    cold = create(site, "冷库温度异常", urgency="urgent")
    site.cli("ticket", "note", cold["id"], "冷链车辆已安排", user="agent")
    create(site, "Invoice title wrong", channel="email")
    create(site, "退款进度查询", urgency="important", channel="chat")
    url = site.start_web()
    login(browser, url)
    assert len(rows(browser)) == 3

    # 冷链 occurs only in a note of the first ticket: two characters, so a substring match.
    box = browser.find_element(By.ID, "filter-q")
    box.send_keys("冷链")
    old = browser.find_element(By.ID, "queue")
    browser.find_element(By.ID, "filter-submit").click()
    wait(browser).until(replaced(old))
    found = rows(browser)
    assert [row.get_attribute("data-number") for row in found] == [cold["number"]]
    assert browser.find_element(By.ID, "filter-q").get_attribute("value") == "冷链"
    shot(browser, "queue-search")

    # A filter on top: the same word and another channel finds nothing; the channel alone finds its ticket.
    Select(browser.find_element(By.ID, "filter-channel")).select_by_value("email")
    old = browser.find_element(By.ID, "queue")
    browser.find_element(By.ID, "filter-submit").click()
    wait(browser).until(replaced(old))
    assert rows(browser) == []
    browser.find_element(By.ID, "filter-q").clear()
    Select(browser.find_element(By.ID, "filter-channel")).select_by_value("chat")
    old = browser.find_element(By.ID, "queue")
    browser.find_element(By.ID, "filter-submit").click()
    wait(browser).until(replaced(old))
    assert [row.text for row in rows(browser)][0].find("退款进度查询") >= 0 and len(rows(browser)) == 1

    # Sorting by a column header, then the other way.
    browser.get(url + "/queue")
    browser.find_element(By.ID, "sort-urgency").click()
    wait(browser).until(EC.url_contains("sort=urgency"))
    states = [row.find_elements(By.TAG_NAME, "td")[4].text for row in rows(browser)]
    assert states == ["紧急", "重要", "一般"]
    browser.find_element(By.ID, "sort-urgency").click()
    wait(browser).until(EC.url_contains("sort=-urgency"))
    assert [row.find_elements(By.TAG_NAME, "td")[4].text for row in rows(browser)] == ["一般", "重要", "紧急"]
    Select(browser.find_element(By.ID, "filter-urgency")).select_by_value("urgent")
    browser.find_element(By.ID, "filter-q").send_keys("冷库")
    old = browser.find_element(By.ID, "queue")
    browser.find_element(By.ID, "filter-submit").click()
    wait(browser).until(replaced(old))
    shot(browser, "queue-filters")


def test_saved_view_is_created_and_reopened(sites, browser):
    site = sites("HQ")
    urgent = create(site, "冷库温度异常", urgency="urgent")
    create(site, "Invoice title wrong")
    url = site.start_web()
    login(browser, url)
    browser.get(url + "/queue?urgency=urgent")
    assert len(rows(browser)) == 1
    browser.find_element(By.ID, "view-name").send_keys("紧急工单")
    old = browser.find_element(By.ID, "queue")
    browser.find_element(By.ID, "save-view").click()
    wait(browser).until(replaced(old))
    link = browser.find_element(By.CSS_SELECTOR, "a.view-link")
    assert link.text == "紧急工单"

    # From the unfiltered queue, the view's link brings the filter back.
    browser.get(url + "/queue")
    assert len(rows(browser)) == 2
    browser.find_element(By.CSS_SELECTOR, "a.view-link").click()
    wait(browser).until(EC.url_contains("urgency=urgent"))
    assert [row.get_attribute("data-number") for row in rows(browser)] == [urgent["number"]]
    shot(browser, "queue-saved-view")

    # The view is its owner's: another user's queue does not list it.
    browser.find_element(By.ID, "logout").click()
    login(browser, url, user="boss", password="boss-secret-1")
    assert browser.find_elements(By.CSS_SELECTOR, "a.view-link") == []


def test_bulk_close_shows_a_result_per_ticket(sites, browser):
    site = sites("HQ")
    done = [create(site, f"已处理 {index}") for index in range(2)]
    for ticket in done:
        site.cli("ticket", "reply", ticket["id"], "正在处理", user="agent")
        site.cli("ticket", "resolve", ticket["id"], "--result", "已解决", user="agent")
    open_ticket = create(site, "仍在处理")
    url = site.start_web()
    login(browser, url)
    browser.find_element(By.ID, "select-all").click()
    assert all(box.is_selected() for box in browser.find_elements(By.CSS_SELECTOR, "input.pick"))
    browser.find_element(By.ID, "bulk-close").click()
    browser.find_element(By.ID, "bulk-submit").click()
    table = wait(browser).until(EC.presence_of_element_located((By.ID, "bulk-results")))
    results = {row.get_attribute("data-ticket"): row for row in table.find_elements(By.CSS_SELECTOR, "tr.bulk-result")}
    assert len(results) == 3
    for ticket in done:
        assert "ok" in results[ticket["id"]].get_attribute("class")
        assert "成功" in results[ticket["id"]].text
    failed = results[open_ticket["id"]]
    assert "failed" in failed.get_attribute("class") and "失败" in failed.text
    # The reason in the page's language, the states as words.
    assert "状态不能从「新建」变为「已关闭」" in failed.find_element(By.CLASS_NAME, "reason").text
    shot(browser, "queue-bulk-results")
    for ticket in done:
        assert site.cli_json("ticket", "show", ticket["id"])["fields"]["state"] == "closed"
    assert site.cli_json("ticket", "show", open_ticket["id"])["fields"]["state"] == "new"


def test_zh_pages_show_no_english_enum_words(sites, browser):
    site = sites("HQ")
    # Written by users whose names are no role names.
    ticket = create(site, "冷库温度异常", urgency="urgent", channel="walk-in", user="boss")
    site.cli("ticket", "reply", ticket["id"], "已联系", user="boss")
    site.cli("ticket", "note", ticket["id"], "内部备注", user="boss")
    site.cli("ticket", "escalate", ticket["id"], "--tier", "2", "--reason", "需要专家", user="boss")
    other = create(site, "退款", user="boss")
    site.cli("ticket", "reply", other["id"], "正在处理", user="boss")
    site.cli("ticket", "resolve", other["id"], "--result", "已退款", user="boss")
    site.cli("ticket", "close", other["id"], user="boss")
    url = site.start_web()
    login(browser, url, user="boss", password="boss-secret-1")
    pages = ["/queue", f"/tickets/{ticket['id']}", f"/tickets/{other['id']}", "/customers", "/customers/C0001",
             "/reports", "/site", "/tickets/new", "/queue?state=closed", "/admin", "/admin/sla", "/admin/sla/standard",
             "/admin/conflicts"]
    for path in pages:
        browser.get(url + path)
        wait(browser).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
        # The rendered text without <code> (command names such as `ticketmesh web`).
        text = browser.execute_script(
            "document.querySelectorAll('code').forEach(e => e.remove()); return document.body.innerText;")
        words = set(re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", text))
        english = sorted(words & RAW)
        assert english == [], f"{path} shows {english}"
        # Option labels are read too, though `text` leaves closed selects' other options out.
        for option in browser.find_elements(By.TAG_NAME, "option"):
            label = option.get_attribute("textContent")
            assert not set(re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", label)) & RAW, f"{path} option {label}"
    browser.get(url + f"/tickets/{ticket['id']}")
    assert "超时" in browser.page_source or "小时" in browser.page_source or "分" in browser.page_source
    shot(browser, "ticket-zh-words")
