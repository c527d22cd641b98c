//! The fleet file (`assets/fleets/*.toml`): switches, servers, cache,
//! database and sites, and optionally real probe targets. Parsing is pure:
//! the caller reads the file and passes its text and name.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::Role;

mod autopilot;
mod executor;
mod integrations;

pub use autopilot::AutopilotSpec;
pub use executor::{DriverKind, ExecDriverSpec, ExecutorSpec, HooksSpec, HttpDriverSpec};
pub use integrations::{
    AlertmanagerSpec, ChatSpec, ChatUrl, IntegrationsSpec, StatuspageSpec, WebhookSpec,
};

/// A fleet file, parsed and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSpec {
    pub service: String,
    pub probe_defaults: ProbeSettings,
    pub detection: DetectionSettings,
    pub switches: Vec<String>,
    pub servers: Vec<ServerSpec>,
    pub cache: Option<ClusterSpec>,
    pub database: Option<ClusterSpec>,
    pub sites: Vec<SiteSpec>,
    /// `[executor]`: the defaults when the file has no such section.
    pub executor: ExecutorSpec,
    /// `[runbooks]`: a link per alert kind, shown with the alert.
    pub runbooks: std::collections::BTreeMap<crate::model::AlertKind, String>,
    /// `[integrations]`: Alertmanager in; status page, webhook and chat out.
    pub integrations: IntegrationsSpec,
    /// `[autopilot]`: off when absent.
    pub autopilot: AutopilotSpec,
}

impl FleetSpec {
    /// True when every server names a real probe target; false when none do
    /// (the fleet is simulated). Mixed fleets are refused by `parse`.
    pub fn is_probed(&self) -> bool {
        self.servers.iter().any(|s| s.probe.is_some())
    }

    pub fn server(&self, id: &str) -> Option<&ServerSpec> {
        self.servers.iter().find(|s| s.id == id)
    }

    /// Probe settings in force for one server.
    pub fn probe_settings(&self, server: &ServerSpec) -> ProbeSettings {
        server
            .probe
            .as_ref()
            .map(|p| p.settings)
            .or(server.settings)
            .unwrap_or(self.probe_defaults)
    }

    /// Parse and check a fleet file. `file` names it in error messages.
    pub fn parse(file: &str, text: &str) -> Result<FleetSpec, FleetFileError> {
        let raw: RawFleet = toml::from_str(text).map_err(|e| FleetFileError {
            file: file.to_string(),
            field: e
                .span()
                .map(|span| format!("line {}", line_of(text, span.start)))
                .unwrap_or_else(|| "file".to_string()),
            problem: e.message().to_string(),
        })?;
        raw.check(file)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A refused fleet file: which file, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {problem}")]
pub struct FleetFileError {
    pub file: String,
    pub field: String,
    pub problem: String,
}

/// Probe timing and hysteresis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSettings {
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Successes in a row to come back up.
    #[serde(default = "default_rise")]
    pub rise: u32,
    /// Failures in a row to go down.
    #[serde(default = "default_fall")]
    pub fall: u32,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            interval_ms: default_interval_ms(),
            timeout_ms: default_timeout_ms(),
            rise: default_rise(),
            fall: default_fall(),
        }
    }
}

fn default_interval_ms() -> u64 {
    5_000
}
fn default_timeout_ms() -> u64 {
    2_000
}
fn default_rise() -> u32 {
    2
}
fn default_fall() -> u32 {
    3
}

/// Flapping and correlation thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectionSettings {
    /// More than this many transitions inside the window makes a node flapping.
    #[serde(default = "default_flap_transitions")]
    pub flap_transitions: u32,
    #[serde(default = "default_flap_window_s")]
    pub flap_window_s: u64,
}

impl Default for DetectionSettings {
    fn default() -> Self {
        DetectionSettings {
            flap_transitions: default_flap_transitions(),
            flap_window_s: default_flap_window_s(),
        }
    }
}

fn default_flap_transitions() -> u32 {
    3
}
fn default_flap_window_s() -> u64 {
    900
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    pub id: String,
    pub role: Role,
    pub switch: String,
    pub capacity: u32,
    pub probe: Option<ProbeSpec>,
    /// Probe timing for a simulated server, when it differs from the defaults.
    pub settings: Option<ProbeSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeTarget {
    /// GET the URL; any 2xx within the timeout is healthy.
    Http(String),
    /// Connect to `host:port` within the timeout.
    Tcp(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub target: ProbeTarget,
    pub settings: ProbeSettings,
}

/// A cache or database cluster: one active node (writer) and its standbys (replicas).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub active: String,
    pub standby: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    pub id: String,
    pub name: String,
    pub home: String,
}

// ---- the file as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    service: String,
    #[serde(default)]
    probe_defaults: Option<ProbeSettings>,
    #[serde(default)]
    detection: Option<DetectionSettings>,
    #[serde(default, rename = "switch")]
    switches: Vec<RawSwitch>,
    #[serde(default, rename = "server")]
    servers: Vec<RawServer>,
    #[serde(default)]
    cache: Option<RawCache>,
    #[serde(default)]
    database: Option<RawDatabase>,
    #[serde(default, rename = "site")]
    sites: Vec<RawSite>,
    #[serde(default)]
    executor: Option<executor::RawExecutor>,
    #[serde(default)]
    runbooks: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    integrations: Option<integrations::RawIntegrations>,
    #[serde(default)]
    autopilot: Option<autopilot::RawAutopilot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSwitch {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    id: String,
    role: Role,
    switch: String,
    #[serde(default)]
    capacity: u32,
    #[serde(default)]
    probe: Option<RawProbe>,
    #[serde(default)]
    interval_ms: Option<u64>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    rise: Option<u32>,
    #[serde(default)]
    fall: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    #[serde(default)]
    http: Option<String>,
    #[serde(default)]
    tcp: Option<String>,
    #[serde(default)]
    interval_ms: Option<u64>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    rise: Option<u32>,
    #[serde(default)]
    fall: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    active: String,
    #[serde(default)]
    standby: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    writer: String,
    #[serde(default)]
    replicas: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    id: String,
    #[serde(default)]
    name: Option<String>,
    home: String,
}

struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, problem: impl Into<String>) -> FleetFileError {
        FleetFileError {
            file: self.file.to_string(),
            field: field.into(),
            problem: problem.into(),
        }
    }

    fn id(&self, field: &str, id: &str) -> Result<(), FleetFileError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(())
        } else {
            Err(self.err(
                field,
                format!("'{id}' is not a valid id (1-64 of letters, digits, '-', '_', '.')"),
            ))
        }
    }

    fn settings(
        &self,
        field: &str,
        base: ProbeSettings,
        interval_ms: Option<u64>,
        timeout_ms: Option<u64>,
        rise: Option<u32>,
        fall: Option<u32>,
    ) -> Result<ProbeSettings, FleetFileError> {
        let s = ProbeSettings {
            interval_ms: interval_ms.unwrap_or(base.interval_ms),
            timeout_ms: timeout_ms.unwrap_or(base.timeout_ms),
            rise: rise.unwrap_or(base.rise),
            fall: fall.unwrap_or(base.fall),
        };
        self.check_settings(field, s)?;
        Ok(s)
    }

    fn check_settings(&self, field: &str, s: ProbeSettings) -> Result<(), FleetFileError> {
        if s.interval_ms < 10 {
            return Err(self.err(format!("{field}.interval_ms"), "must be at least 10"));
        }
        if s.timeout_ms == 0 || s.timeout_ms > s.interval_ms {
            return Err(self.err(
                format!("{field}.timeout_ms"),
                format!(
                    "must be between 1 and interval_ms ({}), got {}",
                    s.interval_ms, s.timeout_ms
                ),
            ));
        }
        if s.rise == 0 {
            return Err(self.err(format!("{field}.rise"), "must be at least 1"));
        }
        if s.fall == 0 {
            return Err(self.err(format!("{field}.fall"), "must be at least 1"));
        }
        Ok(())
    }
}

impl RawFleet {
    fn check(self, file: &str) -> Result<FleetSpec, FleetFileError> {
        let c = Checker { file };
        if self.service.trim().is_empty() {
            return Err(c.err("service", "must not be empty"));
        }
        let probe_defaults = self.probe_defaults.unwrap_or_default();
        c.check_settings("probe_defaults", probe_defaults)?;
        let detection = self.detection.unwrap_or_default();
        if detection.flap_transitions == 0 {
            return Err(c.err("detection.flap_transitions", "must be at least 1"));
        }
        if detection.flap_window_s == 0 {
            return Err(c.err("detection.flap_window_s", "must be at least 1"));
        }

        let mut switches = Vec::new();
        let mut switch_ids = BTreeSet::new();
        for (i, sw) in self.switches.iter().enumerate() {
            c.id(&format!("switch[{i}].id"), &sw.id)?;
            if !switch_ids.insert(sw.id.clone()) {
                return Err(c.err(
                    format!("switch[{i}].id"),
                    format!("duplicate switch '{}'", sw.id),
                ));
            }
            switches.push(sw.id.clone());
        }
        if switches.is_empty() {
            return Err(c.err("switch", "at least one [[switch]] is required"));
        }

        let mut servers = Vec::new();
        let mut server_ids = BTreeMap::new();
        for (i, s) in self.servers.into_iter().enumerate() {
            let field = format!("server[{i}]");
            c.id(&format!("{field}.id"), &s.id)?;
            if server_ids.insert(s.id.clone(), s.role).is_some() {
                return Err(c.err(
                    format!("{field}.id"),
                    format!("duplicate server '{}'", s.id),
                ));
            }
            if !switch_ids.contains(&s.switch) {
                return Err(c.err(
                    format!("{field}.switch"),
                    format!("server '{}' names unknown switch '{}'", s.id, s.switch),
                ));
            }
            let hosts_sites = matches!(s.role, Role::App | Role::Failover);
            if hosts_sites && s.capacity == 0 {
                return Err(c.err(
                    format!("{field}.capacity"),
                    format!(
                        "{} server '{}' needs a capacity above 0",
                        s.role.as_str(),
                        s.id
                    ),
                ));
            }
            if !hosts_sites && s.capacity != 0 {
                return Err(c.err(
                    format!("{field}.capacity"),
                    format!(
                        "only app and failover servers host sites; '{}' is {}",
                        s.id,
                        s.role.as_str()
                    ),
                ));
            }
            let probe = match s.probe {
                None => None,
                Some(p) => {
                    let target = match (p.http, p.tcp) {
                        (Some(url), None) => {
                            if !(url.starts_with("http://") || url.starts_with("https://")) {
                                return Err(c.err(
                                    format!("{field}.probe.http"),
                                    format!("'{url}' is not an http:// or https:// URL"),
                                ));
                            }
                            ProbeTarget::Http(url)
                        }
                        (None, Some(addr)) => {
                            let valid = addr.rsplit_once(':').is_some_and(|(host, port)| {
                                !host.is_empty() && port.parse::<u16>().is_ok()
                            });
                            if !valid {
                                return Err(c.err(
                                    format!("{field}.probe.tcp"),
                                    format!("'{addr}' is not host:port"),
                                ));
                            }
                            ProbeTarget::Tcp(addr)
                        }
                        _ => {
                            return Err(c.err(
                                format!("{field}.probe"),
                                "give exactly one of `http = \"http://…\"` or `tcp = \"host:port\"`",
                            ));
                        }
                    };
                    let settings = c.settings(
                        &format!("{field}.probe"),
                        probe_defaults,
                        p.interval_ms.or(s.interval_ms),
                        p.timeout_ms.or(s.timeout_ms),
                        p.rise.or(s.rise),
                        p.fall.or(s.fall),
                    )?;
                    Some(ProbeSpec { target, settings })
                }
            };
            let overridden = s.interval_ms.is_some()
                || s.timeout_ms.is_some()
                || s.rise.is_some()
                || s.fall.is_some();
            let settings = if overridden {
                Some(c.settings(
                    &field,
                    probe_defaults,
                    s.interval_ms,
                    s.timeout_ms,
                    s.rise,
                    s.fall,
                )?)
            } else {
                None
            };
            servers.push(ServerSpec {
                id: s.id,
                role: s.role,
                switch: s.switch,
                capacity: s.capacity,
                probe,
                settings,
            });
        }
        if servers.is_empty() {
            return Err(c.err("server", "at least one [[server]] is required"));
        }
        let probed = servers.iter().filter(|s| s.probe.is_some()).count();
        if probed != 0 && probed != servers.len() {
            let missing = servers.iter().position(|s| s.probe.is_none()).unwrap_or(0);
            return Err(c.err(
                format!("server[{missing}].probe"),
                "either every server names a probe target (a real fleet) or none does (a simulated fleet)",
            ));
        }

        let cluster = |field: &str, role: Role, active: String, standby: Vec<String>| {
            let mut seen = BTreeSet::new();
            for (j, id) in std::iter::once(&active).chain(standby.iter()).enumerate() {
                let f = if j == 0 {
                    format!("{field}.active")
                } else {
                    format!("{field}.standby[{}]", j - 1)
                };
                match server_ids.get(id) {
                    None => return Err(c.err(f, format!("unknown server '{id}'"))),
                    Some(r) if *r != role => {
                        return Err(c.err(
                            f,
                            format!("'{id}' has role {}, expected {}", r.as_str(), role.as_str()),
                        ));
                    }
                    Some(_) => {}
                }
                if !seen.insert(id.clone()) {
                    return Err(c.err(f, format!("'{id}' is listed twice")));
                }
            }
            Ok(ClusterSpec { active, standby })
        };
        let cache = self
            .cache
            .map(|k| cluster("cache", Role::Cache, k.active, k.standby))
            .transpose()?;
        let database = self
            .database
            .map(|d| cluster("database", Role::Db, d.writer, d.replicas))
            .transpose()?;

        let mut sites = Vec::new();
        let mut site_ids = BTreeSet::new();
        let mut load: BTreeMap<&str, u32> = BTreeMap::new();
        for (i, s) in self.sites.into_iter().enumerate() {
            let field = format!("site[{i}]");
            c.id(&format!("{field}.id"), &s.id)?;
            if !site_ids.insert(s.id.clone()) {
                return Err(c.err(format!("{field}.id"), format!("duplicate site '{}'", s.id)));
            }
            let Some(home) = servers.iter().find(|srv| srv.id == s.home) else {
                return Err(c.err(
                    format!("{field}.home"),
                    format!("unknown server '{}'", s.home),
                ));
            };
            if home.role != Role::App {
                return Err(c.err(
                    format!("{field}.home"),
                    format!(
                        "'{}' is a {} server; a site's home must be an app server",
                        home.id,
                        home.role.as_str()
                    ),
                ));
            }
            let n = load.entry(home.id.as_str()).or_insert(0);
            *n += 1;
            if *n > home.capacity {
                return Err(c.err(
                    format!("{field}.home"),
                    format!(
                        "server '{}' is over its capacity of {}",
                        home.id, home.capacity
                    ),
                ));
            }
            sites.push(SiteSpec {
                name: s.name.unwrap_or_else(|| s.id.clone()),
                id: s.id,
                home: s.home,
            });
        }

        let executor = match self.executor {
            Some(raw) => raw.check(&c, probed != 0)?,
            None => ExecutorSpec::default(),
        };

        let mut runbooks = std::collections::BTreeMap::new();
        for (kind, url) in self.runbooks {
            let field = format!("runbooks.{kind}");
            let kind = crate::model::AlertKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| {
                    let known: Vec<&str> = crate::model::AlertKind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect();
                    c.err(
                        &field,
                        format!("not an alert kind; use one of {}", known.join(", ")),
                    )
                })?;
            let plain = !url.chars().any(char::is_control) && url.len() <= 2000;
            if !(plain && (url.starts_with("https://") || url.starts_with("http://"))) {
                return Err(c.err(
                    &field,
                    "must be an http:// or https:// link of at most 2000 characters",
                ));
            }
            runbooks.insert(kind, url);
        }

        let integrations = match self.integrations {
            Some(raw) => raw.check(&c)?,
            None => IntegrationsSpec::default(),
        };
        let autopilot = match self.autopilot {
            Some(raw) => raw.check(&c)?,
            None => AutopilotSpec::default(),
        };

        Ok(FleetSpec {
            service: self.service,
            probe_defaults,
            detection,
            switches,
            servers,
            cache,
            database,
            sites,
            executor,
            runbooks,
            integrations,
            autopilot,
        })
    }
}

#[cfg(test)]
mod tests;
