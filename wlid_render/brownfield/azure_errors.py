"""The errors of reading Azure: `BrownfieldError`, and the SDK's exceptions translated into it.

Every failure that comes from the user's situation (not logged in, no permission, not found,
throttled, no network) becomes one clear message that says what to do, never a traceback. The SDK's
exception types are imported only while translating.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

NOT_LOGGED_IN = (
    "not logged in: run `az login` (with --tenant TENANT when the subscription is in another tenant); "
    "wlid signs in with DefaultAzureCredential, which also takes AZURE_CLIENT_ID, AZURE_TENANT_ID and "
    "AZURE_FEDERATED_TOKEN_FILE (workload identity) or a managed identity"
)


class BrownfieldError(Exception):
    """A problem of the user's situation, with a message that says what to do. Never a bug of wlid."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@contextmanager
def translated(what: str, action: str, scope: str, not_found: str) -> Iterator[None]:
    """Turn the SDK's exceptions into BrownfieldError with a message that says what to do."""
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )
    from azure.identity import CredentialUnavailableError

    try:
        yield
    except CredentialUnavailableError:
        raise BrownfieldError(NOT_LOGGED_IN) from None
    except ClientAuthenticationError as exc:
        raise BrownfieldError(_authentication_message(exc)) from None
    except HttpResponseError as exc:
        raise BrownfieldError(_http_message(exc, what, action, scope, not_found)) from None
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise BrownfieldError(
            f"cannot reach Azure Resource Manager while reading {what}: {short(exc.message)} "
            "(check the network or proxy settings: HTTPS_PROXY)"
        ) from None
    except AzureError as exc:
        raise BrownfieldError(f"reading {what} failed: {short(exc.message)}") from None


def _error_code(exc: Any) -> tuple[str, str]:
    """(code, message) of an ARM error response, empty when there is none."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "message", None) or getattr(exc, "reason", None) or ""
    return str(code), str(message)


def _authentication_message(exc: Any) -> str:
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None) == 401:
        code, _ = _error_code(exc)
        tenant = " with --tenant set to the subscription's tenant" if "Tenant" in code else ""
        return f"Azure Resource Manager refused the credential (401 {code or 'Unauthorized'}): run `az login` again{tenant}"
    return (
        f"{NOT_LOGGED_IN} (the credential could not get a token: {short(getattr(exc, 'message', str(exc)))})"
    )


def _http_message(exc: Any, what: str, action: str, scope: str, not_found: str) -> str:
    status = getattr(exc, "status_code", None)
    code, message = _error_code(exc)
    if status == 403:
        named = re.search(r"perform action '([^']+)'", message)
        denied = named.group(1) if named else action
        return (
            f"permission denied (403 {code or 'Forbidden'}) reading {what}: the signed-in account needs "
            f"{denied} on {scope} (the built-in Reader role includes it)"
        )
    if status == 404:
        if code == "SubscriptionNotFound":
            return (
                "the subscription was not found, or the signed-in account cannot see it (`az account list`)"
            )
        return not_found
    if status == 429:
        return (
            f"Azure Resource Manager throttled the requests (429 {code}) reading {what} and the retries "
            "ran out; wait a minute and run again"
        )
    detail = f": {short(message)}" if message else ""
    return f"Azure answered {status} {code} reading {what}{detail}".replace("  ", " ")


def short(text: object, limit: int = 300) -> str:
    """The first line of a service message, without control characters, at most `limit` characters."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    first = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", first)
    return first if len(first) <= limit else first[: limit - 3] + "..."
