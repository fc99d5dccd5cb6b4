"""schemathesis against a running `ticketmesh web`: the implementation matches Docs/openapi.yaml.

Every check (`--checks all`: schema-valid requests accepted, schema-invalid ones refused, 405 with
`Allow` for undeclared methods, response schemas, ...) and every phase, the stateful one included,
once for each role: what a role may not do must still be answered as the document says (403).

Every role logs in before the first run: the runs fuzz POST /api/login, whose failures the server
throttles per client address (Docs/web.md, "Logins"), so a login after them may be answered 429,
as the document declares. The runs send bearer tokens, which need no CSRF token.
"""

import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from conftest import OUTPUT

ROLES = ["admin", "agent", "specialist", "supervisor", "manager", "analyst"]
EXAMPLES = os.environ.get("TICKETMESH_SCHEMATHESIS_EXAMPLES", "50")


def login(url: str, user: str, password: str) -> str:
    request = urllib.request.Request(
        url + "/api/login", data=json.dumps({"user": user, "password": password}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """One site with a user of every role, shared by the runs (each run only adds tickets and customers);
    yields its URL and a token per role."""
    import conftest

    site = conftest.Site("HQ", tmp_path_factory.mktemp("openapi"))
    site.cli("init", "--site", "HQ", user=None)
    site.cli("user", "add", "admin", "--role", "admin", user=None)
    for role in ROLES:
        if role != "admin":
            site.cli("user", "add", role, "--role", role)
        site.cli("user", "password", role, "--password", f"{role}-secret-1")
    site.cli("customer", "add", "--id", "C0001", "--name", "上海物流有限公司", "--contact", "王经理",
             "--phone", "13800131234")
    site.cli("kb", "add", "--title", "物流查询", "--body", "如何查询快递物流状态", "--category", "logistics")
    url = site.start_web()
    yield url, {role: login(url, role, f"{role}-secret-1") for role in ROLES}
    site.stop()


@pytest.mark.parametrize("role", ROLES)
def test_api_matches_openapi_document(site_url, role):
    site_url, tokens = site_url
    token = tokens[role]
    command = [
        shutil.which("schemathesis") or "schemathesis", "run", site_url + "/openapi.yaml", "--url", site_url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "all",
        # Logging out would end the run's own session.
        "--exclude-operation-id", "logout",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", EXAMPLES, "--seed", "7", "--request-timeout", "30", "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"schemathesis-{role}.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
