//! `/docs/api`: the OpenAPI document of `/v1` rendered as one HTML page on the server — no
//! script, no CDN — with a curl example that works against the demo.

use serde_json::Value;
use std::fmt::Write;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The name of a schema reference (`#/components/schemas/Customer` → `Customer`).
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    match schema.get("type") {
        Some(Value::String(kind)) if kind == "array" => {
            format!("array of {}", schema.get("items").map(schema_name).unwrap_or_default())
        }
        Some(Value::String(kind)) => escape(kind),
        Some(Value::Array(kinds)) => {
            kinds.iter().filter_map(Value::as_str).map(escape).collect::<Vec<_>>().join(" or ")
        }
        _ if schema.get("additionalProperties").is_some() => "object".into(),
        _ => schema.get("oneOf").map(|_| "one of several".to_string()).unwrap_or_else(|| "any".into()),
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).map(escape).unwrap_or_default()
}

/// The page.
pub fn render(document: &Value) -> String {
    let mut html = String::new();
    let info = &document["info"];
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{} · API reference</title>\
         <link rel=\"stylesheet\" href=\"/pkg/gatehouse.css\"></head><body><main class=\"page\">\
         <section class=\"card\"><h1>{} (version {})</h1><p>{}</p>\
         <p>The machine-readable document: <a href=\"/v1/openapi.json\"><code>/v1/openapi.json</code></a> \
         (OpenAPI {}).</p>\
         <h2>Try it against the demo</h2><pre><code>KEY=$(gatehouse api-keys create --org acme-retail \
         --user owner@acme.test --name curl --scopes orders.read,analytics.view,analytics.view_sales)\n\
         curl -s -H \"Authorization: Bearer $KEY\" http://127.0.0.1:3000/v1/orders?limit=5\n\
         curl -s -H \"Authorization: Bearer $KEY\" \\\n  \"http://127.0.0.1:3000/v1/analytics/sales_daily?start=2026-11-01&amp;end=2026-11-07\"</code></pre>\
         <p>Keys are accepted only as <code>Authorization: Bearer</code>; a key in the address is refused (400). \
         Every answer carries <code>RateLimit-Policy</code> and <code>RateLimit</code>; over the limit, 429 with \
         <code>Retry-After</code>. POSTs accept an <code>Idempotency-Key</code> (kept 24 hours; the same key \
         with another body is 422). Errors are <code>application/problem+json</code> with a stable \
         <code>code</code>.</p></section>",
        text(info.get("title")),
        text(info.get("title")),
        text(info.get("version")),
        text(info.get("description")),
        text(document.get("openapi")),
    );
    html.push_str("<section class=\"card\"><h2>Endpoints</h2>");
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, operation) in item {
                let _ = write!(
                    html,
                    "<h3 id=\"{}-{}\"><code>{} {}</code></h3><p>{}</p>",
                    escape(method),
                    escape(&path.replace(['/', '{', '}'], "-")),
                    escape(&method.to_uppercase()),
                    escape(path),
                    text(operation.get("description").or(operation.get("summary"))),
                );
                if let Some(parameters) = operation.get("parameters").and_then(Value::as_array) {
                    html.push_str("<table class=\"table\"><thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>");
                    for p in parameters {
                        let _ = write!(
                            html,
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            text(p.get("name")),
                            if p.get("required").and_then(Value::as_bool) == Some(true) { " (required)" } else { "" },
                            text(p.get("in")),
                            p.get("schema").map(schema_name).unwrap_or_default(),
                            text(p.get("description")),
                        );
                    }
                    html.push_str("</tbody></table>");
                }
                if let Some(body) = operation.pointer("/requestBody/content/application~1json/schema") {
                    let _ = write!(html, "<p>Body (JSON): {}</p>", schema_name(body));
                }
                if let Some(responses) = operation.get("responses").and_then(Value::as_object) {
                    html.push_str("<ul>");
                    for (status, response) in responses {
                        let schema = response
                            .get("content")
                            .and_then(Value::as_object)
                            .and_then(|c| c.values().next())
                            .and_then(|c| c.get("schema"))
                            .map(schema_name)
                            .unwrap_or_default();
                        let _ = write!(
                            html,
                            "<li><code>{}</code> {} {}</li>",
                            escape(status),
                            text(response.get("description")),
                            schema
                        );
                    }
                    html.push_str("</ul>");
                }
            }
        }
    }
    html.push_str("</section><section class=\"card\"><h2>Schemas</h2>");
    if let Some(schemas) = document.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let _ =
                write!(html, "<h3 id=\"schema-{0}\">{0}</h3><p>{1}</p>", escape(name), text(schema.get("description")));
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                html.push_str("<table class=\"table\"><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>");
                for (field, property) in properties {
                    let _ = write!(
                        html,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(field),
                        if required.contains(&field.as_str()) { "" } else { " (optional)" },
                        schema_name(property),
                        text(property.get("description")),
                    );
                }
                html.push_str("</tbody></table>");
            }
        }
    }
    html.push_str("</section></main></body></html>");
    html
}

/// `GET /docs/api`.
pub async fn api_docs_page() -> axum::response::Html<String> {
    let document = serde_json::to_value(super::openapi()).unwrap_or_default();
    axum::response::Html(render(&document))
}
