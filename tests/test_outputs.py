"""Client IDs from deployment outputs: every shape `az` prints, and every bad file as a located problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wlid_render.errors import Mark, SpecError
from wlid_render.workflow.outputs import Matched, match_identities, parse_outputs_option, read_outputs

CASES = Path(__file__).parent / "cases" / "outputs"

PLATFORM_IDS = {
    "orders-api": "5a0c3e8b-1d2f-4e6a-9b7c-0d1e2f3a4b5c",
    "reporting": "7c2e5a0d-3f4b-4a8c-9d0e-2f3a4b5c6d7e",
}


def _problem(path: Path | str):
    with pytest.raises(SpecError) as caught:
        read_outputs(str(path))
    assert len(caught.value.problems) == 1, caught.value
    return caught.value.problems[0]


def test_query_outputs_shape():
    """`az deployment group show ... --query properties.outputs`"""
    assert read_outputs(str(CASES / "query-outputs.json")) == PLATFORM_IDS


def test_full_deployment_shape_lower_cases_the_client_id():
    """`az deployment group show` / `create` without --query: the outputs sit under properties.outputs."""
    assert read_outputs(str(CASES / "deployment-show.json")) == {
        "myIdentity": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    }


def test_deployment_stack_shape():
    """`az stack group show` / `create`: az flattens the stack's properties, outputs at the top level
    (the sample output of `az stack group show` on Microsoft Learn, "Create and deploy Azure deployment
    stacks in Bicep", with the outputs of a deployed wlid template)."""
    assert read_outputs(str(CASES / "stack-show.json")) == {"myIdentity": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}


def test_stack_without_outputs(tmp_path: Path):
    data = json.loads((CASES / "stack-show.json").read_text("utf-8"))
    data["outputs"] = None
    data["provisioningState"] = "failed"
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(data, indent=2))
    problem = _problem(path)
    assert problem.message == "the deployment stack has no outputs"
    assert "provisioningState is 'failed'" in problem.hint
    assert problem.path == ("outputs",) and problem.mark is not None


def test_query_of_the_identities_output_and_of_its_value(tmp_path: Path):
    """`--query properties.outputs.identities` and `--query properties.outputs.identities.value`."""
    outputs = json.loads((CASES / "query-outputs.json").read_text("utf-8"))
    output = tmp_path / "output.json"
    output.write_text(json.dumps(outputs["identities"], indent=2))
    value = tmp_path / "value.json"
    value.write_text(json.dumps(outputs["identities"]["value"], indent=2))
    assert read_outputs(str(output)) == PLATFORM_IDS
    assert read_outputs(str(value)) == PLATFORM_IDS
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"orders-api": {"clientId": "nope", "principalId": "p"}}, indent=2))
    problem = _problem(bad)
    assert problem.message == "the clientId of 'orders-api' is not a GUID: 'nope'"
    assert problem.path == ("orders-api", "clientId") and problem.mark == Mark(3, 17)


def test_an_empty_object_is_not_taken_for_identities(tmp_path: Path):
    path = tmp_path / "o.json"
    path.write_text("{}\n")
    assert _problem(path).message == "no 'identities' output"


def test_match_identities():
    ids = {"a": "1", "b": "2", "z": "3"}
    matched = match_identities(ids, "prod", ["a", "b", "c"], ["a", "c"], ["o.json"])
    assert matched == Matched({"a": "1"}, unknown=("z",), elsewhere=("b",), missing=("c",))
    with pytest.raises(SpecError) as caught:
        match_identities({"x": "1"}, "prod", ["a", "b"], ["a", "b"], ["o.json"])
    (problem,) = caught.value.problems
    assert problem.message == (
        "the outputs name no identity that the spec deploys in 'prod' (the outputs name: x; 'prod' deploys: a, b)"
    )
    assert problem.file == "o.json" and "another spec or another environment" in problem.hint
    with pytest.raises(SpecError) as caught:
        match_identities({}, "prod", ["a"], ["a"], ["o.json"])
    assert "the outputs name: none" in caught.value.problems[0].message


def test_type_in_any_case():
    assert read_outputs(str(CASES / "mixed-case-type.json")) == {"orders-api": PLATFORM_IDS["orders-api"]}


def test_output_name_in_any_case_and_no_type(tmp_path: Path):
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"Identities": {"value": {"abc": {"clientId": PLATFORM_IDS["reporting"]}}}}))
    assert read_outputs(str(path)) == {"abc": PLATFORM_IDS["reporting"]}


def test_utf8_bom_and_utf16_from_powershell(tmp_path: Path):
    text = (CASES / "query-outputs.json").read_text("utf-8")
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(text.encode("utf-16"))  # with a byte order mark, as `>` in Windows PowerShell 5
    assert read_outputs(str(bom)) == PLATFORM_IDS
    assert read_outputs(str(utf16)) == PLATFORM_IDS


def test_empty_identities_gives_an_empty_mapping(tmp_path: Path):
    path = tmp_path / "o.json"
    path.write_text('{"identities": {"type": "Object", "value": {}}}')
    assert read_outputs(str(path)) == {}


# -- errors ---------------------------------------------------------------------------------------


def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "missing.json"
    problem = _problem(path)
    assert problem.file == str(path)
    assert problem.message.startswith("cannot read the outputs file: ")
    assert "az deployment group show" in problem.hint
    assert str(path) in problem.format()


def test_a_folder_is_unreadable(tmp_path: Path):
    assert _problem(tmp_path).message.startswith("cannot read the outputs file")


def test_not_json():
    path = CASES / "not-json.json"
    problem = _problem(path)
    assert problem.message == "not JSON: Expecting property name enclosed in double quotes"
    assert problem.file == str(path)
    assert problem.mark == Mark(5, 73)
    assert "az deployment group show" in problem.hint
    assert problem.format().startswith(f"{path}:5:73: not JSON")


def test_empty_file():
    problem = _problem(CASES / "empty.json")
    assert problem.message == "the file is empty"
    assert problem.mark == Mark(1, 1)


def test_not_utf8(tmp_path: Path):
    path = tmp_path / "o.json"
    path.write_bytes(b'{\n  "identities": "\xff"\n}\n')
    problem = _problem(path)
    assert problem.message == "the file is not UTF-8 text"
    assert problem.mark == Mark(2, 18)


def test_no_identities_output():
    path = CASES / "no-identities.json"
    problem = _problem(path)
    assert problem.message == "no 'identities' output (outputs: keyVaultUri, storageAccountName)"
    assert "rendered by wlid" in problem.hint
    assert problem.file == str(path)
    assert problem.mark == Mark(1, 1)


def test_no_identities_output_in_a_full_deployment(tmp_path: Path):
    data = json.loads((CASES / "deployment-show.json").read_text("utf-8"))
    del data["properties"]["outputs"]["identities"]
    path = tmp_path / "o.json"
    path.write_text(json.dumps(data, indent=2))
    problem = _problem(path)
    assert problem.message == "no 'identities' output (outputs: oidcIssuerUrl)"
    assert problem.path == ("properties", "outputs")
    assert "rendered by wlid" in problem.hint
    line = path.read_text().splitlines().index('    "outputs": {') + 1
    assert problem.mark == Mark(line, 16)


def test_something_else_entirely(tmp_path: Path):
    path = tmp_path / "o.json"
    path.write_text("[1, 2]\n")
    problem = _problem(path)
    assert problem.message == "no 'identities' output"
    assert "rendered by wlid" in problem.hint
    assert "az deployment group show" in problem.hint


def test_failed_deployment_has_no_outputs():
    path = CASES / "failed-deployment.json"
    problem = _problem(path)
    assert problem.message == "the deployment has no outputs"
    assert "provisioningState is 'Failed'" in problem.hint
    assert problem.mark == Mark(17, 16)  # the `null` of "outputs": null


def test_client_id_not_a_guid():
    path = CASES / "bad-client-id.json"
    problem = _problem(path)
    assert problem.message.startswith("the clientId of 'reporting' is not a GUID: ")
    assert problem.path == ("identities", "value", "reporting", "clientId")
    assert problem.mark == Mark(11, 21)
    assert "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in problem.hint
    assert problem.format().startswith(f"{path}:11:21: identities.value.reporting.clientId: ")


def test_every_bad_client_id_is_reported(tmp_path: Path):
    path = tmp_path / "o.json"
    value = {"a1": {"clientId": 42}, "b2": {"principalId": PLATFORM_IDS["reporting"]}, "c3": "x"}
    path.write_text(json.dumps({"identities": {"type": "Object", "value": value}}, indent=2))
    with pytest.raises(SpecError) as caught:
        read_outputs(str(path))
    messages = [p.message for p in caught.value.problems]
    assert messages == [
        "the clientId of 'a1' is not a GUID: 42",
        "identity 'b2' has no clientId",
        "identity 'c3' has no clientId",
    ]
    assert all(p.mark is not None and p.file == str(path) for p in caught.value.problems)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ({"type": "String", "value": "x"}, "the 'identities' output has type 'String', expected 'Object'"),
        ({"type": "Object"}, "the 'identities' output has no 'value'"),
        ({"type": "Object", "value": ["a"]}, "the 'identities' output is not an object"),
        ("text", "the 'identities' output has no 'value'"),
    ],
)
def test_identities_output_of_the_wrong_shape(tmp_path: Path, output, message):
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"identities": output}, indent=2))
    problem = _problem(path)
    assert problem.message == message
    assert problem.hint
    assert problem.mark is not None and problem.mark.line > 1


def test_line_found_even_when_yaml_rejects_the_json(tmp_path: Path):
    """A tab before a token is JSON but not YAML 1.1: the line comes from a plain text search then."""
    path = tmp_path / "o.json"
    path.write_text('{\n\t"identities": {\n\t\t"value": {\n\t\t\t"x1": {"clientId": "nope"}}}}\n')
    problem = _problem(path)
    assert problem.message == "the clientId of 'x1' is not a GUID: 'nope'"
    assert problem.mark == Mark(4, 23)


# -- --outputs ENV=FILE ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dev=outputs-dev.json", ("dev", "outputs-dev.json")),
        ("default=out/a=b.json", ("default", "out/a=b.json")),
        ("prod-eu=C:\\deploy\\prod.json", ("prod-eu", "C:\\deploy\\prod.json")),
    ],
)
def test_parse_outputs_option(value: str, expected: tuple[str, str]):
    assert parse_outputs_option(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("outputs.json", "expected ENV=FILE"),
        ("dev=", "expected ENV=FILE"),
        ("=outputs.json", "expected ENV=FILE"),
        ("", "expected ENV=FILE"),
        ("Dev=o.json", "is not an environment name"),
        ("dev eu=o.json", "is not an environment name"),
        (f"{'a' * 31}=o.json", "is not an environment name"),
    ],
)
def test_parse_outputs_option_malformed(value: str, message: str):
    with pytest.raises(ValueError, match=message) as caught:
        parse_outputs_option(value)
    assert repr(value) in str(caught.value)
