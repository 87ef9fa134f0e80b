"""Azure without a network: an azure-core transport that replays the ARM responses recorded in
tests/cases/azure/ (see the README there) and a credential that hands out a fixed fake token."""

from __future__ import annotations

import io
import json
import time
from urllib.parse import parse_qsl, urlsplit

import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import RequestsTransport
from conftest import ROOT
from requests.adapters import BaseAdapter
from urllib3 import HTTPResponse

CASES = ROOT / "tests" / "cases" / "azure"
SUB = "11111111-1111-1111-1111-111111111111"  # the subscription of the recordings
RG = "rg-wlid-lab"  # their resource group
TOKEN = "fake-token-never-printed"


class _Adapter(BaseAdapter):
    """A requests adapter that answers each request with the first unused recording that matches it."""

    def __init__(self, interactions: list[dict]):
        super().__init__()
        self.interactions = interactions
        self.used: list[bool] = [False] * len(interactions)
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def, override]
        self.seen.append((request.method, request.url, dict(request.headers)))
        url = urlsplit(request.url)
        assert url.scheme == "https" and url.netloc == "management.azure.com", request.url
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        for i, interaction in enumerate(self.interactions):
            want = interaction["request"]
            if (
                not self.used[i]
                and want["method"] == request.method
                and want["path"].lower() == url.path.lower()
                and want["query"] == query
            ):
                self.used[i] = True
                return self._response(request, interaction["response"])
        raise AssertionError(f"no recorded response for {request.method} {request.url}")

    @staticmethod
    def _response(request, recorded: dict) -> requests.Response:  # type: ignore[no-untyped-def]
        data = json.dumps(recorded["body"]).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **recorded["headers"]}
        raw = HTTPResponse(
            body=io.BytesIO(data),
            headers=headers,
            status=recorded["status"],
            preload_content=False,
            decode_content=False,
        )
        response = requests.Response()
        response.status_code = recorded["status"]
        response.headers = requests.structures.CaseInsensitiveDict(headers)
        response.raw = raw
        response.url = request.url
        response.request = request
        response.reason = "recorded"
        return response

    def close(self) -> None:
        pass


class Replay(RequestsTransport):
    """azure-core's requests transport over recorded responses; waits are recorded, not slept."""

    def __init__(self, interactions: list[dict]):
        client = requests.Session()
        self.adapter = _Adapter(interactions)
        client.mount("https://", self.adapter)
        client.mount("http://", self.adapter)
        super().__init__(session=client, session_owner=False)
        self.slept: list[float] = []

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        return self.adapter.seen

    def all_used(self) -> bool:
        return all(self.adapter.used)


def replay(case: str) -> Replay:
    return Replay(json.loads((CASES / f"{case}.json").read_text("utf-8"))["interactions"])


class FakeCredential:
    """A TokenCredential with a fixed token, or one that fails like DefaultAzureCredential does."""

    def __init__(self, error: Exception | None = None):
        self.error = error
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return AccessToken(TOKEN, int(time.time()) + 3600)
