"""The contract document itself: valid OpenAPI 3.1, the documented surface exact, every assumption marked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from webapp.cms.contract import CONTRACT_PATH, load_contract
from webapp.sandbox import codes

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# docs/cms-api.md §3, #1-#19, spelled exactly as the portal documents them.
DOCUMENTED = {
    ("POST", "/app/auth/login"),
    ("POST", "/app/auth/refresh"),
    ("POST", "/app/users/login"),
    ("POST", "/app/users/refresh"),
    ("POST", "/app/users/auth/otp"),
    ("PUT", "/app/users/auth/otp"),
    ("GET", "/app/users/{cmsUserId}/partners/{partnerId}/permissions"),
    ("GET", "/app/modules"),
    ("POST", "/app/permissions"),
    ("GET", "/app/partners/{clientId}/balance"),
    ("GET", "/app/partners/{partnerId}/cardholders"),
    ("POST", "/app/partners/{partnerId}/cardholders"),
    ("POST", "/app/partners/{partnerId}/cardholders/{cardholderId}"),
    ("POST", "/app/partners/{partnerId}/cardholders/upload"),
    ("POST", "/app/partners/{partnerId}/cards/upload"),
    ("GET", "/app/partners/{partnerId}/cardholders/batch/{batchId}/progress"),
    ("POST", "/app/partners/{partnerId}/process-request"),
    ("GET", "/app/partners/{clientId}/process-requests"),
    ("GET", "/app/partners/{clientId}/process-request"),
}

# ASSUMPTIONS.md §4, the assumed operations table.
ASSUMED = {
    ("GET", "/app/users/me"),
    ("GET", "/app/partners"),
    ("GET", "/app/partners/{partnerId}"),
    ("GET", "/app/partners/{partnerId}/users"),
    ("GET", "/app/partners/{partnerId}/users/{cmsUserId}"),
    ("POST", "/app/partners/{partnerId}/users"),
    ("PATCH", "/app/partners/{partnerId}/users/{cmsUserId}"),
    ("PUT", "/app/partners/{partnerId}/users/{cmsUserId}/status"),
    ("POST", "/app/users/{cmsUserId}/permissions"),
    ("POST", "/app/users/{cmsUserId}/permissions/revoke"),
    ("PATCH", "/app/partners/{partnerId}/cardholders/{cardholderId}"),
    ("POST", "/app/partners/{partnerId}/cardholders/{cardholderId}/close"),
    ("GET", "/app/partners/{partnerId}/cardholders/{cardholderId}/cards"),
    ("GET", "/app/partners/{partnerId}/cards"),
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/activate"),
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/block"),
    ("POST", "/app/partners/{partnerId}/cards/{cardId}/unblock"),
    ("GET", "/app/partners/{partnerId}/batches/{batchId}"),
    ("GET", "/app/partners/{partnerId}/batches/{batchId}/results"),
    ("GET", "/app/partners/{partnerId}/process-requests/{id}"),
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/approve"),
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/reject"),
    ("POST", "/app/partners/{partnerId}/process-requests/{id}/cancel"),
    ("GET", "/app/partners/{partnerId}/process-requests/{id}/evidence"),
}

# The only calls made before any token exists.
UNAUTHENTICATED = {"appLogin", "appRefresh"}
# The refresh token is the credential; docs/cms-api.md shows no app token on the user refresh.
APP_TOKEN_OPTIONAL = {"userRefresh"}
DATA_OPTIONAL = {"requestOtp", "verifyOtp"}

DOMAIN_SCHEMAS = (
    "Envelope",
    "ErrorItem",
    "ErrorEnvelope",
    "Page",
    "Partner",
    "Balance",
    "CmsUser",
    "Operator",
    "Module",
    "Permission",
    "UserPermissions",
    "Cardholder",
    "CardholderSummary",
    "NewCardholder",
    "Card",
    "Batch",
    "BatchRow",
    "ProgressFrame",
    "ProcessRequest",
    "TokenPair",
    "UserSession",
    "ElevatedSession",
)

CODES_BY_VALUE = {code.code: code for code in codes.ALL}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_contract()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow one chain of local `$ref`s to the node it names."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_loader_returns_a_fresh_copy_each_time() -> None:
    first = load_contract()
    first["paths"].clear()
    assert load_contract()["paths"]


class _StrictLoader(yaml.SafeLoader):
    """Refuses a key given twice in one mapping (plain `safe_load` keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            assert key not in seen, f"{key!r} given twice (line {key_node.start_mark.line + 1})"
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def test_document_has_no_duplicate_keys() -> None:
    yaml.load(CONTRACT_PATH.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)


def test_document_validates_as_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1.")
    validate(doc)


def test_servers_name_production_qa_and_sandbox(doc: dict[str, Any]) -> None:
    assert [s["url"] for s in doc["servers"]] == [
        "https://api.ali.app/cms/rest",
        "https://ali-qa.ali.app/cms/rest",
        "http://127.0.0.1:5001/cms/rest",
    ]


def test_assumptions_file_is_named_as_the_human_list(doc: dict[str, Any]) -> None:
    assert "ASSUMPTIONS.md" in doc["info"]["description"]
    assert doc["x-assumptions"]["list"] == "webapp/cms/contract/ASSUMPTIONS.md"


def test_exactly_the_nineteen_documented_operations_are_marked_documented(doc: dict[str, Any]) -> None:
    documented = {
        (method, op.get("x-documented-path", path))
        for method, path, op in operations(doc)
        if op.get("x-source") == "documented"
    }
    assert documented == DOCUMENTED


def test_every_assumed_operation_of_the_assumptions_list_is_present(doc: dict[str, Any]) -> None:
    assumed = {(method, path) for method, path, op in operations(doc) if op.get("x-source") == "assumed"}
    assert assumed == ASSUMED


def test_every_operation_says_where_it_comes_from(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        assert op.get("x-source") in {"documented", "assumed"}, (method, path)


def test_a_documented_path_differs_from_its_key_only_in_parameter_names(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        documented_path = op.get("x-documented-path")
        if documented_path is not None:
            assert documented_path != path
            assert re.sub(r"\{[^}]+\}", "{}", documented_path) == re.sub(r"\{[^}]+\}", "{}", path), method


def test_no_two_path_templates_differ_only_in_parameter_names(doc: dict[str, Any]) -> None:
    shapes = [re.sub(r"\{[^}]+\}", "{}", path) for path in doc["paths"]]
    assert len(shapes) == len(set(shapes))


def test_every_operation_has_a_camel_case_unique_operation_id(doc: dict[str, Any]) -> None:
    ids = [op.get("operationId", "") for _, _, op in operations(doc)]
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]+", op_id) for op_id in ids), ids
    assert len(ids) == len(set(ids))


def test_every_operation_has_tags_from_the_declared_domains(doc: dict[str, Any]) -> None:
    declared = {tag["name"] for tag in doc["tags"]}
    for method, path, op in operations(doc):
        assert op.get("tags"), (method, path)
        assert set(op["tags"]) <= declared, (method, path)


def test_every_operation_states_its_security_and_only_app_login_and_refresh_are_open(
    doc: dict[str, Any],
) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["appToken"]["scheme"] == "bearer"
    assert (schemes["userToken"]["in"], schemes["userToken"]["name"]) == ("header", "x-user-token")
    for method, path, op in operations(doc):
        assert "security" in op, (method, path)
        if op["operationId"] in UNAUTHENTICATED:
            assert op["security"] == []
            continue
        assert op["security"], (method, path)
        requirements = op["security"]
        if op["operationId"] in APP_TOKEN_OPTIONAL:
            assert {} in requirements
            requirements = [r for r in requirements if r]
        for requirement in requirements:
            assert "appToken" in requirement, (method, path)
            assert set(requirement) <= set(schemes)


def test_user_token_is_required_except_on_the_session_bootstrap_calls(doc: dict[str, Any]) -> None:
    app_token_only = {"userLogin", "userRefresh"}
    for _, _, op in operations(doc):
        if op["operationId"] in UNAUTHENTICATED:
            continue
        needs_user = all("userToken" in requirement for requirement in op["security"] if requirement)
        assert needs_user is (op["operationId"] not in app_token_only), op["operationId"]


def test_error_codes_exist_in_the_sandbox_catalog_with_the_same_status(doc: dict[str, Any]) -> None:
    for _, _, op in operations(doc):
        for status, listed in op["x-error-codes"].items():
            assert listed, (op["operationId"], status)
            for value in listed:
                assert value in CODES_BY_VALUE, (op["operationId"], value)
                assert CODES_BY_VALUE[value].status == int(status), (op["operationId"], value)


def test_error_codes_cover_exactly_the_declared_error_statuses(doc: dict[str, Any]) -> None:
    for _, _, op in operations(doc):
        error_statuses = {status for status in op["responses"] if int(status) >= 400}
        assert set(op["x-error-codes"]) == error_statuses, op["operationId"]


def test_every_error_response_is_the_error_envelope(doc: dict[str, Any]) -> None:
    for _, _, op in operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            content = resolve(doc, response)["content"]
            assert list(content) == ["application/json"], op["operationId"]
            assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_throttling_and_outage_answers_declare_retry_after(doc: dict[str, Any]) -> None:
    for name in ("TooManyRequests", "ServiceUnavailable"):
        header = resolve(doc, doc["components"]["responses"][name]["headers"]["Retry-After"])
        assert header["required"] is True
        assert header["schema"]["type"] == "integer"


def test_every_json_success_answer_is_the_envelope_with_a_precise_data_schema(doc: dict[str, Any]) -> None:
    for _, _, op in operations(doc):
        successes = {status: r for status, r in op["responses"].items() if int(status) < 300}
        assert len(successes) == 1, op["operationId"]
        content = resolve(doc, next(iter(successes.values())))["content"]
        if "application/json" not in content:
            continue
        parts = content["application/json"]["schema"]["allOf"]
        assert parts[0] == {"$ref": "#/components/schemas/SuccessEnvelope"}
        # The OTP answers may come without `data` (a documented profile sends just `{success, message}`).
        expected = [] if op["operationId"] in DATA_OPTIONAL else ["data"]
        assert parts[1].get("required", []) == expected, op["operationId"]
        data = parts[1]["properties"]["data"]
        assert data not in ({}, None), op["operationId"]


def test_creating_posts_take_the_idempotency_key(doc: dict[str, Any]) -> None:
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    creators = {
        "createCardholder",
        "uploadCardholders",
        "uploadCards",
        "createProcessRequest",
        "createCmsUser",
    }
    for _, _, op in operations(doc):
        takes_key = ref in op.get("parameters", [])
        assert takes_key is (op["operationId"] in creators), op["operationId"]
    key = doc["components"]["parameters"]["IdempotencyKey"]
    assert (key["in"], key["name"], key["x-source"]) == ("header", "Idempotency-Key", "assumed")


def test_multipart_forms_use_the_documented_field_names(doc: dict[str, Any]) -> None:
    expected = {
        "uploadCardholders": {"users", "otp"},
        "uploadCards": {"cards", "otp"},
        "createProcessRequest": {"requestedAmount", "observations", "otp", "evidence"},
    }
    for _, _, op in operations(doc):
        content = op.get("requestBody", {}).get("content", {})
        if "multipart/form-data" not in content:
            assert op["operationId"] not in expected
            continue
        schema = resolve(doc, content["multipart/form-data"]["schema"])
        assert set(schema["properties"]) == expected[op["operationId"]]
    assert resolve(doc, doc["components"]["schemas"]["NewProcessRequest"])["required"] == [
        "requestedAmount",
        "evidence",
    ]


def test_the_progress_stream_is_text_event_stream_with_progress_frames(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/app/partners/{partnerId}/cardholders/batch/{batchId}/progress"]["get"]
    content = op["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    assert content["text/event-stream"]["x-sse-frame"] == {"$ref": "#/components/schemas/ProgressFrame"}


def test_evidence_download_declares_its_file_types_and_content_disposition(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/app/partners/{partnerId}/process-requests/{id}/evidence"]["get"]
    ok = op["responses"]["200"]
    assert set(ok["content"]) == {"application/pdf", "image/jpeg", "image/png", "image/webp"}
    assert resolve(doc, ok["headers"]["Content-Disposition"])["required"] is True


def test_domain_schemas_are_all_present(doc: dict[str, Any]) -> None:
    assert set(DOMAIN_SCHEMAS) <= set(doc["components"]["schemas"])


def test_new_cardholder_carries_the_documented_fields_and_enums(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    new = schemas["NewCardholder"]
    assert set(new["required"]) == {
        "name",
        "lastName",
        "address",
        "countryOfBirth",
        "dateOfBirth",
        "maritalStatus",
        "gender",
        "phoneNumber",
        "email",
        "documentType",
        "documentNumber",
        "cardId",
    }
    assert new["properties"]["dateOfBirth"]["format"] == "date"
    assert schemas["MaritalStatus"]["enum"] == ["soltero", "casado", "viudo", "divorciado", "separado"]
    assert schemas["Gender"]["enum"] == ["F", "M", "OTHER"]
    assert schemas["DocumentType"]["enum"] == [
        "DPI",
        "NIT",
        "PASSPORT",
        "LEGAL_ID",
        "PERSONAL_ID",
        "RESIDENCE_ID",
    ]
    assert schemas["CardId"]["type"] == "integer"


def test_error_item_code_pattern_fits_the_catalogue_and_field_is_assumed(doc: dict[str, Any]) -> None:
    item = doc["components"]["schemas"]["ErrorItem"]
    assert item["required"] == ["code", "message"]
    assert item["properties"]["field"]["x-source"] == "assumed"
    pattern = re.compile(item["properties"]["code"]["pattern"])
    assert all(pattern.search(code.code) for code in codes.ALL)
    admitted = [f"{n:04d}" for n in range(10000) if pattern.search(f"{n:04d}")]
    assert admitted == [str(n) for n in range(7000, 8100)]


def test_app_login_documents_merchant_alone_and_the_signed_variant_as_optional(doc: dict[str, Any]) -> None:
    body = doc["components"]["schemas"]["AppLoginRequest"]
    assert body["required"] == ["merchant"]
    assert {"timestamp", "signature"} <= set(body["properties"])
    assert "signed variant" in body["description"]


@pytest.mark.parametrize(
    ("schema", "optional"),
    [
        ("TokenPair", {"expirationToken", "expirationRefreshToken"}),
        ("UserSession", {"otpRequired"}),
        ("OtpChallenge", {"expiresIn"}),
        ("ElevatedSession", {"elevatedUntil"}),
        ("ProgressFrame", {"type", "status", "total", "processed", "succeeded", "failed", "errors"}),
    ],
)
def test_fields_a_documented_profile_may_omit_are_optional(
    doc: dict[str, Any], schema: str, optional: set[str]
) -> None:
    node = doc["components"]["schemas"][schema]
    assert optional <= set(node["properties"])
    assert not optional & set(node.get("required", []))


@pytest.mark.parametrize("operation_id", ["requestOtp", "verifyOtp"])
def test_otp_answers_may_come_without_data(doc: dict[str, Any], operation_id: str) -> None:
    op = next(op for _, _, op in operations(doc) if op["operationId"] == operation_id)
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert all("data" not in part.get("required", []) for part in schema["allOf"])


def test_progress_frame_requires_only_the_batch_id(doc: dict[str, Any]) -> None:
    assert doc["components"]["schemas"]["ProgressFrame"]["required"] == ["batchId"]


def test_batch_id_is_an_opaque_non_empty_string(doc: dict[str, Any]) -> None:
    batch_id = doc["components"]["schemas"]["BatchId"]
    assert batch_id["type"] == "string"
    assert batch_id.get("minLength") == 1
    assert "pattern" not in batch_id


@pytest.mark.parametrize(
    "pointer",
    [
        "Page",
        "ProgressFrame",
        "TokenPair",
        "OtpChallenge",
        "OtpVerifyRequest",
        "ElevatedSession",
        "UserPermissions",
        "Module",
        "CardholderSummary",
        "Cardholder",
        "CardholderDetail",
        "Card",
        "Batch",
        "BatchRow",
        "ProcessRequest",
        "Partner",
        "Operator",
        "CmsUser",
        "AppLoginRequest/properties/signature",
        "AppLoginRequest/properties/timestamp",
        "UserSession/properties/otpRequired",
        "CardholderUpload/properties/otp",
        "CardUpload/properties/otp",
    ],
)
def test_assumed_shapes_of_documented_operations_are_marked(doc: dict[str, Any], pointer: str) -> None:
    node: Any = doc["components"]["schemas"]
    for part in pointer.split("/"):
        node = node[part]
    assert node["x-source"] == "assumed"


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    for node in walk(doc):
        if isinstance(node, dict) and "$ref" in node:
            assert resolve(doc, node) is not None


def test_schemas_tolerate_unknown_fields(doc: dict[str, Any]) -> None:
    for node in walk(doc["components"]["schemas"]):
        if isinstance(node, dict):
            assert node.get("additionalProperties", True) is not False
            assert node.get("unevaluatedProperties", True) is not False


CAPABILITIES = {
    "current-operator",
    "partners",
    "cms-users",
    "cms-user-changes",
    "permission-grants",
    "cardholder-changes",
    "cardholder-cards",
    "partner-cards",
    "card-actions",
    "batch-status",
    "process-request-detail",
    "process-request-decisions",
}


def test_every_assumed_operation_names_its_capability_and_no_documented_one_does(doc: dict[str, Any]) -> None:
    named = {op["operationId"]: op.get("x-capability") for _, _, op in operations(doc)}
    assumed = {op["operationId"] for _, _, op in operations(doc) if op["x-source"] == "assumed"}
    assert all(named[op_id] in CAPABILITIES for op_id in assumed), {o: named[o] for o in assumed}
    assert all(named[op_id] is None for op_id in set(named) - assumed)
    assert {named[op_id] for op_id in assumed} == CAPABILITIES


def test_a_bad_path_value_is_a_declared_404_7010(doc: dict[str, Any]) -> None:
    for _, path, op in operations(doc):
        if "{" in path:
            assert "404" in op["responses"], op["operationId"]
            assert "7010" in op["x-error-codes"]["404"], op["operationId"]


def test_every_operation_declares_the_upstream_failures(doc: dict[str, Any]) -> None:
    for _, _, op in operations(doc):
        assert op["responses"]["502"] == {"$ref": "#/components/responses/BadGateway"}
        assert op["responses"]["504"] == {"$ref": "#/components/responses/GatewayTimeout"}
        assert (op["x-error-codes"]["502"], op["x-error-codes"]["504"]) == (["8027"], ["8028"])
