//! `warroom serve` refuses bad input with a message naming the file and the
//! field, a non-zero exit code, and never a panic.

use std::path::Path;
use std::time::Duration;

use crate::support::command::warroom_command;
use crate::support::serve_args::{serve_args, tokens_file_text};

const SMALL_FLEET: &str = r#"
service = "small"
[[switch]]
id = "sw-1"
[[server]]
id = "app-1"
role = "app"
switch = "sw-1"
capacity = 2
[[site]]
id = "site-1"
home = "app-1"
"#;

/// Runs `warroom` to its exit (at most 15 s) and returns (exit code, stderr).
async fn run(dir: &Path, args: &[String]) -> (Option<i32>, String) {
    let output = tokio::time::timeout(Duration::from_secs(15), warroom_command(dir, args).output())
        .await
        .unwrap_or_else(|_| panic!("warroom {args:?} did not exit: it accepted bad input"))
        .expect("run warroom");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("panicked at"),
        "warroom {args:?} panicked:\n{stderr}"
    );
    assert!(
        !output.status.success(),
        "warroom {args:?} succeeded on bad input:\n{stderr}"
    );
    (output.status.code(), stderr)
}

/// Writes the files of one case and returns the `serve` arguments.
fn case(dir: &Path, fleet: &str, tokens: &str, extra: &[&str]) -> (Vec<String>, String, String) {
    let fleet_path = dir.join("fleet.toml");
    let tokens_path = dir.join("tokens.toml");
    std::fs::write(&fleet_path, fleet).unwrap();
    std::fs::write(&tokens_path, tokens).unwrap();
    let args = serve_args(&fleet_path, &dir.join("warroom.db"), &tokens_path, extra);
    (
        args,
        fleet_path.display().to_string(),
        tokens_path.display().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_fleet_file_names_the_file_and_the_field() {
    let cases: &[(&str, String, &[&str])] = &[
        (
            "unknown switch",
            SMALL_FLEET.replace("switch = \"sw-1\"", "switch = \"sw-9\""),
            &["server[0].switch", "sw-9"],
        ),
        (
            "site over capacity",
            format!(
                "{SMALL_FLEET}[[site]]\nid = \"site-2\"\nhome = \"app-1\"\n[[site]]\nid = \"site-3\"\nhome = \"app-1\"\n"
            ),
            &["site[2].home", "capacity"],
        ),
        (
            "home not an app server",
            SMALL_FLEET.replace("home = \"app-1\"", "home = \"nowhere\""),
            &["site[0].home", "nowhere"],
        ),
        (
            "bad role",
            SMALL_FLEET.replace("role = \"app\"", "role = \"banana\""),
            &["line 7", "banana"],
        ),
        ("not TOML", "service = \n[[[".to_string(), &["line "]),
        ("no switch", "service = \"x\"\n".to_string(), &["switch"]),
    ];
    for (what, fleet, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (args, fleet_path, _) = case(dir.path(), fleet, &tokens_file_text(), &[]);
        let (code, stderr) = run(dir.path(), &args).await;
        assert_eq!(code, Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(&fleet_path),
            "{what}: the file is not named:\n{stderr}"
        );
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{what}: {needle:?} not named:\n{stderr}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_tokens_file_names_the_file_and_the_field() {
    let entry = |name: &str, role: &str, token: &str| {
        format!("[[token]]\nname = \"{name}\"\nrole = \"{role}\"\ntoken = \"{token}\"\n")
    };
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "short token",
            entry("ops", "viewer", "short"),
            vec!["token[0].token", "16"],
        ),
        (
            "empty name",
            entry(" ", "viewer", "aaaaaaaaaaaaaaaaaaaa"),
            vec!["token[0].name"],
        ),
        (
            "same token twice",
            format!(
                "{}{}",
                entry("a", "viewer", "aaaaaaaaaaaaaaaaaaaa"),
                entry("b", "commander", "aaaaaaaaaaaaaaaaaaaa")
            ),
            vec!["token[1].token"],
        ),
        ("no tokens", String::new(), vec!["token"]),
        // The field, or at least its line, must be named.
        (
            "unknown role",
            entry("ops", "admin", "aaaaaaaaaaaaaaaaaaaa"),
            vec!["admin", "commander"],
        ),
    ];
    for (what, tokens, needles) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let (args, _, tokens_path) = case(dir.path(), SMALL_FLEET, tokens, &[]);
        let (code, stderr) = run(dir.path(), &args).await;
        assert_eq!(code, Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(&tokens_path),
            "{what}: the file is not named:\n{stderr}"
        );
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{what}: {needle:?} not named:\n{stderr}"
            );
        }
        assert!(
            !stderr.contains("aaaaaaaaaaaaaaaaaaaa"),
            "{what}: a token reached the terminal:\n{stderr}"
        );
    }
}

/// An unknown role in a tokens file is refused naming what is wrong; it
/// must also say where (the `role` field or its line), as fleet file errors do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_role_names_its_field() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = "[[token]]\nname = \"ops\"\nrole = \"admin\"\ntoken = \"aaaaaaaaaaaaaaaaaaaa\"\n";
    let (args, _, _) = case(dir.path(), SMALL_FLEET, tokens, &[]);
    let (_, stderr) = run(dir.path(), &args).await;
    assert!(
        stderr.contains("role") || stderr.contains("line 3"),
        "neither the field nor its line is named:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_bad_arguments_are_refused_without_a_panic() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "unknown scenario",
            &["--scenario", "no-such-scenario"],
            &["no-such-scenario"],
        ),
        ("speed zero", &["--speed", "0"], &["speed"]),
        ("negative speed", &["--speed=-5"], &["speed"]),
        (
            "scenario for another fleet",
            &["--scenario", "switch-2017"],
            &["switch-2017"],
        ),
    ];
    for (what, extra, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (args, _, _) = case(dir.path(), SMALL_FLEET, &tokens_file_text(), extra);
        let (_, stderr) = run(dir.path(), &args).await;
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{what}: {needle:?} not named:\n{stderr}"
            );
        }
    }
    // A database URL of an unsupported kind.
    let dir = tempfile::tempdir().unwrap();
    let (mut args, _, _) = case(dir.path(), SMALL_FLEET, &tokens_file_text(), &[]);
    let db = args.iter().position(|a| a == "--db").unwrap() + 1;
    args[db] = "mysql://localhost/warroom".into();
    let (_, stderr) = run(dir.path(), &args).await;
    assert!(
        stderr.contains("mysql") && stderr.contains("postgres://"),
        "the scheme and the accepted ones are named: {stderr}"
    );
    // A missing fleet file.
    let dir = tempfile::tempdir().unwrap();
    let (mut args, _, _) = case(dir.path(), SMALL_FLEET, &tokens_file_text(), &[]);
    let fleet = args.iter().position(|a| a == "--fleet").unwrap() + 1;
    args[fleet] = dir.path().join("missing.toml").display().to_string();
    let (_, stderr) = run(dir.path(), &args).await;
    assert!(stderr.contains("missing.toml"), "{stderr}");
}
