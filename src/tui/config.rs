//! The console's config file, `$XDG_CONFIG_HOME/warroom/config.toml`:
//!
//! ```toml
//! api = ["http://10.0.0.5:7700", "http://10.0.0.6:7700"]  # replicas, in order
//! token = "…"                       # or WARROOM_TOKEN / --token
//! theme = "colorblind"              # a built-in name or a path to a theme file
//! time_zone = "America/Los_Angeles" # the second clock in the header
//! notify = true                     # bell + OSC 9 on new critical alerts
//! mouse = true                      # false leaves text selectable
//! journal_dir = "/var/lib/warroom"  # the offline journal (default: $XDG_DATA_HOME/warroom)
//! [updates]                         # when the next public status update is due
//! sev1 = "30m"
//! sev2 = "60m"
//! sev3 = "off"
//! [keys]                           # the panes' keys
//! "ctrl-r" = "refresh"
//! [keys.modal]                     # one table per context: list, editor, form,
//! "y" = "execute"                  # modal, confirm, conflict, palette
//! ```
//!
//! Every key is optional; command-line flags win over the file. A file with
//! an unknown key or a bad value is refused, naming the file and the key.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use toml::{Table, Value};

use super::keymap::Override;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub api: Vec<String>,
    pub token: Option<String>,
    pub theme: Option<String>,
    pub time_zone: Option<Tz>,
    pub notify: Option<bool>,
    pub mouse: Option<bool>,
    /// `[keys]` and `[keys.<context>]` bindings, as written; checked by `Keymap`.
    pub keys: Vec<Override>,
    pub journal_dir: Option<PathBuf>,
    /// `[updates]`: the public update cadence per severity.
    pub update_every: super::settings::UpdateCadence,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {problem}")]
pub struct ConfigError {
    pub file: String,
    pub key: String,
    pub problem: String,
}

const KNOWN_KEYS: &str =
    "api, token, theme, time_zone, notify, mouse, journal_dir, [updates], [keys]";

impl Config {
    /// `$XDG_CONFIG_HOME/warroom/config.toml` (or the platform's config dir).
    pub fn default_path() -> Option<PathBuf> {
        xdg_dir("XDG_CONFIG_HOME", dirs::config_dir).map(|d| d.join("warroom").join("config.toml"))
    }

    /// The config at `path`; an absent file is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&file, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(ConfigError {
                file,
                key: "file".into(),
                problem: format!("cannot read it: {e}"),
            }),
        }
    }

    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let bad = |key: &str, problem: String| ConfigError {
            file: file.to_string(),
            key: key.to_string(),
            problem,
        };
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            bad(&format!("line {line}"), e.message().to_string())
        })?;
        let mut config = Config::default();
        for (key, value) in &table {
            match key.as_str() {
                "api" => {
                    config.api = match value {
                        Value::String(s) => s
                            .split(',')
                            .map(|u| u.trim().to_string())
                            .filter(|u| !u.is_empty())
                            .collect(),
                        Value::Array(items) => items
                            .iter()
                            .map(|v| v.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| bad(key, "must be a list of URLs (strings)".into()))?,
                        _ => return Err(bad(key, "must be a URL or a list of URLs".into())),
                    };
                    if let Some(url) = config
                        .api
                        .iter()
                        .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
                    {
                        return Err(bad(
                            key,
                            format!("'{url}' must start with http:// or https://"),
                        ));
                    }
                }
                "token" => {
                    config.token =
                        Some(string(value).ok_or_else(|| bad(key, "must be a string".into()))?)
                }
                "theme" => {
                    config.theme = Some(
                        string(value)
                            .ok_or_else(|| bad(key, "must be a theme name or a path".into()))?,
                    )
                }
                "time_zone" => {
                    let name = string(value).ok_or_else(|| {
                        bad(key, "must be a zone name like \"Europe/Paris\"".into())
                    })?;
                    config.time_zone = Some(parse_time_zone(&name).map_err(|p| bad(key, p))?);
                }
                "notify" => {
                    config.notify = Some(
                        boolean(value).ok_or_else(|| bad(key, "must be true or false".into()))?,
                    )
                }
                "mouse" => {
                    config.mouse = Some(
                        boolean(value).ok_or_else(|| bad(key, "must be true or false".into()))?,
                    )
                }
                "journal_dir" => {
                    let dir = string(value)
                        .filter(|d| Path::new(d).is_absolute())
                        .ok_or_else(|| bad(key, "must be an absolute directory path".into()))?;
                    config.journal_dir = Some(PathBuf::from(dir));
                }
                "updates" => {
                    let Value::Table(updates) = value else {
                        return Err(bad(
                            key,
                            "must be a table: [updates] then sev1 = \"30m\"".into(),
                        ));
                    };
                    for (name, every) in updates {
                        let at = format!("updates.{name}");
                        let every = string(every)
                            .as_deref()
                            .map(cadence)
                            .ok_or_else(|| {
                                bad(&at, "must be a duration like \"30m\" or \"off\"".into())
                            })?
                            .map_err(|p| bad(&at, p))?;
                        let slot = match name.as_str() {
                            "sev1" => &mut config.update_every.sev1,
                            "sev2" => &mut config.update_every.sev2,
                            "sev3" => &mut config.update_every.sev3,
                            "sev4" => &mut config.update_every.sev4,
                            _ => return Err(bad(&at, "unknown severity (sev1..sev4)".into())),
                        };
                        *slot = every;
                    }
                }
                "keys" => {
                    let Value::Table(keys) = value else {
                        return Err(bad(
                            key,
                            "must be a table: [keys] then \"ctrl-r\" = \"refresh\"".into(),
                        ));
                    };
                    for (name, value) in keys {
                        match value {
                            // `[keys.modal]`: the bindings of one context.
                            Value::Table(inner) => {
                                for (key_name, action) in inner {
                                    let action = string(action).ok_or_else(|| {
                                        bad(
                                            &format!("keys.{name}.\"{key_name}\""),
                                            "must be an action name (a string)".into(),
                                        )
                                    })?;
                                    config
                                        .keys
                                        .push(Override::new(Some(name), key_name, &action));
                                }
                            }
                            other => {
                                let action = string(other).ok_or_else(|| {
                                    bad(
                                        &format!("keys.\"{name}\""),
                                        "must be an action name (a string)".into(),
                                    )
                                })?;
                                config.keys.push(Override::new(None, name, &action));
                            }
                        }
                    }
                }
                _ => return Err(bad(key, format!("unknown key (known: {KNOWN_KEYS})"))),
            }
        }
        Ok(config)
    }
}

/// `"30m"`, `"1h"`, `"90s"`, or `"off"` (no update is ever due).
fn cadence(text: &str) -> Result<Option<chrono::TimeDelta>, String> {
    let text = text.trim();
    if text == "off" {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration like \"30m\" or \"off\""))?;
    let delta = match unit {
        "s" => chrono::TimeDelta::try_seconds(n),
        "m" => chrono::TimeDelta::try_minutes(n),
        "h" => chrono::TimeDelta::try_hours(n),
        _ => None,
    }
    .filter(|d| *d > chrono::TimeDelta::zero())
    .ok_or_else(|| format!("'{text}' is not a duration like \"30m\" or \"off\""))?;
    Ok(Some(delta))
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn boolean(value: &Value) -> Option<bool> {
    value.as_bool()
}

/// An IANA zone name (`America/Los_Angeles`, `UTC`).
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone '{name}' (use an IANA name like \"America/Los_Angeles\")")
    })
}

/// The machine's zone: `TZ`, then /etc/timezone, then the /etc/localtime
/// link; UTC when none names a known zone.
pub fn local_time_zone() -> Tz {
    let from_env = std::env::var("TZ")
        .ok()
        .map(|tz| tz.trim_start_matches(':').to_string());
    let from_file = || {
        std::fs::read_to_string("/etc/timezone")
            .ok()
            .map(|s| s.trim().to_string())
    };
    let from_link = || {
        let target = std::fs::read_link("/etc/localtime").ok()?;
        let text = target.to_string_lossy().into_owned();
        text.split_once("zoneinfo/")
            .map(|(_, zone)| zone.to_string())
    };
    [from_env, from_file(), from_link()]
        .into_iter()
        .flatten()
        .find_map(|name| name.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

/// `$<var>/warroom`-style base dirs: the XDG variable when set and absolute,
/// else the platform's directory.
pub fn xdg_dir(var: &str, fallback: fn() -> Option<PathBuf>) -> Option<PathBuf> {
    std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses() {
        let text = r#"
api = ["http://a:7700", "http://b:7700"]
token = "secret-token-123456"
theme = "light"
time_zone = "America/Los_Angeles"
notify = false
mouse = false
[keys]
"ctrl-r" = "refresh"
x = "quit"
"#;
        let config = Config::parse("config.toml", text).expect("valid");
        assert_eq!(config.api, vec!["http://a:7700", "http://b:7700"]);
        assert_eq!(config.time_zone, Some(chrono_tz::America::Los_Angeles));
        assert_eq!(config.notify, Some(false));
        assert_eq!(config.mouse, Some(false));
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert_eq!(
            config.keys,
            vec![
                Override::new(None, "ctrl-r", "refresh"),
                Override::new(None, "x", "quit"),
            ]
        );
    }

    #[test]
    fn api_may_be_a_comma_separated_string() {
        let config = Config::parse("c.toml", "api = \"http://a:1, http://b:2\"").expect("valid");
        assert_eq!(config.api, vec!["http://a:1", "http://b:2"]);
    }

    #[test]
    fn bad_files_are_refused_with_file_key_and_problem() {
        let cases = [
            ("theem = \"light\"", "theem", "unknown key"),
            ("notify = \"yes\"", "notify", "true or false"),
            (
                "time_zone = \"Mars/Olympus\"",
                "time_zone",
                "unknown time zone 'Mars/Olympus'",
            ),
            ("api = [\"ftp://x\"]", "api", "must start with http://"),
            ("[keys]\nq = 3", "keys.\"q\"", "action name"),
            ("mouse = ", "line 1", ""),
        ];
        for (text, key, problem) in cases {
            let error = Config::parse("/home/u/.config/warroom/config.toml", text).expect_err(text);
            assert_eq!(error.key, key, "{text}");
            assert!(error.problem.contains(problem), "{text}: {}", error.problem);
            assert!(
                error
                    .to_string()
                    .starts_with("/home/u/.config/warroom/config.toml: "),
                "{error}"
            );
        }
    }

    #[test]
    fn a_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            Config::load(&dir.path().join("none.toml")),
            Ok(Config::default())
        );
    }
}
