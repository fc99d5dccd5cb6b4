"""schemathesis against a running `ticketmesh web`: the implementation matches Docs/openapi.yaml."""

import json
import shutil
import subprocess
import urllib.request

from conftest import OUTPUT, PASSWORD


def login(url: str) -> str:
    request = urllib.request.Request(
        url + "/api/login", data=json.dumps({"user": "agent", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def test_api_matches_openapi_document(sites):
    site = sites("HQ")
    url = site.start_web()
    token = login(url)
    command = [
        shutil.which("schemathesis") or "schemathesis", "run", url + "/openapi.yaml", "--url", url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,"
        "negative_data_rejection",
        "--exclude-operation-id", "logout",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "25", "--seed", "7", "--request-timeout", "30",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "schemathesis.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
