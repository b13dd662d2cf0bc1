//! The OpenAPI 3.1 document served at `/v1/openapi.json`: every route of
//! [`crate::api::ROUTES`] with its role, path and query parameters, request
//! bodies precise enough for a generator (schemathesis) to make real
//! requests, and the problem+json answers a client can get.

use baton_model::SignalType;
use serde_json::{Value, json};

/// The document, built from the route table.
pub fn document(routes: &[(&str, &str, &str, &str)]) -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, role, summary) in routes {
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        let mut op = json!({
            "summary": summary,
            "x-baton-role": role,
            "security": if *role == "none" { json!([]) } else { json!([{"bearer": []}]) },
            "responses": responses(method),
        });
        let mut params: Vec<Value> = path_params(path);
        params.extend(query_params(method, path));
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(body) = request_body(method, path) {
            op["requestBody"] = body;
        }
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Baton", "version": env!("CARGO_PKG_VERSION")},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": problem(), "CloudEvent": cloud_event()},
        },
        "paths": paths,
    })
}

fn problem() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "integer"}, "detail": {"type": "string"},
            "field": {"type": "string"},
        },
    })
}

fn cloud_event() -> Value {
    let types: Vec<&str> = SignalType::ALL.iter().map(|t| t.as_str()).collect();
    use baton_model::signal::limits;
    json!({
        "type": "object",
        "required": ["specversion", "id", "source", "type", "subject"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "minLength": 1, "maxLength": limits::ID_BYTES},
            "source": {"type": "string", "minLength": 1, "maxLength": limits::SOURCE_BYTES},
            "type": {"enum": types},
            "subject": {"type": "string", "minLength": 1, "maxLength": limits::ID_BYTES},
            "time": {"type": "string", "format": "date-time"},
            "data": {"type": "object"},
            "data_base64": {"type": "string", "contentEncoding": "base64"},
        },
    })
}

fn responses(method: &str) -> Value {
    let p = |d: &str| json!({"description": d, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let mut r = json!({
        "200": {"description": "OK"},
        "400": p("invalid input; `field` names what is wrong"),
        "401": p("no or unknown token"),
        "403": p("the token's role may not do this"),
        "404": p("no such thing"),
        "413": p("the body is over 4 MiB"),
        "429": p("busy: the queue or the request-bytes budget is full; retry after Retry-After"),
        "503": p("the core is stopping"),
    });
    if method != "get" {
        r["202"] = json!({"description": "accepted, durable"});
        r["408"] = p("the body did not arrive in time");
        r["409"] = p("refused: the command cannot take effect now (the reason is in detail)");
        r["415"] = p("the content type is not one this route reads");
        r["422"] = p("the signal names something the event does not have");
    }
    r
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            // Decision ids are `SEQ.INDEX`, delivery keys `SEQ.INDEX.ACTION`.
            let schema = match (path, name) {
                (p, "id") if p.starts_with("/v1/decisions/") => {
                    json!({"type": "string", "pattern": "^[0-9]{1,12}\\.[0-9]{1,4}$"})
                }
                ("/v1/deadletters/{key}/retry", "key") => {
                    json!({"type": "string", "pattern": "^[0-9]{1,12}\\.[0-9]{1,4}\\.[0-9]{1,4}$"})
                }
                _ => json!({"type": "string", "minLength": 1, "maxLength": 256}),
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

fn query_params(method: &str, path: &str) -> Vec<Value> {
    if method != "get" {
        return Vec::new();
    }
    let names: &[(&str, &str)] = match path {
        "/v1/spaces" => &[("zone", "string"), ("kind", "string")],
        "/v1/sessions" => &[("status", "string"), ("space", "string")],
        "/v1/staff" => &[("zone", "string"), ("role", "string")],
        "/v1/signs" => &[("space", "string")],
        "/v1/decisions" => &[
            ("status", "string"),
            ("policy", "string"),
            ("space", "string"),
            ("limit", "integer"),
        ],
        "/v1/spaces/{id}/history" | "/v1/history" => &[("minutes", "integer")],
        "/v1/audit" => &[
            ("space", "string"),
            ("policy", "string"),
            ("decision", "string"),
            ("since", "integer"),
            ("until", "integer"),
            ("before", "integer"),
            ("limit", "integer"),
        ],
        "/v1/stream" => &[("topics", "string"), ("last_event_id", "string")],
        "/v1/situations" => &[("min", "string")],
        "/v1/attendees/{id}/recommendations" => &[("at", "string"), ("limit", "integer")],
        _ => &[],
    };
    names
        .iter()
        .map(|(n, t)| {
            let schema = if *t == "integer" {
                json!({"type": "integer", "minimum": 0})
            } else {
                json!({"type": "string"})
            };
            json!({"name": n, "in": "query", "required": false, "schema": schema})
        })
        .collect()
}

fn json_body(schema: Value, required: bool) -> Value {
    json!({"required": required, "content": {"application/json": {"schema": schema}}})
}

fn request_body(method: &str, path: &str) -> Option<Value> {
    let modes = json!({"enum": ["auto", "approve", "suggest", "off"]});
    let kinds = json!({"enum": ["notify", "sign", "dispatch", "alert", "open_space",
                                "close_space", "delay_session", "redirect"]});
    Some(match (method, path) {
        ("post", "/v1/signals") => json!({
            "required": true,
            "content": {
                "application/cloudevents+json": {"schema": {"$ref": "#/components/schemas/CloudEvent"}},
                "application/cloudevents-batch+json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/CloudEvent"}}},
            },
        }),
        ("post", "/v1/decisions/{id}/approve") => json_body(
            json!({"type": "object", "properties": {"actions": {"type": "array", "items": {
                "type": "object", "required": ["index"],
                "properties": {"index": {"type": "integer", "minimum": 0},
                               "params": {"type": "object"}, "drop": {"type": "boolean"}}}}}}),
            false,
        ),
        ("post", "/v1/decisions/{id}/reject") => json_body(
            json!({"type": "object", "properties": {"comment": {"type": "string"}}}),
            false,
        ),
        ("put", "/v1/policies") => json!({"required": true, "content": {
            "application/yaml": {"schema": {"type": "string"}}}}),
        ("post", "/v1/policies/{id}/mode") => json_body(
            json!({"type": "object", "required": ["mode"], "properties": {"mode": modes}}),
            true,
        ),
        ("post", "/v1/control/emergency") => json_body(
            json!({"type": "object", "properties": {"on": {"type": "boolean"}}}),
            false,
        ),
        ("post", "/v1/actions") => json_body(
            json!({"type": "object", "required": ["kind", "target", "valid_for"],
                   "properties": {"kind": kinds,
                                  "target": {"type": "object", "properties": {
                                      "ids": {"type": "array", "items": {"type": "string"}}}},
                                  "params": {"type": "object"},
                                  "valid_for": {"type": "integer", "minimum": 1}}}),
            true,
        ),
        ("post", "/v1/overrides") => json_body(
            json!({"type": "object", "required": ["resource"],
                   "properties": {"resource": {"type": "string"}, "value": {"type": "string"},
                                  "until": {"type": "integer"},
                                  "minutes": {"type": "integer", "minimum": 1}}}),
            true,
        ),
        ("post", "/v1/session") => json_body(
            json!({"type": "object", "required": ["token"],
                   "properties": {"token": {"type": "string"}}}),
            true,
        ),
        ("post", "/v1/clock/advance") => json_body(
            json!({"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
                   "properties": {"seconds": {"type": "integer", "minimum": 1, "maximum": 86_400},
                                  "milliseconds": {"type": "integer", "minimum": 1, "maximum": 86_400_000}}}),
            true,
        ),
        ("post", "/v1/simulations") => json_body(
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                                  "seeds": {"type": "integer", "minimum": 1, "maximum": 50}}}),
            false,
        ),
        ("post", "/v1/tasks/{id}/reassign") => json_body(
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"to": {"type": ["string", "null"]}}}),
            false,
        ),
        ("post", "/v1/me/tasks/{id}") => json_body(
            json!({"type": "object", "required": ["state"], "additionalProperties": false,
                   "properties": {"state": {"enum": ["acknowledged", "arrived", "done", "declined"]}}}),
            true,
        ),
        _ => return None,
    })
}
