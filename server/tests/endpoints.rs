//! Deny by default, proven: every registered server function is in the endpoint table,
//! every table entry exists, and the published matrix is the generated one.

use app::endpoints::{ENDPOINTS, Rule};
use std::collections::BTreeSet;

#[test]
fn every_registered_server_function_is_in_the_endpoint_table() {
    // Building the router registers nothing new; server functions register themselves.
    let registered: BTreeSet<String> = server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
    assert!(!registered.is_empty());
    let table: BTreeSet<String> = ENDPOINTS.iter().map(|e| e.path.to_string()).collect();
    let missing: Vec<_> = registered.difference(&table).collect();
    assert!(missing.is_empty(), "server functions without a rule in app/src/endpoints.rs: {missing:?}");
    // The only table entries that are not server functions are the plain routes.
    let extra: Vec<_> = table.difference(&registered).collect();
    let plain = [
        app::analytics::api::EXPORT_PATH,
        app::analytics::api::IMPORT_PATH,
        app::audit::api::CHECKPOINT_PATH,
        app::audit::api::EXPORT_PATH,
        app::finance::api::EXPORT_PATH,
    ];
    assert_eq!(extra, plain, "table entries that are not routes: {extra:?}");
}

#[test]
fn server_functions_are_post_only_with_stable_api_names() {
    for (path, method) in server_fn::axum::server_fn_paths() {
        assert_eq!(method, http::Method::POST, "{path}");
        assert!(path.starts_with("/api/"), "{path}");
        // A build-hash suffix would break open pages during a rolling deploy.
        assert!(!path.chars().any(|c| c.is_ascii_digit()), "{path} looks generated");
    }
}

#[test]
fn public_endpoints_say_why() {
    for e in ENDPOINTS {
        if let Rule::Public(reason) = e.rule {
            assert!(reason.len() > 10, "{} needs a real reason", e.path);
        }
    }
}

#[test]
fn published_privilege_matrix_is_current() {
    let published = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/privileges.md")).unwrap();
    assert_eq!(
        published,
        app::endpoints::privilege_matrix_markdown(),
        "docs/privileges.md is stale: run `gatehouse privileges > docs/privileges.md`"
    );
}
