#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of openapi_check.py.

Usage: test_openapi_check.py [--openapi PATH]   (default: ../../../shared/fixtures/...)

Writes temporary record files and runs the checker as a child process (with the interpreter
running this script, and with DeprecationWarnings turned into errors), proving that it accepts
valid answers of real operations and rejects each kind of contract break. Valid bodies are the
document's own examples (components.schemas.<Name>.example of the operation's response schema),
changed only where a case says so. It also checks in-process that the conversion accepts every
example of the document, except the document quirks listed in KNOWN_EXAMPLE_QUIRKS.

Prints one PASS/FAIL line per case, then "N passed, N failed"; exits 1 when a case failed.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "openapi_check.py")
DEFAULT_OPENAPI = os.path.normpath(
    os.path.join(HERE, "..", "..", "..", "shared", "fixtures", "frameio-v4", "openapi.json"))

sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # ctest runs this from the source tree: leave no __pycache__
import openapi_check  # noqa: E402  (the module under test, next to this file)

# Examples of the document that do not validate against their own schema, as
# (schema name, JSON pointer of the error). Each is a fault of the example, not of the schema
# or of the conversion:
KNOWN_EXAMPLE_QUIRKS = {
    # The webhook examples send "active": "true", a string; the schemas say boolean (and the
    # API documentation describes a boolean), so the emulator must send true/false.
    ("Webhook", "/active"),
    ("WebhookResponse", "/data/active"),
    ("WebhookCreateResponse", "/data/active"),
    ("WebhookWithIncludes", "/active"),
    ("WebhookWithIncludesResponse", "/data/active"),
    ("WebhooksWithIncludesResponse", "/data/0/active"),
    # Schemas of the `include` query parameter: one enum value each, but the examples show the
    # serialized parameter (several values joined by commas). Never a response body.
    ("AssetInclude", ""),
    ("FileWithMediaLinksInclude", ""),
}

ACCOUNT = "57671895-79dd-451c-a842-b56f67f31d33"
FOLDER = "c00defd4-05eb-4ef1-8890-b793fa2cf5b4"
FILE = "477b4abc-b34e-41dc-81b3-61ef3e6f4a0e"
JSON_TYPE = "application/json; charset=utf-8"

# Adobe's sample answers of POST /ims/token/v3 (AdobeDocs/adobe-dev-console,
# UserAuthentication/ims.md) and an RFC 6749 5.2 error.
IMS_TOKEN_SUCCESS = {
    "access_token": "eyJhbGciOi.access", "refresh_token": "eyJhbGciOi.refresh",
    "sub": "B0DC108C5CD449CA0A494133@c62f24cc5b5b7e0e0a494004", "id_token": "eyJhbGciOi.id",
    "token_type": "bearer", "expires_in": 86399,
}
IMS_TOKEN_ERROR = {"error": "invalid_grant", "error_description": "code verifier mismatch"}


class Document:
    """The OpenAPI document, to take valid bodies from."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as file:
            self.data = json.load(file)

    def example(self, method, template, status):
        """A copy of the example of the response schema of `method template` for `status`."""
        response = self.data["paths"][template][method.lower()]["responses"][status]
        ref = response["content"]["application/json"]["schema"]["$ref"]
        return copy.deepcopy(self.data["components"]["schemas"][ref.rsplit("/", 1)[-1]]["example"])


def record(method, path, status, body="", content_type=JSON_TYPE):
    """One record as tests/emulator/http.cpp writes it; `body` is JSON-encoded unless a str."""
    return {
        "method": method, "url": "http://127.0.0.1:8123" + path, "status": status,
        "content_type": content_type,
        "body": body if isinstance(body, str) else json.dumps(body),
    }


class Runner:
    def __init__(self, openapi):
        self.openapi = openapi
        self.passed = 0
        self.failed = 0
        self.tmp = tempfile.TemporaryDirectory(prefix="openapi-check-test-")
        self.count = 0

    def write_dir(self, *files):
        """A fresh directory holding one records-<n>.jsonl file per list of records."""
        self.count += 1
        directory = os.path.join(self.tmp.name, f"case{self.count}")
        os.makedirs(directory)
        for index, records in enumerate(files):
            with open(os.path.join(directory, f"records-{index}.jsonl"), "w",
                      encoding="utf-8") as out:
                for rec in records:
                    out.write((rec if isinstance(rec, str) else json.dumps(rec)) + "\n")
        return directory

    def run_checker(self, paths, extra_args=()):
        argv = [sys.executable, "-W", "error::DeprecationWarning", CHECKER,
                "--openapi", self.openapi, *extra_args, *paths]
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        return done.returncode, done.stdout

    def report(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}")
        else:
            self.failed += 1
            print(f"FAIL {name}\n{detail}")

    def expect(self, name, files, rc, contains=(), extra_args=()):
        """Runs the checker over a directory of `files`; expects exit code `rc` and every
        string of `contains` in its output."""
        code, output = self.run_checker([self.write_dir(*files)], extra_args)
        missing = [s for s in contains if s not in output]
        self.report(name, code == rc and not missing,
                    f"  expected exit {rc}, got {code}; missing {missing}\n  output:\n{output}")

    def accepts(self, name, records, summary=None):
        self.expect(name, [records], 0, [summary] if summary else [", 0 failures"])

    def rejects(self, name, records, *contains, extra_args=()):
        self.expect(name, [records], 1, contains, extra_args)


def check_document_examples(runner, document):
    """Every component example validates against its converted schema, quirks aside, and the
    converted schemas are valid draft 7."""
    checker = openapi_check.Checker(document.data, load_ims_schema())
    try:
        openapi_check.jsonschema.Draft7Validator.check_schema(
            {"definitions": checker.converter.definitions})
        runner.report("converted schemas are valid JSON Schema draft 7", True)
    except openapi_check.jsonschema.SchemaError as error:
        runner.report("converted schemas are valid JSON Schema draft 7", False, f"  {error}")
    found = set()
    checked = 0
    for name, schema in document.data["components"]["schemas"].items():
        if "example" not in schema:
            continue
        checked += 1
        validator = checker.make_validator({"$ref": f"#/definitions/{name}"},
                                           checker.converter.definitions)
        for error in validator.iter_errors(schema["example"]):
            leaf = openapi_check.best_match([error])
            found.add((name, "".join(f"/{p}" for p in leaf.absolute_path)))
    unexpected = found - KNOWN_EXAMPLE_QUIRKS
    gone = KNOWN_EXAMPLE_QUIRKS - found
    runner.report(f"the document's {checked} schema examples validate, known quirks aside",
                  checked > 200 and not unexpected and not gone,
                  f"  examples failing unexpectedly: {sorted(unexpected)}\n"
                  f"  listed quirks that no longer fail: {sorted(gone)}")


def load_ims_schema():
    with open(os.path.join(HERE, "ims-token.schema.json"), encoding="utf-8") as file:
        return json.load(file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openapi", default=DEFAULT_OPENAPI)
    args = parser.parse_args()
    doc = Document(args.openapi)
    runner = Runner(args.openapi)

    files_tpl = "/v4/accounts/{account_id}/files/{file_id}"
    children_tpl = "/v4/accounts/{account_id}/folders/{folder_id}/children"
    upload_tpl = "/v4/accounts/{account_id}/folders/{folder_id}/files/local_upload"
    file_path = f"/v4/accounts/{ACCOUNT}/files/{FILE}"
    children_path = f"/v4/accounts/{ACCOUNT}/folders/{FOLDER}/children"

    def file_body(change=None):
        body = doc.example("GET", files_tpl, "200")
        if change:
            change(body["data"])
        return body

    check_document_examples(runner, doc)

    # --- accepted ----------------------------------------------------------------------------
    children = doc.example("GET", children_tpl, "200")
    last_page = copy.deepcopy(children)
    last_page["links"]["next"] = None  # nullable
    last_page["total_count"] = None    # nullable
    uploaded = file_body(lambda f: f.update(status="uploaded", adobe_id=None))
    valid = [
        record("GET", "/v4/me", 200, doc.example("GET", "/v4/me", "200")),
        record("GET", children_path + "?page_size=50&include=media_links.original", 200,
               children),
        record("GET", children_path + "?after=opaque", 200, last_page),
        record("GET", file_path, 200, file_body()),
        record("GET", file_path, 200, uploaded),
        record("GET", file_path + "/status", 200,
               doc.example("GET", files_tpl + "/status", "200")),
        record("POST", f"/v4/accounts/{ACCOUNT}/folders/{FOLDER}/files/local_upload", 201,
               doc.example("POST", upload_tpl, "201")),
        record("GET", file_path, 404, doc.example("GET", files_tpl, "404")),
        record("DELETE", file_path, 204, "", ""),
        # A percent-encoded "/" stays inside its segment.
        record("GET", f"/v4/accounts/{ACCOUNT}/files/a%2Fb", 404,
               doc.example("GET", files_tpl, "404")),
    ]
    ims_valid = [
        record("POST", "/ims/token/v3?client_id=abc", 200, IMS_TOKEN_SUCCESS),
        record("POST", "/ims/token/v3", 200,
               {"access_token": "t", "token_type": "bearer", "expires_in": 86399}),
        record("POST", "/ims/token/v3", 400, IMS_TOKEN_ERROR),
        record("POST", "/ims/token/v3", 401, {"error": "invalid_client"}),
        record("GET", "/ims/authorize/v2?client_id=abc&state=s", 302, "", "text/html"),
        record("GET", "/ims/authorize/v2", 400, "<html>bad client_id</html>", "text/html"),
    ]
    runner.accepts("valid V4 answers of 6 operations (me, children, file and its 404, status, "
                   "local_upload, 204 delete)", valid,
                   "openapi_check: 10 responses checked (6 operations), 0 failures")
    runner.accepts("valid IMS token answers (success, error) and authorize redirects",
                   ims_valid, "openapi_check: 6 responses checked (2 operations), 0 failures")
    runner.expect("records from several files in a directory", [valid[:3], ims_valid[:2]], 0,
                  ["5 responses checked (3 operations), 0 failures"])
    code, output = runner.run_checker([runner.write_dir(valid[:2]),
                                       runner.write_dir(valid[2:4])])
    runner.report("several directories on the command line", code == 0 and
                  "4 responses checked (3 operations), 0 failures" in output, output)

    # --- rejected: bodies ----------------------------------------------------------------------
    runner.rejects("an unknown field on a File (a checksum, which V4 does not have)",
                   [record("GET", file_path, 200, file_body(lambda f: f.update(checksum="ab")))],
                   "at /data: Additional properties are not allowed ('checksum' was unexpected)",
                   "GET /v4/accounts/{account_id}/files/{file_id} (files.show) 200",
                   '| body: "{\\"data\\"')
    runner.rejects("an unknown field inside a list item and a merged allOf object",
                   [record("GET", children_path, 200, dict(children, data=[
                       dict(children["data"][0], sha256="x")]))],
                   "at /data/0: Additional properties are not allowed ('sha256' was unexpected)")
    runner.rejects("a missing required field",
                   [record("GET", file_path, 200, file_body(lambda f: f.pop("status")))],
                   "at /data: 'status' is a required property")
    runner.rejects("a missing required nullable field (present-but-null is not absent)",
                   [record("GET", file_path, 200, file_body(lambda f: f.pop("parent_id")))],
                   "at /data: 'parent_id' is a required property")
    runner.rejects("a wrong type",
                   [record("GET", file_path, 200,
                           file_body(lambda f: f.update(file_size="1137444")))],
                   "at /data/file_size: '1137444' is not of type 'integer'")
    runner.rejects("a null where the schema is not nullable",
                   [record("GET", file_path, 200, file_body(lambda f: f.update(name=None)))],
                   "at /data/name: None is not of type 'string'")
    runner.rejects("a value outside an enum",
                   [record("GET", file_path, 200, file_body(lambda f: f.update(status="ready")))],
                   "at /data/status: 'ready' is not one of")
    runner.rejects("a malformed uuid and date-time",
                   [record("GET", file_path, 200, file_body(lambda f: f.update(
                       id="file-1", created_at="2024-02-30T10:00:00Z")))],
                   "at /data/id: 'file-1' is not a 'uuid'",
                   "at /data/created_at: '2024-02-30T10:00:00Z' is not a 'date-time'")
    runner.rejects("a list item whose discriminator selects no schema",
                   [record("GET", children_path, 200, dict(children, data=[
                       dict(children["data"][0], type="clip")]))],
                   "at /data/0/type: 'clip' is not one of ['file', 'folder', 'version_stack']")
    runner.rejects("a list without links",
                   [record("GET", children_path, 200, {"data": []})],
                   "at (body root): 'links' is a required property")
    runner.rejects("an error body in the V2 shape",
                   [record("GET", file_path, 404, {"code": 404, "message": "Not Found"})],
                   "'errors' is a required property")
    runner.rejects("a JSON answer without a JSON Content-Type",
                   [record("GET", "/v4/me", 200, doc.example("GET", "/v4/me", "200"),
                           "text/plain")],
                   "declared as application/json, but the Content-Type is text/plain")
    runner.rejects("a body that is not JSON",
                   [record("GET", "/v4/me", 200, "<html>oops</html>")],
                   "the body is not JSON")

    # --- rejected: routes and statuses -------------------------------------------------------
    runner.rejects("an undeclared V4 route (no DELETE for version stacks)",
                   [record("DELETE", f"/v4/accounts/{ACCOUNT}/version_stacks/{FILE}", 204, "")],
                   "route not declared by the OpenAPI document: DELETE /v4/accounts/")
    runner.rejects("an undeclared V4 path",
                   [record("GET", f"/v4/accounts/{ACCOUNT}/files/{FILE}/checksums", 200, "{}")],
                   f"route not declared by the OpenAPI document: GET /v4/accounts/{ACCOUNT}")
    runner.rejects("a trailing slash is another path",
                   [record("GET", "/v4/me/", 200, doc.example("GET", "/v4/me", "200"))],
                   "route not declared by the OpenAPI document: GET /v4/me/")
    runner.rejects("an undeclared IMS path and method",
                   [record("GET", "/ims/userinfo/v2", 200, "{}"),
                    record("GET", "/ims/token/v3", 405, "")],
                   "route not declared by the OpenAPI document: GET /ims/userinfo/v2",
                   "route not declared by the OpenAPI document: GET /ims/token/v3")
    runner.rejects("an undeclared status",
                   [record("GET", "/v4/me", 418, {"errors": [{"detail": "teapot"}]})],
                   "GET /v4/me (users.show) does not declare status 418")
    # 5xx are declared nowhere in the document, yet real servers (and injected faults) send
    # them: held to their shape only (JSON errors for 500, a gateway's HTML for 502-504).
    runner.accepts("server errors in their shapes",
                   [record("GET", "/v4/me", 500, {"errors": [{"detail": "boom"}]}),
                    record("GET", "/v4/me", 503, "<html>503</html>", "text/html"),
                    record("POST", "/ims/token/v3", 500, {"error": "server_error"})])
    runner.rejects("server errors in other shapes",
                   [record("GET", "/v4/me", 502, {"errors": []}),
                    record("GET", "/v4/me", 500, "<html>500</html>", "text/html")],
                   "a 502 comes from the gateway as text/html",
                   "a 500 carries a JSON error body")
    runner.rejects("a server error on an undeclared route",
                   [record("GET", "/v4/nowhere", 500, {"errors": [{"detail": "boom"}]})],
                   "route not declared by the OpenAPI document: GET /v4/nowhere")
    runner.rejects("a 204 with a body",
                   [record("DELETE", file_path, 204, "{}")],
                   "a 204 response has no body")
    runner.rejects("an IMS token answer without expires_in and with token_type Bearer",
                   [record("POST", "/ims/token/v3", 200,
                           {"access_token": "t", "token_type": "Bearer"})],
                   "'expires_in' is a required property", "'Bearer' is not one of ['bearer']")
    runner.rejects("an IMS token error without error",
                   [record("POST", "/ims/token/v3", 400, {"message": "bad"})],
                   "POST /ims/token/v3 (error): at (body root): 'error' is a required property")
    runner.rejects("an IMS authorize answer that is JSON or 200",
                   [record("GET", "/ims/authorize/v2", 400, {"error": "x"}),
                    record("GET", "/ims/authorize/v2", 200, "<html/>", "text/html")],
                   "not 400 application/json", "not 200 text/html")
    runner.rejects("a malformed record line", ["{not json"], "malformed record")

    # --- rejected: nothing checked -------------------------------------------------------------
    runner.expect("an empty record set", [[]], 1,
                  ["only 0 responses recorded, at least 1 required",
                   "openapi_check: 0 responses checked (0 operations), 1 failures"])
    code, output = runner.run_checker([os.path.join(runner.tmp.name, "missing")])
    runner.report("a missing record directory", code == 1 and
                  "no such record file or directory" in output, output)
    runner.rejects("fewer records than --min-records", valid[:2],
                   "only 2 responses recorded, at least 3 required",
                   extra_args=("--min-records", "3"))

    # --- volume --------------------------------------------------------------------------------
    many = [valid[1], valid[3], valid[5]] * 1000
    started = time.monotonic()
    code, output = runner.run_checker([runner.write_dir(many)])
    elapsed = time.monotonic() - started
    runner.report(f"3000 records in one run ({elapsed:.1f} s)",
                  code == 0 and "3000 responses checked (3 operations), 0 failures" in output,
                  output)

    runner.tmp.cleanup()
    print(f"{runner.passed} passed, {runner.failed} failed")
    return 1 if runner.failed else 0


if __name__ == "__main__":
    sys.exit(main())
