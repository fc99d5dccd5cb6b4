"""Supervisor and admin pages in chromium against real `ticketmesh web` processes (issue 16 item 5):
conflict review with both sides and a choice, and the request-type tree."""

from conftest import ADMIN_PASSWORD, sync
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_ui import login, replaced, shot, wait


def test_supervisor_reviews_a_conflict_side_by_side_and_restores_the_loser(sites, browser):
    head = sites("HQ")
    ticket = head.cli_json("ticket", "create", "--customer", "C0001", "--channel", "phone", "--type", "complaint/service",
                           "--urgency", "normal", "--summary", "原始摘要", user="agent")
    branch = sites("SH")
    # Both sites change the summary offline, then exchange changes: one value wins, the other is kept for review.
    head.cli("ticket", "update", ticket["id"], "--summary", "总部：客户要求退款", user="agent")
    branch.cli("ticket", "update", ticket["id"], "--summary", "分部：客户要求换货", user="agent")
    sync(head, branch)
    sync(branch, head)
    url = head.start_web()
    login(browser, url, user="boss", password="boss-secret-1")
    browser.find_element(By.ID, "nav-admin").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "admin-conflicts-link"))).click()
    review = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.conflict-review")))
    winner = review.find_element(By.CSS_SELECTOR, ".side.winner .value").text
    loser = review.find_element(By.CSS_SELECTOR, ".side.loser .value").text
    assert {winner, loser} == {"总部：客户要求退款", "分部：客户要求换货"}
    shot(browser, "admin-01-conflict-review")
    review.find_element(By.CSS_SELECTOR, "button.keep-loser").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "conflicts-none")))
    shown = head.cli_json("ticket", "show", ticket["id"], user="agent")
    assert shown["fields"]["summary"] == loser


def test_admin_adds_a_request_type_that_new_tickets_offer(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    login(browser, url, user="admin", password=ADMIN_PASSWORD)
    browser.get(url + "/admin/types")
    wait(browser).until(EC.presence_of_element_located((By.ID, "type-form")))
    browser.find_element(By.ID, "type-path").send_keys("complaint/delivery")
    browser.find_element(By.ID, "type-label").send_keys("配送问题 Delivery")
    browser.find_element(By.ID, "type-submit").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-path='complaint/delivery']")))
    shot(browser, "admin-02-request-types")
    browser.get(url + "/tickets/new")
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#new-type option")]
    assert "complaint/delivery" in options
    # A bad path comes back with the rule, and nothing is added.
    browser.get(url + "/admin/types")
    browser.find_element(By.ID, "type-path").send_keys("a")
    browser.find_element(By.ID, "type-label").send_keys("x")
    browser.find_element(By.ID, "type-submit").click()
    assert "路径「a」无效" in wait(browser).until(EC.presence_of_element_located((By.ID, "flash"))).text
    assert site.cli_json("type", "list", user="agent")[0]["path"] == "after-sales"


def test_manager_changes_an_sla_target_and_a_business_calendar(sites, browser):
    """SLA policies and calendars (R3.1) on /admin/sla: a target changed in the form is what
    `ticketmesh sla show` reads, the calendar reads in Chinese, and a bad duration names the rule."""
    site = sites("HQ")
    url = site.start_web()
    login(browser, url, user="admin", password=ADMIN_PASSWORD)
    browser.find_element(By.ID, "nav-admin").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "admin-sla-link"))).click()
    row = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr.sla-policy.active")))
    assert row.get_attribute("data-policy") == "standard" and "使用中" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    field = wait(browser).until(EC.presence_of_element_located((By.ID, "knob-first-response-urgent")))
    field.clear()
    field.send_keys("90m")
    before = browser.find_element(By.ID, "sla-levels")
    browser.find_element(By.ID, "sla-targets-submit").click()
    # The page before the post has the same ids: wait until it is gone, then read the new one.
    wait(browser).until(replaced(before))
    wait(browser).until(EC.presence_of_element_located((By.ID, "sla-levels")))
    shown = site.cli_json("sla", "show", "standard", user="admin")
    assert shown["levels"]["urgent"]["firstResponse"] == 90
    assert "1 小时 30 分" in browser.find_element(By.CSS_SELECTOR, "tr[data-level='urgent']").text

    zone = browser.find_element(By.ID, "calendar-zone")
    zone.clear()
    zone.send_keys("Asia/Shanghai")
    hours = browser.find_element(By.ID, "calendar-hours")
    hours.clear()
    hours.send_keys("mon-fri 09:00-18:00\nsat 10:00-14:00")
    browser.find_element(By.ID, "calendar-holidays").send_keys("2027-01-01")
    box = browser.find_element(By.ID, "calendar-24x7")
    if box.is_selected():
        box.click()
    before = browser.find_element(By.ID, "sla-calendar")
    browser.find_element(By.ID, "sla-calendar-submit").click()
    wait(browser).until(replaced(before))
    calendar = wait(browser).until(EC.presence_of_element_located((By.ID, "sla-calendar"))).text
    assert "周六 10:00–14:00" in calendar and "2027-01-01" in calendar
    assert site.cli_json("sla", "show", "standard", user="admin")["calendar"]["timeZone"] == "Asia/Shanghai"
    shot(browser, "admin-03-sla-policy")
    browser.get(url + "/admin/sla")
    listed = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr.sla-policy[data-policy='standard']")))
    assert "1 小时 30 分 / 2 小时" in listed.text and "周一 09:00–18:00" in listed.text
    shot(browser, "admin-04-sla-policies")
    browser.get(url + "/admin/sla/standard")

    field = browser.find_element(By.ID, "knob-accept")
    field.clear()
    field.send_keys("soon")
    browser.find_element(By.ID, "sla-targets-submit").click()
    assert "接单时限「soon」无效" in wait(browser).until(EC.presence_of_element_located((By.ID, "flash"))).text
    assert site.cli_json("sla", "show", "standard", user="admin")["accept"] == 60
