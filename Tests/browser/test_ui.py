"""The agents' web UI in headless chromium against real `ticketmesh web` processes (issue 7)."""

from conftest import OUTPUT, PASSWORD, sync
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT = 30


def wait(driver):
    return WebDriverWait(driver, TIMEOUT)


def replaced(old):
    """A wait condition: true once the element `old` has left the page because a new page replaced it.

    Chromium answers a query on a node of a document being torn down either with a stale-element
    error or with an inspector error ("Node with given id does not belong to the document"); both
    mean the old page is gone. `EC.staleness_of` knows only the first.
    """

    def gone(_driver):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise

    return gone


def shot(driver, name):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(OUTPUT / f"{name}.png"))


def login(driver, url, user="agent", password=PASSWORD):
    driver.get(url + "/login")
    wait(driver).until(EC.presence_of_element_located((By.ID, "login-form")))
    driver.find_element(By.ID, "login-user").send_keys(user)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "queue")))


def submit(driver, form_id, fields, expect_state=None):
    """Fills a ticket-page form, submits it and waits for the reloaded page (and state, if given)."""
    old = driver.find_element(By.ID, "ticket-number")
    for field_id, value in fields.items():
        element = driver.find_element(By.ID, field_id)
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)
    driver.find_element(By.ID, f"{form_id}-submit").click()
    wait(driver).until(replaced(old))
    wait(driver).until(EC.presence_of_element_located((By.ID, "ticket-number")))
    if expect_state:
        # The page shows the state as a word of its language; the stored value is in `data-state`.
        wait(driver).until(EC.text_to_be_present_in_element_attribute((By.ID, "ticket-state"), "data-state", expect_state))


def progress_text(driver):
    return driver.find_element(By.ID, "progress").text


def test_agent_handles_a_ticket_from_intake_to_rating(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    login(browser, url)
    assert "工单队列" in browser.page_source
    shot(browser, "01-queue-zh")

    browser.find_element(By.ID, "nav-new").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "new-ticket")))
    Select(browser.find_element(By.ID, "new-channel")).select_by_value("phone")
    Select(browser.find_element(By.ID, "new-type")).select_by_visible_text("complaint/service")
    Select(browser.find_element(By.ID, "new-urgency")).select_by_value("urgent")
    browser.find_element(By.ID, "new-summary").send_keys("快递三天未送达")
    browser.find_element(By.ID, "new-details").send_keys("订单 SO123，客户很着急")
    shot(browser, "02-new-ticket")
    browser.find_element(By.ID, "new-submit").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "ticket-number")))
    number = browser.find_element(By.ID, "ticket-number").text
    assert number.startswith("CS-") and "-HQ-" in number
    assert browser.find_element(By.ID, "ticket-state").get_attribute("data-state") == "new"

    submit(browser, "reply", {"reply-body": "您好，已为您联系快递公司"}, expect_state="acknowledged")
    assert "您好，已为您联系快递公司" in progress_text(browser)
    submit(browser, "note", {"note-body": "内部：快递站点爆仓"})
    assert "内部：快递站点爆仓" in progress_text(browser)
    submit(browser, "escalate", {"escalate-tier": "2", "escalate-reason": "需要物流部门处理"}, expect_state="escalated")
    shot(browser, "03-escalated")
    submit(browser, "resolve", {"resolve-result": "已安排重新发货"}, expect_state="resolved")
    assert browser.find_element(By.ID, "ticket-result").text == "已安排重新发货"
    submit(browser, "rate", {"rate-score": "5", "rate-comment": "很满意"})
    assert "5/5" in progress_text(browser)
    shot(browser, "04-rated")

    # The CLI on the same data directory sees what the browser did.
    shown = site.cli_json("ticket", "show", number)
    kinds = [note["kind"] for note in shown["notes"]]
    assert "reply" in kinds and "note" in kinds and "rating" in kinds
    assert shown["fields"]["state"] == "resolved"


def test_refused_action_shows_the_rule_and_changes_nothing(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    ticket = site.cli_json("ticket", "create", "--customer", "C0001", "--channel", "email", "--type", "consultation/product",
                           "--urgency", "normal", "--summary", "咨询产品", user="agent")
    login(browser, url)
    browser.get(f"{url}/tickets/{ticket['id']}?lang=en")
    wait(browser).until(EC.presence_of_element_located((By.ID, "rate-form")))
    submit(browser, "rate", {"rate-score": "4"})
    flash = wait(browser).until(EC.presence_of_element_located((By.ID, "flash")))
    assert "cannot rate" in flash.text
    shot(browser, "05-refused")
    assert browser.find_element(By.ID, "ticket-state").get_attribute("data-state") == "new"
    assert all(note["kind"] != "rating" for note in site.cli_json("ticket", "show", ticket["id"])["notes"])


def test_queue_order_follows_sla_due_time(sites, browser):
    site = sites("HQ")
    numbers = {}
    for urgency in ("normal", "urgent", "important"):
        created = site.cli_json("ticket", "create", "--customer", "C0001", "--channel", "chat", "--type", "complaint/service",
                                "--urgency", urgency, "--summary", f"{urgency} 工单", user="agent")
        numbers[urgency] = created["number"]
    url = site.start_web()
    login(browser, url)
    rows = wait(browser).until(EC.presence_of_all_elements_located((By.CSS_SELECTOR, "tr.ticket-row")))
    order = [row.get_attribute("data-number") for row in rows]
    assert order == [numbers["urgent"], numbers["important"], numbers["normal"]]
    dues = [int(row.get_attribute("data-due")) for row in rows]
    assert dues == sorted(dues)
    shot(browser, "06-queue-order")
    browser.get(url + "/queue?lang=en")
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Queue"))
    shot(browser, "07-queue-en")


def test_change_on_second_site_appears_after_changes_export_import(sites, browser):
    head = sites("HQ")
    branch = sites("SH")
    url = head.start_web()
    login(browser, url)
    browser.get(url + "/site")
    digest_before = wait(browser).until(EC.presence_of_element_located((By.ID, "site-digest"))).text

    created = branch.cli_json("ticket", "create", "--customer", "C0001", "--channel", "walk-in", "--type",
                              "after-sales/repair", "--urgency", "important", "--summary", "上海分部：维修申请", user="agent")
    browser.get(url + "/queue")
    wait(browser).until(EC.presence_of_element_located((By.ID, "queue")))
    assert created["number"] not in browser.page_source

    sync(branch, head)  # the USB-stick path: changes export on SH, changes import on HQ
    browser.get(url + "/queue")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-number='{created['number']}']")))
    shot(browser, "08-after-import")
    browser.find_element(By.LINK_TEXT, created["number"]).click()
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "ticket-summary"), "上海分部：维修申请"))
    browser.get(url + "/site")
    digest_after = wait(browser).until(EC.presence_of_element_located((By.ID, "site-digest"))).text
    assert digest_after != digest_before
    assert "SH" in browser.find_element(By.ID, "vector").text
    sync(head, branch)
    assert head.cli_json("status", user=None)["digest"] == branch.cli_json("status", user=None)["digest"]
    shot(browser, "09-site")


def test_customer_page_masks_phone_for_agents_and_kb_search(sites, browser):
    site = sites("HQ")
    url = site.start_web()
    login(browser, url)
    browser.get(url + "/customers/C0001")
    phone = wait(browser).until(EC.presence_of_element_located((By.ID, "customer-phone"))).text
    assert phone == "*******1234"
    browser.get(url + "/kb")
    box = wait(browser).until(EC.presence_of_element_located((By.ID, "kb-q")))
    box.send_keys("物流")
    browser.find_element(By.ID, "kb-submit").click()
    results = wait(browser).until(EC.presence_of_element_located((By.ID, "kb-results")))
    assert "物流查询" in results.text
    shot(browser, "10-kb")
