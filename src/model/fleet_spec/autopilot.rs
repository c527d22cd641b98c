//! The fleet file's optional `[autopilot]` section: which alert kinds the
//! autopilot may answer by itself, and the guardrails it keeps (DESIGN.md
//! §4). Absent, or `enabled = false`, it does nothing.
//!
//! ```toml
//! [autopilot]
//! enabled = true
//! dry_run = false                  # record what it would have done, do nothing
//! kinds = ["server_down", "switch_suspect"]   # opt-in per alert kind
//! block_s = 3600                   # no automatic action on a target for this long after one
//! max_servers_per_action = 2
//! max_sites_per_action = 60
//! max_servers_per_hour = 6
//! max_sites_per_hour = 200
//! open_incident = true             # open an incident when none is open
//! failback = false                 # may it fail back by itself (never to a flapping server)
//! ```

use serde::Deserialize;

use super::{Checker, FleetFileError};
use crate::model::AlertKind;

/// The longest block period the file may ask for: a week.
const MAX_BLOCK_S: u64 = 7 * 24 * 3600;

/// `[autopilot]`, checked. [`Default`]: off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutopilotSpec {
    pub enabled: bool,
    pub dry_run: bool,
    /// The alert kinds it may act on; empty: none.
    pub kinds: Vec<AlertKind>,
    /// Seconds (the orchestrator's clock) during which a target acted on
    /// automatically is not acted on automatically again.
    pub block_s: u64,
    pub max_servers_per_action: u32,
    pub max_sites_per_action: u32,
    pub max_servers_per_hour: u32,
    pub max_sites_per_hour: u32,
    pub open_incident: bool,
    pub failback: bool,
}

impl Default for AutopilotSpec {
    fn default() -> Self {
        AutopilotSpec {
            enabled: false,
            dry_run: false,
            kinds: Vec::new(),
            block_s: 3600,
            max_servers_per_action: 2,
            max_sites_per_action: 60,
            max_servers_per_hour: 6,
            max_sites_per_hour: 200,
            open_incident: true,
            failback: false,
        }
    }
}

// ---- the section as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAutopilot {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    kinds: Option<Vec<String>>,
    #[serde(default)]
    block_s: Option<u64>,
    #[serde(default)]
    max_servers_per_action: Option<u32>,
    #[serde(default)]
    max_sites_per_action: Option<u32>,
    #[serde(default)]
    max_servers_per_hour: Option<u32>,
    #[serde(default)]
    max_sites_per_hour: Option<u32>,
    #[serde(default)]
    open_incident: Option<bool>,
    #[serde(default)]
    failback: Option<bool>,
}

impl RawAutopilot {
    pub(super) fn check(self, c: &Checker) -> Result<AutopilotSpec, FleetFileError> {
        let d = AutopilotSpec::default();
        let mut kinds = Vec::new();
        for (i, name) in self.kinds.unwrap_or_default().iter().enumerate() {
            let field = format!("autopilot.kinds[{i}]");
            let actionable: Vec<AlertKind> = AlertKind::ALL
                .into_iter()
                .filter(|k| *k != AlertKind::AutopilotHeld)
                .collect();
            let Some(kind) = actionable.iter().copied().find(|k| k.as_str() == name) else {
                let known: Vec<&str> = actionable.iter().map(|k| k.as_str()).collect();
                return Err(c.err(
                    field,
                    format!(
                        "'{name}' is not an alert kind the autopilot can act on; use one of {}",
                        known.join(", ")
                    ),
                ));
            };
            if kinds.contains(&kind) {
                return Err(c.err(field, format!("'{name}' is listed twice")));
            }
            kinds.push(kind);
        }
        let block_s = self.block_s.unwrap_or(d.block_s);
        if !(1..=MAX_BLOCK_S).contains(&block_s) {
            return Err(c.err(
                "autopilot.block_s",
                format!("must be from 1 to {MAX_BLOCK_S} seconds (a week)"),
            ));
        }
        let at_least_one = |field: &str, value: Option<u32>, default: u32| match value {
            Some(0) => Err(c.err(format!("autopilot.{field}"), "must be at least 1")),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let max_servers_per_action = at_least_one(
            "max_servers_per_action",
            self.max_servers_per_action,
            d.max_servers_per_action,
        )?;
        let max_sites_per_action = at_least_one(
            "max_sites_per_action",
            self.max_sites_per_action,
            d.max_sites_per_action,
        )?;
        let max_servers_per_hour = at_least_one(
            "max_servers_per_hour",
            self.max_servers_per_hour,
            d.max_servers_per_hour.max(max_servers_per_action),
        )?;
        let max_sites_per_hour = at_least_one(
            "max_sites_per_hour",
            self.max_sites_per_hour,
            d.max_sites_per_hour.max(max_sites_per_action),
        )?;
        if max_servers_per_hour < max_servers_per_action {
            return Err(c.err(
                "autopilot.max_servers_per_hour",
                format!(
                    "must be at least max_servers_per_action ({max_servers_per_action}): one action may not exceed the hour's budget"
                ),
            ));
        }
        if max_sites_per_hour < max_sites_per_action {
            return Err(c.err(
                "autopilot.max_sites_per_hour",
                format!(
                    "must be at least max_sites_per_action ({max_sites_per_action}): one action may not exceed the hour's budget"
                ),
            ));
        }
        Ok(AutopilotSpec {
            enabled: self.enabled.unwrap_or(d.enabled),
            dry_run: self.dry_run.unwrap_or(d.dry_run),
            kinds,
            block_s,
            max_servers_per_action,
            max_sites_per_action,
            max_servers_per_hour,
            max_sites_per_hour,
            open_incident: self.open_incident.unwrap_or(d.open_incident),
            failback: self.failback.unwrap_or(d.failback),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{AlertKind, FleetSpec};

    const SMALL: &str = r#"
service = "Test"
[[switch]]
id = "sw-1"
[[server]]
id = "app-1"
role = "app"
switch = "sw-1"
capacity = 2
"#;

    fn parse(section: &str) -> Result<FleetSpec, crate::model::FleetFileError> {
        FleetSpec::parse("f.toml", &format!("{SMALL}\n[autopilot]\n{section}"))
    }

    #[test]
    fn absent_is_off_with_the_documented_defaults() {
        let spec = FleetSpec::parse("f.toml", SMALL).unwrap();
        let a = spec.autopilot;
        assert!(!a.enabled && !a.dry_run && !a.failback && a.open_incident);
        assert!(a.kinds.is_empty());
        assert_eq!(a.block_s, 3600);
        assert_eq!(
            (
                a.max_servers_per_action,
                a.max_sites_per_action,
                a.max_servers_per_hour,
                a.max_sites_per_hour
            ),
            (2, 60, 6, 200)
        );
    }

    #[test]
    fn every_key_is_read() {
        let spec = parse(
            "enabled = true\ndry_run = true\nkinds = [\"server_down\", \"switch_suspect\"]\nblock_s = 60\n\
             max_servers_per_action = 3\nmax_sites_per_action = 20\nmax_servers_per_hour = 4\n\
             max_sites_per_hour = 30\nopen_incident = false\nfailback = true\n",
        )
        .unwrap();
        let a = spec.autopilot;
        assert!(a.enabled && a.dry_run && a.failback && !a.open_incident);
        assert_eq!(a.kinds, [AlertKind::ServerDown, AlertKind::SwitchSuspect]);
        assert_eq!(a.block_s, 60);
        assert_eq!(
            (
                a.max_servers_per_action,
                a.max_sites_per_action,
                a.max_servers_per_hour,
                a.max_sites_per_hour
            ),
            (3, 20, 4, 30)
        );
    }

    #[test]
    fn a_large_per_action_cap_raises_the_default_hourly_one() {
        let a = parse("max_sites_per_action = 500\n").unwrap().autopilot;
        assert_eq!(a.max_sites_per_hour, 500);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (section, field) in [
            ("kinds = [\"server_gone\"]", "autopilot.kinds[0]"),
            ("kinds = [\"autopilot_held\"]", "autopilot.kinds[0]"),
            (
                "kinds = [\"server_down\", \"server_down\"]",
                "autopilot.kinds[1]",
            ),
            ("block_s = 0", "autopilot.block_s"),
            (
                "max_servers_per_action = 0",
                "autopilot.max_servers_per_action",
            ),
            ("max_sites_per_hour = 0", "autopilot.max_sites_per_hour"),
            (
                "max_servers_per_action = 5\nmax_servers_per_hour = 4",
                "autopilot.max_servers_per_hour",
            ),
            (
                "max_sites_per_action = 50\nmax_sites_per_hour = 10",
                "autopilot.max_sites_per_hour",
            ),
        ] {
            let err = parse(section).unwrap_err();
            assert_eq!(err.field, field, "{section}: {err}");
        }
        let err = parse("kinds = [\"server_gone\"]").unwrap_err();
        assert!(err.problem.contains("server_down"), "{err}");
        let err = parse("enable = true").unwrap_err();
        assert!(err.problem.contains("enable"), "{err}");
    }
}
