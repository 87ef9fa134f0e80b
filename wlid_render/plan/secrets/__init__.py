"""Credentials in the spec: every string of it is checked, since the spec and all it renders go to Git.

Two rules (docs/secrets.md):

- a value that looks like a credential is refused wherever it is: a PEM block or a bare PEM body
  (also split over the items of a list), a JWT, storage keys and connection strings with a key or
  password, SAS signatures, URLs with a password, Entra client secrets, GitHub, GitLab, Slack, AWS
  and npm tokens, Authorization header values, and long random-looking keys. Values are also read
  through percent-encoding and base64, so that an encoded credential is found too; base64 of
  ordinary text is not a credential, nor are hexadecimal digests, GUIDs and commit IDs.
- a name that says it holds a credential (`DB_PASSWORD`, `clientSecret`, `GITHUB_TOKEN`, `API_KEY`:
  the last word of an env, vars, labels, annotations or tags key) with a literal value is refused:
  the value belongs in a Secret (an env value `{secretKeyRef: ...}`) or in Key Vault.

A false positive is let through, value by value, with the YAML tag `!wlid/not-a-secret` (the loader
records the paths of tagged values). Pure: this package reads the loaded values only.

Speed: a spec holds tens of thousands of strings, nearly all short names. `spec_is_clean`
(fast_path.py, speed code) answers for the whole spec at once, with a few regular-expression passes
over its strings, whether any rule could fire; only then is every string checked with its path
(`every_problem`, report.py). Within `credential_kind`, a shape runs only on values long enough for
it that hold its gate (text every match holds). Both shortcuts are proven by tests/test_secrets.py
to give the answers of the full checks.

The package by what it holds: shapes.py (the shapes of credentials), text.py (base64, DER, digests,
random-looking text), kinds.py (what credential a value looks like, read through encodings), names.py
(names that say they hold one), report.py (the walk over the spec: problems with their hints) and
fast_path.py (the whole-spec shortcut).
"""

from wlid_render.plan.secrets.kinds import credential_kind
from wlid_render.plan.secrets.names import names_a_secret
from wlid_render.plan.secrets.report import secret_problems

__all__ = ["credential_kind", "names_a_secret", "secret_problems"]
