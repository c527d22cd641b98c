//! The console's start-up checks, through the real binary: a bad config,
//! keymap or theme is refused before the terminal is touched, with a
//! message naming the file and the key.

use std::process::{Command, Output};

fn warroom(config: Option<&str>, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    if let Some(text) = config {
        let config_dir = dir.path().join("config").join("warroom");
        std::fs::create_dir_all(&config_dir).expect("mkdir");
        std::fs::write(config_dir.join("config.toml"), text).expect("write config");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env_remove("WARROOM_API")
        .env_remove("WARROOM_TOKEN")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run warroom");
    (output, dir)
}

fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty(), "nothing is drawn: {output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_key_bound_to_two_actions_is_refused_naming_the_key() {
    let config = "[keys]\n\"shift-tab\" = \"next_pane\"\nbacktab = \"quit\"\n";
    let (output, _dir) = warroom(Some(config), &["demo"]);
    let stderr = refused(&output);
    assert!(stderr.contains("config.toml"), "{stderr}");
    assert!(
        stderr.contains("'shift-tab'") && stderr.contains("'backtab'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("are the same key, bound to two actions"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_action_is_refused() {
    let (output, _dir) = warroom(Some("[keys]\n\"ctrl-r\" = \"refesh\"\n"), &["demo"]);
    let stderr = refused(&output);
    assert!(
        stderr.contains("keys.\"ctrl-r\": unknown action 'refesh'"),
        "{stderr}"
    );
}

#[test]
fn a_bad_config_key_is_refused_with_file_and_key() {
    let (output, _dir) = warroom(Some("theem = \"light\"\n"), &["demo"]);
    let stderr = refused(&output);
    assert!(
        stderr.contains("warroom/config.toml: theem: unknown key"),
        "{stderr}"
    );
}

#[test]
fn a_bad_theme_file_is_refused_with_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let theme = dir.path().join("mine.toml");
    std::fs::write(&theme, "[health]\ndown = { fg = \"purpel\" }\n").expect("write theme");
    let config = format!("theme = \"{}\"\n", theme.display());
    let (output, _dir) = warroom(Some(&config), &["demo"]);
    let stderr = refused(&output);
    assert!(
        stderr.contains("health.down.fg: unknown colour 'purpel'"),
        "{stderr}"
    );
}

#[test]
fn the_console_needs_an_api_url() {
    let (output, _dir) = warroom(None, &[]);
    let stderr = refused(&output);
    assert!(
        stderr.contains("no API URL") && stderr.contains("warroom demo"),
        "{stderr}"
    );
}
