"""A credential in an env value or a command argument is refused, with a pointer to Key Vault."""

from __future__ import annotations

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from wlid_render.errors import SpecError
from wlid_render.load import load_text
from wlid_render.plan.secrets import credential_kind
from wlid_render.render import plan_source

LAB = (ROOT / "specs" / "lab.yaml").read_text("utf-8")
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.c2lnbmF0dXJl"
SAMPLES = {
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    "jwt": JWT,
    "storage": "DefaultEndpointsProtocol=https;AccountName=st;AccountKey="
    + "a1B2" * 22
    + "==;EndpointSuffix=x",
    "sas": "https://st.blob.core.windows.net/c?sv=2022-11-02&se=2026-12-01&sr=c&sp=r&sig=" + "A" * 43 + "%3D",
    "client-secret": "abc8Q~" + "x" * 34,
    "servicebus": "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey="
    + "k" * 40,
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_credentials_are_recognised(name: str):
    assert credential_kind(SAMPLES[name]) is not None


@pytest.mark.parametrize(
    "value",
    [
        "https://kv-wlid-lab.vault.azure.net/",
        "my-secret",
        "22222222-2222-2222-2222-222222222222",
        "sleep 3600",
        "ghcr.io/azure/azure-workload-identity/msal-go:v1.5.0",
        "a" * 200,
    ],
)
def test_ordinary_values_pass(value: str):
    assert credential_kind(value) is None


def test_a_secret_in_an_env_value_is_refused_at_its_line():
    text = LAB.replace("SECRET_NAME: my-secret", f"SECRET_NAME: {JWT}")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "lab.yaml"))
    (problem,) = raised.value.problems
    assert "looks like a JSON Web Token" in problem.message and "Key Vault" in problem.hint
    assert problem.mark is not None
    assert text.splitlines()[problem.mark.line - 1].strip().startswith("SECRET_NAME:")


def test_a_secret_in_an_argument_is_refused():
    text = LAB.replace(
        'command: ["sh", "-c", "sleep 3600"]', f'command: ["sh", "-c", "curl -H {SAMPLES["client-secret"]}"]'
    )
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "lab.yaml"))
    assert "Microsoft Entra client secret" in raised.value.problems[0].message


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.sampled_from(
                [
                    "-----BEGIN ",
                    "-----begin ",
                    "eyJ",
                    "AccountKey=",
                    "accountkey=",
                    "==",
                    "sig=",
                    "SIG=",
                    "?",
                    "&",
                ]
            ),
            st.sampled_from(
                ["1Q~", "q~", "Password=", "PWD=", "SharedAccessKey=", ";", " ", "\u017fig=", "\u212a"]
            ),
            st.text(
                alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/_~.-%", min_size=20
            ),
        ),
        max_size=6,
    ).map("".join)
)
def test_the_needles_never_hide_a_match(value: str) -> None:
    """Skipping a pattern whose needles a value lacks gives the answer of running every pattern."""
    import re

    from wlid_render.plan.secrets import _CREDENTIALS

    every = next((c.kind for c in _CREDENTIALS if re.search(c.pattern, value)), None)
    assert credential_kind(value) == every


@pytest.mark.parametrize(
    "value",
    [
        "\u017fig=" + "a" * 24,  # LATIN SMALL LETTER LONG S matches `s` case-insensitively
        "Account\u212aey=" + "A" * 24,  # KELVIN SIGN matches `k`
        "PASSWORD=" + "x" * 12,
    ],
)
def test_letters_that_match_case_insensitively_are_still_found(value: str) -> None:
    assert credential_kind(value) is not None
