//! Settings fixed when the console starts (flags and config file). A leaf.

use chrono::TimeDelta;
use chrono_tz::Tz;

use crate::model::Severity;

/// What the demo badge says.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLabel {
    pub scenario: Option<String>,
    pub speed: f64,
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_urls: Vec<String>,
    pub time_zone: Tz,
    pub demo: Option<DemoLabel>,
    pub read_only: bool,
    pub theme_name: String,
    /// Where `export_postmortem` writes drafts.
    pub export_dir: std::path::PathBuf,
    /// The directory of the offline journal (`None`: no journal, writes
    /// that cannot reach the API fail instead of waiting).
    pub journal_dir: Option<std::path::PathBuf>,
    /// How long after a public update the next one is due, per severity.
    pub update_every: UpdateCadence,
}

/// How often public status updates are due, per severity (`None`: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateCadence {
    pub sev1: Option<TimeDelta>,
    pub sev2: Option<TimeDelta>,
    pub sev3: Option<TimeDelta>,
    pub sev4: Option<TimeDelta>,
}

impl Default for UpdateCadence {
    fn default() -> Self {
        UpdateCadence {
            sev1: Some(TimeDelta::minutes(30)),
            sev2: Some(TimeDelta::minutes(60)),
            sev3: None,
            sev4: None,
        }
    }
}

impl UpdateCadence {
    pub fn for_severity(&self, severity: Severity) -> Option<TimeDelta> {
        match severity {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_urls: Vec::new(),
            time_zone: Tz::UTC,
            demo: None,
            read_only: false,
            theme_name: "default".into(),
            export_dir: dirs::data_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("warroom")
                .join("postmortems"),
            journal_dir: None,
            update_every: UpdateCadence::default(),
        }
    }
}
