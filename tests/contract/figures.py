"""Print the contract's figures for a schema file: validity, typed operations, declared errors.

    python tests/contract/figures.py schema.yaml
"""

import json
import sys

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

METHODS = ("get", "post", "put", "patch", "delete")


def resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def typed(spec, schema) -> bool:
    """An untyped body is a bare object (no properties) or no schema at all."""
    schema = resolve(spec, schema)
    if "allOf" in schema or "oneOf" in schema or "anyOf" in schema:
        return True
    if schema.get("type") == "array":
        return typed(spec, schema.get("items", {}))
    if schema.get("type") == "object" or not schema.get("type"):
        return bool(schema.get("properties")) or bool(schema.get("additionalProperties"))
    return True


def figures(spec) -> dict:
    ops = typed_ops = with_errors = with_auth_errors = 0
    untyped = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            ops += 1
            responses = op.get("responses", {})
            success = [r for s, r in responses.items() if s.startswith("2")]
            bodies = [c["schema"] for r in success for c in r.get("content", {}).values() if "schema" in c]
            if all(typed(spec, b) for b in bodies) and (bodies or any(s == "204" for s in responses)):
                typed_ops += 1
            else:
                untyped.append(f"{method.upper()} {path}")
            if any(s.startswith("4") for s in responses):
                with_errors += 1
            if "401" in responses or "403" in responses:
                with_auth_errors += 1
    try:
        validate(spec)
        valid = "valid"
    except OpenAPIValidationError as exc:
        valid = f"INVALID: {str(exc).splitlines()[0]}"
    return {
        "spec": valid,
        "operations": ops,
        "typed": typed_ops,
        "declaring_errors": with_errors,
        "declaring_401_or_403": with_auth_errors,
        "untyped": untyped,
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        document = yaml.safe_load(handle) if sys.argv[1].endswith((".yaml", ".yml")) else json.load(handle)
    print(json.dumps(figures(document), indent=2))
