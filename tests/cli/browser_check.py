#!/usr/bin/env python3
"""A real browser drives the service's pages (issue 14, "Done when").

    /usr/bin/python3 browser_check.py <chachong> <source dir> <scratch dir>

Headless Chromium through Selenium (Debian chromium-driver, python3-selenium):
a school logs in, finds its case of 张伟, answers it; a province filters the
findings list, opens a finding and downloads the CSV. Screenshots are kept in
<scratch>/screenshots. Expected counts come from fixtures/run/basic's
hand-worked expected_findings.txt. Prints "ok"/"FAIL" lines and
"N passed, M failed"; exits 1 on any failure.
"""
import atexit
import csv
import glob
import io
import os
import re
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import (NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CC, SRC, S = sys.argv[1], sys.argv[2], sys.argv[3]
FX = os.path.join(SRC, "fixtures", "run", "basic")
DB = os.path.join(S, "db")
SHOTS = os.path.join(S, "screenshots")
DOWN = os.path.join(S, "downloads")
os.makedirs(SHOTS, exist_ok=True)
os.makedirs(DOWN, exist_ok=True)
PASSED = FAILED = 0
server = driver = None


def check(what, cond, evidence=""):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print("ok   - " + what)
    else:
        FAILED += 1
        print("FAIL - " + what)
        if evidence:
            print("       " + str(evidence)[:600].replace("\n", "\n       "))


def finish():
    if driver is not None:
        driver.quit()
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    print("%d passed, %d failed" % (PASSED, FAILED))
    sys.exit(1 if FAILED else 0)


def cleanup():
    # also after an exception (a wait that timed out): no server is left
    if server is not None and server.poll() is None:
        server.kill()


atexit.register(cleanup)


def shot(name):
    path = os.path.join(SHOTS, name + ".png")
    driver.save_screenshot(path)
    check("screenshot %s kept" % name, os.path.getsize(path) > 1000)


# The hand-worked findings: double_grant ones, all with a record in province 37.
with open(os.path.join(FX, "expected_findings.txt"), encoding="utf-8") as f:
    lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
N_ALL = len(lines)
N_GRANT = sum(1 for l in lines if l[0] == "double_grant")

r = subprocess.run([CC, "run", "--db", DB, "--period", "2026-09", "--issued", "2026-09-25",
                    "--roster", "moe=" + os.path.join(FX, "moe.csv"),
                    "--roster", "mohrss=" + os.path.join(FX, "mohrss.csv"),
                    "--roster", "sd=" + os.path.join(FX, "provincial.csv"),
                    "--out", os.path.join(S, "out")], capture_output=True)
check("the fixture runs", r.returncode == 0, r.stderr)
for name, role, scope, pw in [("s1", "school", "4137010001", "school-one-pass"),
                              ("sd", "province", "37", "province-pass-1")]:
    r = subprocess.run([CC, "user", "add", "--db", DB, name, "--role", role, "--scope", scope],
                       input=(pw + "\n").encode(), capture_output=True)
    check("user add " + name, r.returncode == 0, r.stderr)

log = open(os.path.join(S, "serve.log"), "w+")
server = subprocess.Popen([CC, "serve", "--db", DB, "--listen", "127.0.0.1:0"], stdout=log,
                          stderr=log)
port = None
for _ in range(600):
    log.seek(0)
    m = re.search(r"port (\d+)", log.read())
    if m:
        port = int(m.group(1))
        break
    time.sleep(0.1)
check("chachong serve starts", port is not None)
if port is None:
    finish()
BASE = "http://127.0.0.1:%d" % port

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1280,1100", "--lang=zh-CN"]:
    opts.add_argument(a)
opts.add_experimental_option("prefs", {"download.default_directory": DOWN,
                                       "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
driver.set_page_load_timeout(120)
driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWN})
# A page being replaced (after a click) can hand back an element of the old
# page, stale by the time its text is read: the wait tries again.
wait = WebDriverWait(driver, 120, ignored_exceptions=[NoSuchElementException,
                                                      StaleElementReferenceException])


def h1():
    return driver.find_element(By.TAG_NAME, "h1").text


def login(user, pw):
    driver.get(BASE + "/")
    check("%s: / goes to the login page" % user, h1() == "登录", driver.current_url)
    driver.find_element(By.NAME, "user").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(pw)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "概况")
    check("%s: logged in, on the dashboard" % user, h1() == "概况")


# ---------------------------------------------------------------------------
# A school finds its case and answers it.

login("s1", "school-one-pass")
shot("01_school_dashboard")
driver.find_element(By.LINK_TEXT, "问题清单").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "问题清单")
rows = driver.find_elements(By.XPATH, "//table/tbody/tr[td]")
row = [r for r in rows if "张伟" in r.text]
check("school: its case of 张伟 is listed", len(row) == 1, [r.text for r in rows])
shot("02_school_findings")
row[0].find_element(By.TAG_NAME, "a").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "问题详情")
page = driver.page_source
check("school: the finding shows the other school's record, masked",
      "济南技师学院" in page and "他校记录，已隐去" in page and "張偉" not in page)
driver.find_element(By.CSS_SELECTOR, "input[name=action][value=cancel_own]").click()
driver.find_element(By.NAME, "note").send_keys("已于本周注销本校学籍")
shot("03_school_answer_form")
driver.find_element(By.XPATH, "//button[text()='提交反馈']").click()
wait.until(lambda d: "已于本周注销本校学籍" in d.page_source)
check("school: the answer is recorded and shown",
      "已注销本校学籍" in driver.page_source and "已于本周注销本校学籍" in driver.page_source)
shot("04_school_answered")
driver.find_element(By.XPATH, "//button[text()='退出']").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "登录")
check("school: logged out", h1() == "登录")

# ---------------------------------------------------------------------------
# A province filters, opens a finding, downloads the CSV.

login("sd", "province-pass-1")
driver.find_element(By.LINK_TEXT, "问题清单").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "问题清单")
check("province: %d findings in all" % N_ALL, ("共 %d 条" % N_ALL) in driver.page_source)
Select(driver.find_element(By.NAME, "type")).select_by_value("double_grant")
Select(driver.find_element(By.NAME, "sort")).select_by_value("amount")
Select(driver.find_element(By.NAME, "order")).select_by_value("desc")
driver.find_element(By.XPATH, "//button[text()='查询']").click()
wait.until(lambda d: "type=double_grant" in d.current_url)
rows = driver.find_elements(By.XPATH, "//table/tbody/tr[td]")
check("province: the double_grant filter leaves %d" % N_GRANT,
      ("共 %d 条" % N_GRANT) in driver.page_source and len(rows) == N_GRANT,
      [r.text for r in rows])
check("province: all of them 重复享受国家助学金", all("重复享受国家助学金" in r.text for r in rows))
# the amounts of expected_findings.txt: 1000, 1750.5 and 1000, largest first
check("province: sorted by amount, largest first: 1750.50",
      rows and "1750.50" in rows[0].text, [r.text for r in rows])
shot("05_province_filtered")
rows[0].find_element(By.TAG_NAME, "a").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "问题详情")
check("province: the finding opens, with its records and evidence",
      "涉及记录" in driver.page_source and "认定依据" in driver.page_source)
check("province: no answer form for a province", "提交反馈" not in driver.page_source)
shot("06_province_finding")
driver.find_element(By.LINK_TEXT, "下载").click()
wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "下载")
shot("07_province_downloads")
driver.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
got = []
for _ in range(600):
    got = [p for p in glob.glob(os.path.join(DOWN, "*.csv"))]
    if got and not glob.glob(os.path.join(DOWN, "*.crdownload")):
        break
    time.sleep(0.2)
check("province: the CSV is downloaded", len(got) == 1, os.listdir(DOWN))
if got:
    with open(got[0], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    check("province: the CSV holds the province's %d findings" % N_ALL,
          rows and rows[0][:2] == ["period", "finding_id"] and len(rows) - 1 == N_ALL,
          len(rows))
    check("province: the CSV's ID numbers are masked",
          not any(re.search(r"\b\d{17}[\dX]\b", c) for row in rows for c in row))
finish()
