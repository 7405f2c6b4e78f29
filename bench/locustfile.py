"""The deadline week, for bench/load_test.py: ISO secretaries open, save and submit their self-reports
while DOST staff browse the registry and the dashboard. Each secretary user of locust works through
the accounts tk0, tk1, … one after another (sign in, open, save twice, submit, sign out); every
submission the server accepted is written to LOAD_SUBMITTED so the runner can find it in the database."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import threading

from locust import HttpUser, between, task
from urllib3 import disable_warnings
from urllib3.exceptions import InsecureRequestWarning

disable_warnings(InsecureRequestWarning)  # the runner's self-signed certificate on loopback

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
ROUND = int(os.environ.get("LOAD_ROUND", "0"))
SECRETARIES = [tuple(line.split()) for line in open(os.environ["LOAD_SECRETARIES"], encoding="utf-8")]
PAGES = int(os.environ.get("LOAD_PAGES", "200"))
SUBMITTED = os.environ["LOAD_SUBMITTED"]
SECTIONS = os.environ.get("LOAD_SECTIONS", "").split(",")
_accounts = itertools.cycle(SECRETARIES)
_lock = threading.Lock()
_revision = re.compile(rb'name="revision" value="(\d+)"')


class Browser(HttpUser):
    abstract = True

    def on_start(self):
        self.client.verify = False  # the runner's self-signed certificate

    def _csrf(self) -> str:
        return self.client.cookies.get("__Host-csrftoken", "")

    def post(self, path, data, name):
        data = {"csrfmiddlewaretoken": self._csrf(), **data}
        return self.client.post(
            path, data=data, name=name, allow_redirects=False, headers={"Referer": self.host + path}
        )

    def sign_in(self, username: str) -> None:
        self.client.get("/accounts/login/", name="login page")
        response = self.post("/accounts/login/", {"username": username, "password": PASSWORD}, "sign in")
        if response.status_code != 302:
            response.failure(f"sign-in of {username} gave {response.status_code}")


class Secretary(Browser):
    weight = 6
    wait_time = between(0.3, 1.5)

    @task
    def one_secretary_reports(self):
        with _lock:
            username, agency = next(_accounts)
        self.client.cookies.clear()
        self.sign_in(username)
        path = f"/inspections/self-reports/{ROUND}/agencies/{agency}/"
        page = self.client.get(path, name="self-report: open")
        match = _revision.search(page.content or b"")
        if match is None:
            return  # already submitted by an earlier pass: nothing to do
        revision = int(match.group(1))
        answers = {key: f"Cơ quan đã thực hiện mục {key} theo kế hoạch năm." for key in SECTIONS}
        for draft in range(2):
            self.wait()
            partial = dict(list(answers.items())[: len(answers) // 2 + draft])
            saved = self.post(path, {"revision": revision, **partial}, "self-report: save")
            if saved.status_code != 302:
                saved.failure(f"save gave {saved.status_code}")
                return
            revision += 1
        self.wait()
        submitted = self.post(path, {"revision": revision, "submit": "1", **answers}, "self-report: submit")
        if submitted.status_code == 302:
            with _lock, open(SUBMITTED, "a", encoding="utf-8") as out:
                out.write(f"{agency}\n")
        else:
            submitted.failure(f"submit gave {submitted.status_code}")
        self.post("/accounts/logout/", {}, "sign out")


class Dost(Browser):
    weight = 2
    wait_time = between(0.5, 2.0)

    def on_start(self):
        super().on_start()
        self.sign_in("dost")

    @task(4)
    def agency_list(self):
        self.client.get(f"/agencies/?page={secrets.randbelow(PAGES) + 1}", name="agency list")

    @task(1)
    def agency_search(self):
        self.client.get(f"/agencies/?q=s%E1%BB%91+{secrets.randbelow(999) + 1}", name="agency list: search")

    @task(3)
    def dashboard(self):
        self.client.get("/qms/", name="dashboard")

    @task(1)
    def round_progress(self):
        self.client.get(f"/inspections/self-reports/{ROUND}/", name="self-report round")
