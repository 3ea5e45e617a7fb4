#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validates recorded emulator responses against Frame.io's official V4 OpenAPI document.

Usage: openapi_check.py --openapi PATH [--min-records N] RECORD_FILES_OR_DIRS...

Each record file is JSON Lines, one response per line, as tests/emulator/http.cpp writes them
when FIOS_OPENAPI_RECORD_DIR is set:

    {"method": "GET", "url": "http://127.0.0.1:PORT/v4/me", "status": 200,
     "content_type": "application/json; charset=utf-8", "body": "<raw body text>"}

A directory stands for every *.jsonl file below it. Contract, per record:

- /v4/... : the path (query stripped, each segment percent-decoded) must match one of the
  document's path templates and the method one of its operations; the status must be declared by
  the operation (exactly, as a range like "4XX", or as "default"); a 204 has an empty body; a
  response declared as application/json must say so in its Content-Type and its body must
  validate against the declared schema.
- /ims/... : only the two paths the document's securitySchemes name (the authorization URL and
  the token URL, path part only) exist. GET on the authorization path answers a redirect (302/303)
  or a 4xx HTML error page; POST on the token path answers JSON that validates against
  ims-token.schema.json (next to this script): its "success" definition for 200, its "error"
  definition for 4xx.

OpenAPI 3.0 schemas are converted to JSON Schema draft 7 (see OpenApiConverter) with one
deliberate tightening: an object schema that lists `properties` and says nothing about
`additionalProperties` is closed, so the emulator cannot send a field Frame.io does not have.

Output: one line per failure, then
"openapi_check: N responses checked (M operations), F failures". Exit status 1 when anything
failed or fewer than --min-records records were read (a check that checked nothing fails),
2 when the document itself cannot be converted.
"""

import argparse
import datetime
import json
import os
import re
import sys
import urllib.parse

import jsonschema
from jsonschema.exceptions import best_match

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# OpenAPI keywords that only describe: dropped by the conversion. `discriminator` is used by
# the oneOf conversion, then dropped like the others.
ANNOTATION_KEYWORDS = frozenset({
    "description", "title", "example", "examples", "default", "deprecated", "readOnly",
    "writeOnly", "xml", "externalDocs", "discriminator",
})
# Keywords whose meaning is the same in OpenAPI 3.0 and JSON Schema draft 7: copied as they are.
# `format` stays too: formats this script does not check are annotations to jsonschema.
COPIED_KEYWORDS = frozenset({
    "type", "enum", "format", "minimum", "maximum", "multipleOf", "minLength", "maxLength",
    "pattern", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    "required",
})
STRUCTURAL_KEYWORDS = frozenset({
    "$ref", "allOf", "oneOf", "anyOf", "properties", "additionalProperties", "items", "nullable",
})
# What an allOf branch may hold to be merged into one object (annotations aside).
MERGEABLE_BRANCH_KEYWORDS = frozenset({
    "type", "properties", "required", "additionalProperties", "allOf",
})
# Schemas made only of these keywords accept null by adding "null" to `type` (and to `enum`).
NULL_WIDENABLE_KEYWORDS = COPIED_KEYWORDS | {"properties", "additionalProperties", "items"}

COMPONENT_PREFIX = "#/components/schemas/"
DEFINITION_PREFIX = "#/definitions/"

# ASCII digits only: \d would also match other scripts' digits.
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
DATE_TIME_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
                          r"(\.[0-9]+)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))$")

BODY_EXCERPT_CHARS = 300
MESSAGE_CHARS = 400


class ConversionError(Exception):
    """The OpenAPI document uses something this converter does not handle (a bug to fix here)."""


def is_rfc3339_date_time(value):
    """RFC 3339 section 5.6 date-time, with real calendar and clock ranges (second 60 allowed)."""
    match = DATE_TIME_RE.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    if second > 60:
        return False
    if match.group(9) is not None:
        return int(match.group(9)) <= 23 and int(match.group(10)) <= 59
    return True


def make_format_checker():
    """Checks `uuid` and `date-time` only; every other format is an annotation."""
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("uuid")
    def _uuid(value):
        return not isinstance(value, str) or bool(UUID_RE.match(value))

    @checker.checks("date-time")
    def _date_time(value):
        return not isinstance(value, str) or is_rfc3339_date_time(value)

    return checker


def component_name(ref, where):
    if not isinstance(ref, str) or not ref.startswith(COMPONENT_PREFIX):
        raise ConversionError(f"{where}: unsupported $ref {ref!r} (only {COMPONENT_PREFIX}...)")
    return ref[len(COMPONENT_PREFIX):]


def without_annotations(schema):
    return {k: v for k, v in schema.items() if k not in ANNOTATION_KEYWORDS}


class OpenApiConverter:
    """Converts the document's OpenAPI 3.0 schemas to JSON Schema draft 7.

    Every component schema becomes `definitions/<Name>` and `$ref`s point there, so recursive
    schemas need no inlining. Rules:
    - `nullable: true` admits null: "null" is added to `type` (and `enum`), or, for `$ref` and
      composed schemas, the schema becomes `anyOf: [{"type": "null"}, schema]`.
    - Closed objects: `properties` without `additionalProperties` means
      `additionalProperties: false`.
    - `allOf` of object schemas is merged into one object (properties, required) before it is
      closed, otherwise each closed branch would reject the other branches' properties. The
      merged object is open only when the outer schema says so, or when it says nothing and a
      branch says `additionalProperties: true` (a base made to be extended, like
      MediaLinkCommon). A property declared by several branches must satisfy each declaration.
    - `oneOf` with a `discriminator` selects the branch by the discriminator property (explicit
      `mapping`, plus the implicit mapping by schema name for unmapped branches), so a failure
      is reported inside the right branch instead of as "not valid under any of the given
      schemas". Without a discriminator, `oneOf` stays `oneOf`.
    - `oneOf` with several nullable branches (TimeStamp: a nullable string or a nullable
      integer) would reject null, which matches more than one branch. The document means
      "nullable, and one of these types", so null is allowed once, outside the oneOf.
    - Any keyword not listed in this file raises ConversionError instead of being ignored.
    """

    def __init__(self, document):
        self.components = document.get("components", {}).get("schemas", {})
        self.definitions = {
            name: self.convert(schema, COMPONENT_PREFIX + name)
            for name, schema in self.components.items()
        }

    def resolve(self, schema, where):
        """Follows $refs to the component schema itself (raw OpenAPI)."""
        seen = set()
        while "$ref" in schema:
            name = component_name(schema["$ref"], where)
            if name in seen or name not in self.components:
                raise ConversionError(f"{where}: unresolvable $ref {schema['$ref']!r}")
            seen.add(name)
            schema = self.components[name]
        return schema

    def convert(self, schema, where):
        if not isinstance(schema, dict):
            raise ConversionError(f"{where}: a schema must be an object, not {schema!r}")
        unknown = {k for k in schema if not k.startswith("x-")} - (
            ANNOTATION_KEYWORDS | COPIED_KEYWORDS | STRUCTURAL_KEYWORDS)
        if unknown:
            raise ConversionError(f"{where}: unsupported keywords {sorted(unknown)}")
        if "allOf" in schema and "oneOf" not in schema and "anyOf" not in schema:
            merged = self.merge_all_of(schema, where, frozenset())
            if merged is not None:
                return self.convert(merged, where)
        if "$ref" in schema:
            # OpenAPI 3.0 ignores a $ref's siblings; `nullable` is honoured all the same.
            converted = {"$ref": DEFINITION_PREFIX + component_name(schema["$ref"], where)}
        else:
            parts = []
            plain = self.convert_keywords(schema, where)
            if plain:
                parts.append(plain)
            if "allOf" in schema:
                parts.append({"allOf": [self.convert(b, f"{where}/allOf/{i}")
                                        for i, b in enumerate(schema["allOf"])]})
            if "anyOf" in schema:
                parts.append({"anyOf": [self.convert(b, f"{where}/anyOf/{i}")
                                        for i, b in enumerate(schema["anyOf"])]})
            if "oneOf" in schema:
                parts.append(self.convert_one_of(schema, where))
            converted = parts[0] if len(parts) == 1 else ({"allOf": parts} if parts else {})
        return self.allow_null(converted) if schema.get("nullable") is True else converted

    def convert_keywords(self, schema, where):
        out = {k: v for k, v in schema.items() if k in COPIED_KEYWORDS}
        if "properties" in schema:
            out["properties"] = {
                name: self.convert(prop, f"{where}/properties/{name}")
                for name, prop in schema["properties"].items()
            }
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            out["additionalProperties"] = self.convert(additional, f"{where}/additionalProperties")
        elif isinstance(additional, bool):
            out["additionalProperties"] = additional
        elif "properties" in schema:
            out["additionalProperties"] = False  # closed: see the class comment
        if "items" in schema:
            out["items"] = self.convert(schema["items"], f"{where}/items")
        return out

    @staticmethod
    def allow_null(converted):
        if set(converted) <= NULL_WIDENABLE_KEYWORDS:
            widened = dict(converted)
            if "type" in widened:
                types = widened["type"] if isinstance(widened["type"], list) else [widened["type"]]
                widened["type"] = types + ([] if "null" in types else ["null"])
            if "enum" in widened and None not in widened["enum"]:
                widened["enum"] = list(widened["enum"]) + [None]
            return widened
        return {"anyOf": [{"type": "null"}, converted]}

    def merge_all_of(self, schema, where, active_refs):
        """One object schema equivalent to an allOf of object schemas, or None when a branch is
        not an object schema (then allOf keeps its JSON Schema meaning)."""
        branches = []
        for i, branch in enumerate(schema["allOf"]):
            branch_where = f"{where}/allOf/{i}"
            refs = set(active_refs)
            if "$ref" in branch:
                name = component_name(branch["$ref"], branch_where)
                if name in refs:
                    raise ConversionError(f"{branch_where}: allOf cycle through {name}")
                refs.add(name)
                branch_where = COMPONENT_PREFIX + name
            resolved = without_annotations(self.resolve(branch, branch_where))
            if not resolved:
                continue  # a branch that only describes constrains nothing
            if "allOf" in resolved:
                resolved = self.merge_all_of(resolved, branch_where, frozenset(refs))
                if resolved is None:
                    return None
            if resolved.get("type") != "object" or not set(resolved) <= MERGEABLE_BRANCH_KEYWORDS:
                return None
            branches.append(resolved)

        merged = {k: v for k, v in schema.items() if k not in ("allOf", "properties", "required")}
        merged["type"] = "object"
        properties = dict(schema.get("properties", {}))
        required = list(schema.get("required", []))
        for branch in branches:
            for name, prop in branch.get("properties", {}).items():
                if name not in properties:
                    properties[name] = prop
                elif without_annotations(properties[name]) != without_annotations(prop):
                    properties[name] = {"allOf": [properties[name], prop]}
            required += [name for name in branch.get("required", []) if name not in required]
        merged["properties"] = properties
        if required:
            merged["required"] = required
        if "additionalProperties" not in merged and any(
                b.get("additionalProperties") is True for b in branches):
            merged["additionalProperties"] = True
        return merged

    def convert_one_of(self, schema, where):
        branches = schema["oneOf"]
        discriminator = schema.get("discriminator")
        if discriminator:
            return self.convert_discriminated(branches, discriminator, where)
        resolved = [self.resolve(b, f"{where}/oneOf/{i}") for i, b in enumerate(branches)]
        if sum(1 for r in resolved if r.get("nullable") is True) < 2:
            return {"oneOf": [self.convert(b, f"{where}/oneOf/{i}")
                              for i, b in enumerate(branches)]}
        non_null = [self.convert({k: v for k, v in r.items() if k != "nullable"},
                                 f"{where}/oneOf/{i}") for i, r in enumerate(resolved)]
        return {"anyOf": [{"type": "null"}, {"oneOf": non_null}]}

    def convert_discriminated(self, branches, discriminator, where):
        prop = discriminator["propertyName"]
        mapping = dict(discriminator.get("mapping", {}))
        for i, branch in enumerate(branches):
            if "$ref" not in branch:
                raise ConversionError(f"{where}/oneOf/{i}: a discriminated branch must be a $ref")
            if branch["$ref"] not in mapping.values():
                mapping[component_name(branch["$ref"], where)] = branch["$ref"]
        selected = [
            {"if": {"required": [prop], "properties": {prop: {"const": value}}},
             "then": {"$ref": DEFINITION_PREFIX + component_name(ref, f"{where}/discriminator")}}
            for value, ref in sorted(mapping.items())
        ]
        return {
            "type": "object",
            "required": [prop],
            "properties": {prop: {"enum": sorted(mapping)}},
            "allOf": selected,
        }



def is_json_media_type(content_type):
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def json_pointer(path):
    """RFC 6901 pointer of a jsonschema error path; "(body root)" for the empty pointer."""
    if not path:
        return "(body root)"
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class Operation:
    """One method of one path template, with its converted response schemas by status key."""

    def __init__(self, label, schemas):
        self.label = label      # "GET /v4/me (users.show)"
        self.schemas = schemas  # "200", "4XX", "default", ... -> JSON Schema, None when not JSON
        self.validators = {}    # same keys, built on first use

    def response_key(self, status):
        """The declared key that covers `status`, or None."""
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in self.schemas:
                return key
        return None


class Checker:
    MAX_FAILURES_SHOWN = 200  # later failures are counted, not printed

    def __init__(self, document, ims_schema):
        self.converter = OpenApiConverter(document)
        self.format_checker = make_format_checker()
        self.templates = []  # (template split on "/", template, {METHOD: Operation})
        for template, item in document.get("paths", {}).items():
            operations = {}
            for method, op in item.items():
                if method in HTTP_METHODS:
                    label = f"{method.upper()} {template} ({op.get('operationId', '?')})"
                    operations[method.upper()] = Operation(label, {
                        key: self.response_schema(response, f"{label} responses/{key}")
                        for key, response in op.get("responses", {}).items()
                    })
            self.templates.append((template.split("/"), template, operations))
        self.ims_paths = self.declared_ims_paths(document)
        self.ims_definitions = ims_schema["definitions"]
        self.ims_validators = {}  # "success" / "error" -> validator
        self.checked = 0
        self.failures = 0
        self.server_errors = 0
        self.operations_seen = set()

    def response_schema(self, response, where):
        if "$ref" in response:
            raise ConversionError(f"{where}: response $refs are not supported")
        content = response.get("content", {})
        if "application/json" not in content:
            return None
        return self.converter.convert(content["application/json"].get("schema", {}), where)

    @staticmethod
    def declared_ims_paths(document):
        """{"authorize": path, "token": path} from the OAuth flows of the securitySchemes."""
        paths = {}
        for scheme in document.get("components", {}).get("securitySchemes", {}).values():
            for flow in scheme.get("flows", {}).values():
                if "authorizationUrl" in flow:
                    paths["authorize"] = urllib.parse.urlsplit(flow["authorizationUrl"]).path
                for key in ("tokenUrl", "refreshUrl"):
                    if key in flow:
                        paths["token"] = urllib.parse.urlsplit(flow[key]).path
        if set(paths) != {"authorize", "token"}:
            raise ConversionError("the securitySchemes declare no authorization and token URLs")
        return paths

    def make_validator(self, schema, definitions):
        # The wrapper keeps `definitions` beside the schema: draft 7 ignores a $ref's siblings.
        return jsonschema.Draft7Validator({"allOf": [schema], "definitions": definitions},
                                          format_checker=self.format_checker)

    def match_template(self, segments):
        """(template, operations) of the most specific template for the decoded segments, or
        None. Literal segments win over {params}, position by position from the left (OpenAPI:
        concrete paths are matched before templated ones)."""
        best = None
        for template_segments, template, operations in self.templates:
            if len(template_segments) != len(segments):
                continue
            rank = []
            for pattern, actual in zip(template_segments, segments):
                if pattern.startswith("{") and pattern.endswith("}") and actual:
                    rank.append(0)
                elif pattern == actual:
                    rank.append(1)
                else:
                    break
            else:
                if best is None or rank > best[0]:
                    best = (rank, template, operations)
        return None if best is None else best[1:]

    # --- reporting ---------------------------------------------------------------------------

    def fail(self, source, message, record=None, path="?"):
        self.failures += 1
        if self.failures > self.MAX_FAILURES_SHOWN:
            return
        if record is None:
            print(f"FAIL {source}: {message}")
            return
        excerpt = json.dumps(record["body"][:BODY_EXCERPT_CHARS], ensure_ascii=False)
        print(f"FAIL {source}: {record['method']} {path} -> {record['status']}: {message} "
              f"| body: {excerpt}")

    # --- reading -----------------------------------------------------------------------------

    def check_paths(self, paths):
        for path in paths:
            if os.path.isdir(path):
                files = sorted(os.path.join(d, f) for d, _, names in os.walk(path)
                               for f in names if f.endswith(".jsonl"))
            elif os.path.isfile(path):
                files = [path]
            else:
                self.fail(path, "no such record file or directory")
                continue
            for file in files:
                self.check_file(file)

    def check_file(self, file):
        with open(file, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                source = f"{os.path.basename(file)}:{number}"
                try:
                    record = json.loads(line)
                except ValueError as error:
                    self.fail(source, f"malformed record (not JSON: {error})")
                    continue
                fields = {"method": str, "url": str, "status": int, "body": str}
                if not isinstance(record, dict) or any(
                        not isinstance(record.get(k), t) for k, t in fields.items()):
                    self.fail(source, "malformed record: needs method, url, status and body")
                    continue
                self.check_record(source, record)

    # --- checks ------------------------------------------------------------------------------

    def check_record(self, source, record):
        self.checked += 1
        segments = [urllib.parse.unquote(s)
                    for s in urllib.parse.urlsplit(record["url"]).path.split("/")]
        path = "/".join(segments)
        if path.startswith("/v4/"):
            self.check_v4(source, record, path, segments)
        elif path.startswith("/ims/"):
            self.check_ims(source, record, path)
        else:
            self.fail(source, "neither a /v4/ nor an /ims/ path", record, path)

    def check_v4(self, source, record, path, segments):
        method = record["method"].upper()
        matched = self.match_template(segments)
        operation = matched[1].get(method) if matched else None
        if operation is None:
            self.fail(source, f"route not declared by the OpenAPI document: {method} {path}",
                      record, path)
            return
        self.operations_seen.add(f"{method} {matched[0]}")
        status = record["status"]
        if 500 <= status <= 599:
            self.check_server_error(source, record, path)
            return
        key = operation.response_key(status)
        if key is None:
            self.fail(source, f"{operation.label} does not declare status {status} (it declares "
                      f"{', '.join(sorted(operation.schemas))})", record, path)
            return
        if status == 204:
            if record["body"]:
                self.fail(source, f"{operation.label}: a 204 response has no body", record, path)
            return
        schema = operation.schemas[key]
        if schema is None:
            return  # declared, but not as JSON: nothing to validate
        if key not in operation.validators:
            operation.validators[key] = self.make_validator(schema, self.converter.definitions)
        self.check_json(source, record, path, f"{operation.label} {key}",
                        operation.validators[key])

    def check_ims(self, source, record, path):
        method = record["method"].upper()
        status = record["status"]
        content_type = record.get("content_type", "")
        if method == "GET" and path == self.ims_paths["authorize"]:
            self.operations_seen.add(f"GET {path}")
            if status in (302, 303) or (400 <= status <= 499 and
                                        not is_json_media_type(content_type)):
                return
            self.fail(source, "the IMS authorization endpoint answers a 302/303 redirect or a "
                      f"4xx HTML page, not {status} {content_type or '(no Content-Type)'}",
                      record, path)
        elif method == "POST" and path == self.ims_paths["token"]:
            self.operations_seen.add(f"POST {path}")
            if 500 <= status <= 599:
                self.check_server_error(source, record, path)
                return
            if status == 200:
                definition = "success"
            elif 400 <= status <= 499:
                definition = "error"
            else:
                self.fail(source, "the IMS token endpoint answers 200 or 4xx (RFC 6749 5.1, "
                          f"5.2), not {status}", record, path)
                return
            if definition not in self.ims_validators:
                self.ims_validators[definition] = self.make_validator(
                    {"$ref": f"#/definitions/{definition}"}, self.ims_definitions)
            self.check_json(source, record, path, f"POST {path} ({definition})",
                            self.ims_validators[definition])
        else:
            self.fail(source, f"route not declared by the OpenAPI document: {method} {path} "
                      f"(its securitySchemes declare GET {self.ims_paths['authorize']} and "
                      f"POST {self.ims_paths['token']})", record, path)

    def check_server_error(self, source, record, path):
        """A 5xx: the document declares none (real servers send them all the same; the emulator
        only when a fault is injected). Not validated against a schema, but held to the shapes a
        client meets: a gateway's HTML page for 502/503/504, a JSON error body for the rest."""
        self.server_errors += 1
        status = record["status"]
        content_type = record.get("content_type", "")
        if status in (502, 503, 504):
            if "text/html" not in content_type:
                self.fail(source, f"a {status} comes from the gateway as text/html, not "
                          f"{content_type or '(no Content-Type)'}", record, path)
            return
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = None
        well_formed = isinstance(body, dict) and (
            isinstance(body.get("errors"), list) or isinstance(body.get("error"), str))
        if not well_formed:
            self.fail(source, f"a {status} carries a JSON error body ({{\"errors\": [...]}} on "
                      "/v4, {\"error\": ...} on /ims)", record, path)

    def check_json(self, source, record, path, label, validator):
        content_type = record.get("content_type", "")
        if not is_json_media_type(content_type):
            self.fail(source, f"{label}: declared as application/json, but the Content-Type is "
                      f"{content_type or '(none)'}", record, path)
            return
        try:
            body = json.loads(record["body"])
        except ValueError as error:
            self.fail(source, f"{label}: the body is not JSON ({error})", record, path)
            return
        errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
        for error in errors:
            # best_match descends into oneOf/anyOf failures to the most relevant branch error.
            leaf = best_match([error])
            message = leaf.message[:MESSAGE_CHARS]
            self.fail(source, f"{label}: at {json_pointer(leaf.absolute_path)}: {message}",
                      record, path)


def load_json(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Validate recorded V4 and IMS responses against the Frame.io OpenAPI "
                    "document (see the module docstring for the record format).")
    parser.add_argument("--openapi", required=True, help="the OpenAPI 3.0 document (JSON)")
    parser.add_argument("--min-records", type=int, default=1,
                        help="fail when fewer records are found (default 1)")
    parser.add_argument("records", nargs="+", metavar="RECORD_FILE_OR_DIR")
    args = parser.parse_args(argv)

    ims_schema_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "ims-token.schema.json")
    try:
        checker = Checker(load_json(args.openapi), load_json(ims_schema_path))
    except (OSError, ValueError, ConversionError) as error:
        print(f"openapi_check: cannot use {args.openapi} / {ims_schema_path}: {error}")
        return 2
    checker.check_paths(args.records)
    if checker.checked < args.min_records:
        checker.fail(" ".join(args.records),
                     f"only {checker.checked} responses recorded, at least {args.min_records} "
                     "required: were the emulator contract tests run with FIOS_OPENAPI_RECORD_DIR "
                     "set, and do they call any /v4/ or /ims/ route?")
    if checker.failures > Checker.MAX_FAILURES_SHOWN:
        print(f"openapi_check: only the first {Checker.MAX_FAILURES_SHOWN} failures are shown")
    if checker.server_errors:
        print(f"openapi_check: {checker.server_errors} server errors (5xx, undeclared by the "
              "document) held to their shape only")
    print(f"openapi_check: {checker.checked} responses checked "
          f"({len(checker.operations_seen)} operations), {checker.failures} failures")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
