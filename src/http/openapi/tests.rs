//! The assembled document: both listeners, and each class rule reaching its operations.
use super::*;

fn json() -> serde_json::Value {
    serde_json::to_value(document()).unwrap_or_default()
}

#[test]
fn is_openapi_3_1_with_both_listeners() {
    let doc = json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for path in [
        "/v1/resolve",
        "/v1/admin/releases",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
}

#[test]
fn operations_taking_a_token_answer_401_and_every_operation_408_431_500() {
    let doc = json();
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    let mut secured = 0;
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let responses = &op["responses"];
            for status in ["408", "431", "500"] {
                assert!(responses.get(status).is_some(), "{method} {path}: {status}");
            }
            let security = op["security"].as_array().cloned().unwrap_or_default();
            // `{}` among the requirements: the token is optional.
            let optional = security.iter().any(|r| r == &serde_json::json!({}));
            let required = !security.is_empty() && !optional;
            // The admin API always takes a token; reports take an app's report token
            // when it has one; nothing else takes one.
            let is_admin_api = path.starts_with("/v1/admin/");
            assert_eq!(is_admin_api, required, "{method} {path}: security");
            let is_report = (path.as_str(), method.as_str()) == ("/v1/report", "post");
            assert_eq!(is_report, optional, "{method} {path}: optional security");
            assert_eq!(
                !security.is_empty(),
                responses.get("401").is_some(),
                "{method} {path}: 401 where a token is taken, and only there"
            );
            if optional {
                for status in ["403", "503"] {
                    assert!(responses.get(status).is_none(), "{method} {path}: {status}");
                }
            }
            secured += usize::from(required);
        }
    }
    assert_eq!(secured, 25, "secured operations");
}

#[test]
fn class_rules_reach_their_operations() {
    let doc = json();
    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    let action = op("/v1/admin/releases/{id}/{action}", "post");
    let etag = &action["responses"]["200"]["headers"]["ETag"];
    assert!(etag.is_object(), "release answers carry an ETag: {action}");
    for status in ["403", "412", "503"] {
        assert!(action["responses"][status].is_object(), "{status}");
    }
    let put_app = op("/v1/admin/apps/{app}", "put");
    let names: Vec<_> = put_app["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["name"].clone())
        .collect();
    assert!(names.contains(&serde_json::json!("If-Match")), "{names:?}");
    assert!(put_app["responses"]["412"].is_object());
    let read = op("/v1/admin/releases", "get");
    for status in ["403", "412", "503"] {
        assert!(
            read["responses"][status].is_null(),
            "a read has no {status}"
        );
    }
    let forbidden = &action["responses"]["403"]["description"];
    assert!(
        forbidden
            .as_str()
            .is_some_and(|d| d.contains("self_approval"))
    );
}

#[test]
fn an_optional_body_may_be_left_out_but_is_never_null() {
    let doc = json();
    let body = &doc["paths"]["/v1/admin/releases/{id}/{action}"]["post"]["requestBody"];
    assert_eq!(body["required"], false, "{body}");
    let schema = &body["content"]["application/json"]["schema"];
    assert_eq!(
        schema["$ref"], "#/components/schemas/ActionBody",
        "{schema}"
    );
}
