use super::*;

const SMALL: &str = r#"
service = "Test"
[[switch]]
id = "sw-1"
[[server]]
id = "app-1"
role = "app"
switch = "sw-1"
capacity = 2
[[site]]
id = "s1"
home = "app-1"
"#;

#[test]
fn parses_a_small_fleet() {
    let spec = FleetSpec::parse("small.toml", SMALL).unwrap();
    assert_eq!(spec.servers.len(), 1);
    assert_eq!(spec.sites[0].name, "s1");
    assert!(!spec.is_probed());
}

#[test]
fn unknown_switch_names_the_field() {
    let text = SMALL.replace("switch = \"sw-1\"", "switch = \"sw-9\"");
    let err = FleetSpec::parse("f.toml", &text).unwrap_err();
    assert_eq!(err.field, "server[0].switch");
    assert!(
        err.to_string().starts_with("f.toml: server[0].switch:"),
        "{err}"
    );
}

#[test]
fn over_capacity_is_refused() {
    let text = format!(
        "{SMALL}\n[[site]]\nid = \"s2\"\nhome = \"app-1\"\n[[site]]\nid = \"s3\"\nhome = \"app-1\"\n"
    );
    let err = FleetSpec::parse("f.toml", &text).unwrap_err();
    assert_eq!(err.field, "site[2].home");
}

#[test]
fn bad_role_names_the_line() {
    let text = SMALL.replace("role = \"app\"", "role = \"banana\"");
    let err = FleetSpec::parse("f.toml", &text).unwrap_err();
    assert!(err.field.starts_with("line "), "{err}");
    assert!(
        err.problem.contains("banana") || err.problem.contains("variant"),
        "{err}"
    );
}

#[test]
fn probe_needs_exactly_one_target() {
    let text = SMALL.replace(
        "capacity = 2",
        "capacity = 2\nprobe = { interval_ms = 100 }",
    );
    let err = FleetSpec::parse("f.toml", &text).unwrap_err();
    assert_eq!(err.field, "server[0].probe");
}

#[test]
fn runbooks_link_alert_kinds_and_refuse_what_is_not_a_link_or_a_kind() {
    let text =
        format!("{SMALL}[runbooks]\nserver_down = \"https://wiki.example/runbooks/server-down\"\n");
    let spec = FleetSpec::parse("f.toml", &text).unwrap();
    assert_eq!(
        spec.runbooks
            .get(&crate::model::AlertKind::ServerDown)
            .map(String::as_str),
        Some("https://wiki.example/runbooks/server-down")
    );
    let err = FleetSpec::parse(
        "f.toml",
        &format!("{SMALL}[runbooks]\nserver_gone = \"https://x\"\n"),
    )
    .unwrap_err();
    assert_eq!(err.field, "runbooks.server_gone");
    assert!(err.problem.contains("server_down"), "{err}");
    for url in ["ftp://x", "wiki/page", "https://a\\u001b[31m"] {
        let err = FleetSpec::parse(
            "f.toml",
            &format!("{SMALL}[runbooks]\ncache_down = \"{url}\"\n"),
        )
        .unwrap_err();
        assert_eq!(err.field, "runbooks.cache_down", "{url}");
    }
}
