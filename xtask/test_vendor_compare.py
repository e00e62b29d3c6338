"""Self-test of vendor_compare.py on tiny made-up inputs (stdlib unittest).

    python3 -m unittest xtask/test_vendor_compare.py
"""

import ast
import contextlib
import io
import json
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vendor_compare as vc  # noqa: E402

# A cut-down module in the shape OpenAPI Generator writes for hotdata/api/*.py.
API_TEXT = textwrap.dedent('''
    from pydantic import Field, StrictStr, StrictInt
    from typing import Optional
    from typing_extensions import Annotated
    from hotdata.models.widget import Widget
    from hotdata.models.create_widget_body import CreateWidgetBody

    class WidgetsApi:
        def __init__(self, api_client=None) -> None:
            self.api_client = api_client

        @validate_call
        def get_widget(
            self,
            id: StrictStr,
            x_trace: Optional[StrictStr] = None,
            limit: Optional[Annotated[int, Field(le=100, strict=True, ge=1)]] = None,
            _request_timeout=None,
        ) -> Widget:
            _param = self._get_widget_serialize(id=id, x_trace=x_trace, limit=limit)
            _response_types_map: Dict[str, Optional[str]] = {
                '200': "Widget",
                '404': None,
            }
            return None

        def get_widget_with_http_info(self, id: StrictStr):
            _response_types_map: Dict[str, Optional[str]] = {'200': "Widget"}

        def get_widget_without_preload_content(self, id: StrictStr):
            _response_types_map: Dict[str, Optional[str]] = {'200': "Widget"}

        def _get_widget_serialize(self, id, x_trace, limit, _request_auth, _content_type, _headers, _host_index):
            _path_params: Dict[str, str] = {}
            _query_params: List[Tuple[str, str]] = []
            _header_params: Dict[str, Optional[str]] = _headers or {}
            _body_params: Optional[bytes] = None
            if id is not None:
                _path_params['id'] = id
            if limit is not None:
                _query_params.append(('limit', limit))
            if x_trace is not None:
                _header_params['X-Trace'] = x_trace
            if 'Accept' not in _header_params:
                _header_params['Accept'] = self.api_client.select_header_accept(['application/json'])
            return self.api_client.param_serialize(
                method='GET',
                resource_path='/v1/widgets/{id}',
                path_params=_path_params,
                query_params=_query_params,
                header_params=_header_params,
                body=_body_params,
            )

        @validate_call
        def create_widget(self, create_widget_body: CreateWidgetBody, _request_timeout=None) -> Widget:
            _response_types_map: Dict[str, Optional[str]] = {'201': "Widget"}

        def _create_widget_serialize(self, create_widget_body, _request_auth, _content_type, _headers, _host_index):
            _body_params: Optional[bytes] = None
            if create_widget_body is not None:
                _body_params = create_widget_body
            if _content_type:
                _header_params['Content-Type'] = _content_type
            return self.api_client.param_serialize(method='POST', resource_path='/v1/widgets', body=_body_params)
''')

# Models in the shape of hotdata/models/*.py (several classes in one text).
MODEL_TEXT = textwrap.dedent('''
    from enum import Enum
    from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, field_validator
    from typing import Any, ClassVar, Dict, List, Optional, Union

    class Widget(BaseModel):
        """A widget."""
        id: StrictStr = Field(description="The id.")
        var_schema: StrictStr = Field(alias="schema")
        size: Optional[Union[StrictFloat, StrictInt]] = None
        tags: Optional[List[StrictStr]] = None
        colour: Optional[StrictStr] = Field(default=None, description="Paint.")
        owner: Optional[OwnerV2] = None
        __properties: ClassVar[List[str]] = ["id", "schema", "size", "tags", "colour", "owner"]

        @field_validator('colour')
        def colour_validate_enum(cls, value):
            if value is None:
                return value
            if value not in set(['red', 'blue']):
                raise ValueError("must be one of enum values ('red', 'blue')")
            return value

        model_config = ConfigDict(populate_by_name=True)

        def to_dict(self):
            _dict = self.model_dump(by_alias=True, exclude_none=True)
            # set to None if owner (nullable) is None
            if self.owner is None and "owner" in self.model_fields_set:
                _dict['owner'] = None
            return _dict

    class OwnerV2(BaseModel):
        name: StrictStr
        __properties: ClassVar[List[str]] = ["name"]

    class CreateWidgetBody(BaseModel):
        name: StrictStr
        state: Optional[WidgetState] = None
        settings: Optional[Dict[str, Any]] = None

    class WidgetState(str, Enum):
        """allowed enum values"""
        ON = 'on'
        OFF = 'off'

        @classmethod
        def from_json(cls, json_str):
            return cls(json.loads(json_str))
''')

SPEC = {
    "openapi": "3.1.0",
    "paths": {
        "/v1/widgets/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": "get_widget",
                "parameters": [
                    {"name": "x-trace", "in": "header", "schema": {"type": "string"}},
                    {"$ref": "#/components/parameters/Verbose"},
                ],
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}}},
                    "401": {"$ref": "#/components/responses/Unauthorized"},
                    "404": {"description": "none"},
                },
            },
        },
        "/v1/widgets": {
            "post": {
                "operationId": "create_widget",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewWidget"}}},
                },
                "responses": {
                    201: {"description": "made", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}}},
                },
            },
        },
        "/v1/old": {"get": {"operationId": "legacy", "deprecated": True, "responses": {"200": {"description": "ok"}}}},
        "/v1/gone": {"get": {"operationId": "gone", "responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "parameters": {"Verbose": {"name": "verbose", "in": "query", "schema": {"type": "boolean"}}},
        "responses": {"Unauthorized": {"description": "no"}},
        "schemas": {
            "Widget": {
                "type": "object",
                "required": ["id", "schema", "size"],
                "properties": {
                    "id": {"type": "string"},
                    "schema": {"type": "string"},
                    "size": {"type": "number"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "colour": {"type": "string", "enum": ["red", "green"]},
                    "owner": {"anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]},
                    "extra": {"type": ["string", "null"]},
                },
            },
            "Owner": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            "NewWidget": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "state": {"$ref": "#/components/schemas/WidgetState"},
                    "settings": {"type": "object"},
                },
            },
            "WidgetState": {"type": "string", "enum": ["on", "off", "standby"]},
            "Unused": {"type": "object"},
        },
    },
}


def fixture_vendor():
    ops = {o.operation_id: o for o in vc.parse_api(API_TEXT, "api/widgets_api.py")}
    models = {m.name: m for m in vc.parse_models(MODEL_TEXT, "models/widget.py")}
    return vc.Vendor(ops, models, "0.0.1", "fixture")


def parse_type(text):
    return vc.vendor_type(ast.parse(text, mode="eval").body)


class TypeTests(unittest.TestCase):
    def test_vendor_annotations(self):
        self.assertEqual(parse_type("StrictStr"), (("string",), False))
        self.assertEqual(parse_type("Optional[StrictInt]"), (("integer",), True))
        self.assertEqual(parse_type("Annotated[int, Field(strict=True, ge=0)]"), (("integer",), False))
        self.assertEqual(parse_type("Union[StrictFloat, StrictInt]"), (("number",), False))
        self.assertEqual(parse_type("List[List[Any]]"), (("array", ("array", ("any",))), False))
        self.assertEqual(parse_type("Dict[str, Any]"), (("object",), False))
        self.assertEqual(parse_type("Dict[str, ColumnDefinition]"), (("map", ("ref", "ColumnDefinition")), False))
        self.assertEqual(parse_type("datetime"), (("string",), False))
        self.assertEqual(parse_type("Optional[Foo]"), (("ref", "Foo"), True))
        self.assertEqual(parse_type("Union[A, B]")[0], ("oneOf", (("ref", "A"), ("ref", "B"))))

    def test_spec_schemas(self):
        self.assertEqual(vc.spec_type({"type": ["string", "null"]}), (("string",), True))
        self.assertEqual(vc.spec_type({"$ref": "#/components/schemas/X"}), (("ref", "X"), False))
        self.assertEqual(
            vc.spec_type({"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]}), (("ref", "X"), True)
        )
        self.assertEqual(vc.spec_type({"type": "array", "items": {}}), (("array", ("any",)), False))
        self.assertEqual(
            vc.spec_type({"type": "object", "additionalProperties": {"type": "integer"}}),
            (("map", ("integer",)), False),
        )
        self.assertEqual(vc.spec_type({"const": "inline"}), (("string",), False))
        self.assertEqual(vc.spec_type({}), (("any",), False))


class ParseTests(unittest.TestCase):
    def test_api(self):
        ops = {o.operation_id: o for o in vc.parse_api(API_TEXT)}
        self.assertEqual(set(ops), {"get_widget", "create_widget"})
        get = ops["get_widget"]
        self.assertEqual((get.method, get.path), ("GET", "/v1/widgets/{id}"))
        self.assertEqual(
            [(p.location, p.name, p.type, p.required) for p in get.params],
            [("path", "id", ("string",), True), ("query", "limit", ("integer",), False),
             ("header", "X-Trace", ("string",), False)],
        )
        self.assertIsNone(get.body)
        self.assertEqual(get.responses, {"200": ("ref", "Widget"), "404": None})
        create = ops["create_widget"]
        self.assertEqual((create.method, create.path), ("POST", "/v1/widgets"))
        self.assertEqual((create.body, create.body_required), (("ref", "CreateWidgetBody"), True))
        self.assertEqual(create.params, [])

    def test_models(self):
        models = {m.name: m for m in vc.parse_models(MODEL_TEXT)}
        self.assertEqual(set(models), {"Widget", "OwnerV2", "CreateWidgetBody", "WidgetState"})
        w = models["Widget"]
        self.assertEqual(list(w.fields), ["id", "schema", "size", "tags", "colour", "owner"])
        self.assertEqual(w.fields["schema"].python, "var_schema")
        self.assertTrue(w.fields["id"].required and w.fields["schema"].required)
        self.assertFalse(w.fields["colour"].required)
        self.assertEqual(w.fields["size"].type, ("number",))
        self.assertEqual(w.fields["colour"].enum, ["red", "blue"])
        self.assertTrue(w.fields["owner"].nullable)
        self.assertFalse(w.fields["tags"].nullable)  # Optional alone means "may be left out"
        self.assertEqual(models["WidgetState"].kind, "enum")
        self.assertEqual(models["WidgetState"].values, ["on", "off"])


class CompareTests(unittest.TestCase):
    def setUp(self):
        self.cmp = vc.Comparison(fixture_vendor(), SPEC).run()

    def test_matching(self):
        self.assertEqual(self.cmp.mapping["Widget"], ("Widget", "name"))
        self.assertEqual(self.cmp.mapping["CreateWidgetBody"], ("NewWidget", "request body of create_widget"))
        self.assertEqual(self.cmp.mapping["OwnerV2"], ("Owner", "field Widget.owner"))
        self.assertEqual(self.cmp.unmatched_schemas(), ["Unused"])

    def test_differences(self):
        found = {(d.where, d.kind) for d in self.cmp.diffs}
        self.assertEqual(
            found,
            {
                ("get_widget.parameters.query.limit", "parameter-only-vendor"),
                ("get_widget.parameters.query.verbose", "parameter-only-spec"),
                ("get_widget.responses.401", "status-only-spec"),
                ("legacy", "operation-not-in-vendor"),
                ("gone", "operation-not-in-vendor"),
                ("Widget.size", "required"),
                ("Widget.colour", "enum"),
                ("Widget.extra", "field-only-spec"),
                ("WidgetState", "enum"),
            },
        )
        colour = next(d for d in self.cmp.diffs if d.where == "Widget.colour")
        self.assertIn("only vendor: blue", colour.detail)
        self.assertIn("only spec: green", colour.detail)
        self.assertEqual(self.cmp.ops_compared, 2)
        self.assertEqual(self.cmp.fields_compared, 6 + 1 + 3)

    def test_deprecated_is_expected(self):
        by_where = {d.where: d for d in self.cmp.diffs}
        self.assertTrue(by_where["legacy"].explained)
        self.assertFalse(by_where["gone"].explained)

    def test_allow_list(self):
        allow = vc.parse_allow_list(
            [
                {"where": "Widget.size", "kind": "required", "reason": "we know"},
                {"where": "*.responses.401", "reason": "gateway"},
                {"where": "Nothing.here", "reason": "stale"},
            ]
        )
        vc.apply_allow_list(self.cmp.diffs, allow)
        explained = {d.where: d.reason for d in self.cmp.diffs if d.explained}
        self.assertEqual(explained["Widget.size"], "we know")
        self.assertEqual(explained["get_widget.responses.401"], "gateway")
        self.assertFalse(explained.get("Widget.extra"))
        self.assertEqual([a.where for a in allow if not a.used], ["Nothing.here"])
        s = vc.summary(self.cmp, allow)
        self.assertEqual(s["differences_explained"], 3)  # and `legacy`, deprecated
        self.assertEqual(s["differences_unexplained"], s["differences"] - 3)

    def test_allow_list_needs_reason(self):
        with self.assertRaises(SystemExit):
            vc.parse_allow_list([{"where": "X"}])


ONEOF_MODELS = textwrap.dedent('''
    class Shape(BaseModel):
        # data type: ShapeOneOf
        oneof_schema_1_validator: Optional[ShapeOneOf] = None
        # data type: ShapeOneOf1
        oneof_schema_2_validator: Optional[ShapeOneOf1] = None
        actual_instance: Optional[Union[ShapeOneOf, ShapeOneOf1]] = None
        one_of_schemas: Set[str] = { "ShapeOneOf", "ShapeOneOf1" }

    class ShapeOneOf(BaseModel):
        radius: StrictInt
        type: StrictStr

        @field_validator('type')
        def type_validate_enum(cls, value):
            if value not in set(['circle']):
                raise ValueError("must be one of enum values ('circle')")
            return value

    class ShapeOneOf1(BaseModel):
        side: StrictInt
        type: StrictStr

        @field_validator('type')
        def type_validate_enum(cls, value):
            if value not in set(['square']):
                raise ValueError("must be one of enum values ('square')")
            return value
''')


def tagged(tag, field):
    return {
        "type": "object",
        "required": [field, "type"],
        "properties": {field: {"type": "integer"}, "type": {"type": "string", "const": tag}},
    }


class OneOfTests(unittest.TestCase):
    def test_variants_pair_by_tag(self):
        models = {m.name: m for m in vc.parse_models(ONEOF_MODELS)}
        self.assertEqual(models["Shape"].kind, "oneOf")
        self.assertEqual(models["Shape"].variants, [("ref", "ShapeOneOf"), ("ref", "ShapeOneOf1")])
        spec = {
            "paths": {},
            "components": {
                "schemas": {
                    "Shape": {"oneOf": [{"$ref": "#/components/schemas/Square"},
                                        {"$ref": "#/components/schemas/Circle"},
                                        {"$ref": "#/components/schemas/Triangle"}]},
                    "Square": tagged("square", "side"),
                    "Circle": tagged("circle", "radius"),
                    "Triangle": tagged("triangle", "base"),
                }
            },
        }
        cmp = vc.Comparison(vc.Vendor({}, models, None, "fixture"), spec).run()
        self.assertEqual(cmp.mapping["ShapeOneOf"][0], "Circle")
        self.assertEqual(cmp.mapping["ShapeOneOf1"][0], "Square")
        self.assertEqual([(d.where, d.kind) for d in cmp.diffs], [("Shape", "variant-only-spec")])
        self.assertIn("Triangle", cmp.diffs[0].detail)


try:
    import yaml  # noqa: F401

    HAVE_YAML = True
except ImportError:
    HAVE_YAML = False


@unittest.skipUnless(HAVE_YAML, "PyYAML is not installed")
class MainTests(unittest.TestCase):
    """The command line, on an unpacked fixture package (JSON is valid YAML)."""

    def run_main(self, *extra):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            pkg = tmp / "hotdata"
            (pkg / "api").mkdir(parents=True)
            (pkg / "models").mkdir()
            (pkg / "api" / "widgets_api.py").write_text(API_TEXT)
            (pkg / "models" / "widget.py").write_text(MODEL_TEXT)
            (tmp / "spec.yaml").write_text(json.dumps(SPEC))
            (tmp / "allow.yaml").write_text("- {where: 'get_widget.*', reason: 'fixture'}\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = vc.main(["--unpacked", str(tmp), "--spec", str(tmp / "spec.yaml"),
                                "--allow", str(tmp / "allow.yaml"), *extra])
            return code, out.getvalue()

    def test_human(self):
        code, out = self.run_main()
        self.assertEqual(code, 0)
        self.assertIn("operations: vendor 2, spec 4, compared 2", out)
        self.assertIn("differences: 9 (explained 4, unexplained 5)", out)

    def test_json_and_strict(self):
        code, out = self.run_main("--json", "--strict")
        self.assertEqual(code, 1)
        data = json.loads(out)
        self.assertEqual(data["summary"]["differences_unexplained"], 5)
        self.assertEqual(data["model_matches"]["CreateWidgetBody"]["spec"], "NewWidget")


if __name__ == "__main__":
    unittest.main()
