//! Scenario files (`assets/scenarios/*.toml`): a fault script on the sim
//! clock plus the responses a drill plays. Parsing never panics; every error
//! names the file, the item (`step[3].at`) and what is wrong.
//!
//! ```toml
//! name = "switch-2017"
//! description = "..."
//! start = "2017-09-11T22:15:00Z"   # real-world start, informational
//! [[step]]
//! at = "+0m"                        # +45m, +1h20m, +90s, +0s
//! fault = "server_down"             # a FaultKind, snake_case
//! target = "app-04"
//! description = "..."
//! [[step]]
//! at = "+73m"
//! note = "the data center confirms a faulty switch"
//! [[response]]
//! at = "+1m"
//! plan = "evacuate_server"          # a ResponsePlan, snake_case
//! target = "app-04"                 # optional for some plans
//! description = "..."
//! ```

use crate::model::{FaultKind, FleetSpec, SimFault, Timestamp};

use super::offset::Offset;
use super::targets::{check_fault_target, check_plan_target};

const SWITCH_2017: &str = include_str!("../../assets/scenarios/switch-2017.toml");
const DB_MASTER_2020: &str = include_str!("../../assets/scenarios/db-master-2020.toml");

/// The scenarios built into the binary, by name.
pub const BUILTIN_SCENARIOS: [&str; 2] = ["switch-2017", "db-master-2020"];

/// A parsed scenario. Steps and responses keep their file order (which is
/// what error indices refer to); the simulator plays steps by offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from (`builtin:switch-2017` for embedded ones).
    pub file: String,
    pub name: String,
    pub description: String,
    /// When the original outage started in the real world; informational.
    pub start: Option<Timestamp>,
    pub steps: Vec<ScenarioStep>,
    pub responses: Vec<ScriptedResponse>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioStep {
    pub at: Offset,
    pub action: StepAction,
    /// For a note, the note itself.
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    Fault(SimFault),
    /// Changes nothing; marks a moment of the original outage.
    Note,
}

/// What responders did, for `warroom drill` to play through the API.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedResponse {
    pub at: Offset,
    pub plan: ResponsePlan,
    /// What the plan acts on; `None` where the plan allows it means "all"
    /// (every web server, every stuck site) or "the planner's choice" (the
    /// node to fail over to).
    pub target: Option<String>,
    pub description: String,
}

/// The kinds of plan a scripted response may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsePlan {
    /// Move every site off one server. Target: an app or failover server.
    EvacuateServer,
    /// Move every site off every server behind a switch. Target: a switch.
    EvacuateSwitch,
    /// Turn a healthy app server into a failover server. Target: an app server.
    PromoteSpare,
    /// Make a standby cache node active. Target (optional): the node to activate.
    CacheFailover,
    /// Restart web servers to drop stale cache clients. Target (optional): one web server.
    RecycleWeb,
    /// Fail the database over. Target (optional): the node to promote.
    DbFailover,
    /// Restart sites with stuck backends. Target (optional): one site.
    RestartSites,
    /// Move sites back to their home server. Target: that app server.
    Failback,
}

impl ResponsePlan {
    pub const ALL: [ResponsePlan; 8] = [
        ResponsePlan::EvacuateServer,
        ResponsePlan::EvacuateSwitch,
        ResponsePlan::PromoteSpare,
        ResponsePlan::CacheFailover,
        ResponsePlan::RecycleWeb,
        ResponsePlan::DbFailover,
        ResponsePlan::RestartSites,
        ResponsePlan::Failback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponsePlan::EvacuateServer => "evacuate_server",
            ResponsePlan::EvacuateSwitch => "evacuate_switch",
            ResponsePlan::PromoteSpare => "promote_spare",
            ResponsePlan::CacheFailover => "cache_failover",
            ResponsePlan::RecycleWeb => "recycle_web",
            ResponsePlan::DbFailover => "db_failover",
            ResponsePlan::RestartSites => "restart_sites",
            ResponsePlan::Failback => "failback",
        }
    }

    /// True when a response of this kind must name a target.
    pub fn needs_target(self) -> bool {
        matches!(
            self,
            ResponsePlan::EvacuateServer
                | ResponsePlan::EvacuateSwitch
                | ResponsePlan::PromoteSpare
                | ResponsePlan::Failback
        )
    }
}

/// A refused scenario: which file, which item and field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {field}: {problem}")]
pub struct ScenarioError {
    pub file: String,
    /// `step[3].at`, `response[0].plan`, `name`, `line 12`, ….
    pub field: String,
    pub problem: String,
}

impl Scenario {
    /// An embedded scenario by name (see `BUILTIN_SCENARIOS`).
    pub fn builtin(name: &str) -> Option<Scenario> {
        let text = match name {
            "switch-2017" => SWITCH_2017,
            "db-master-2020" => DB_MASTER_2020,
            _ => return None,
        };
        // The embedded files are checked by tests; a parse failure here
        // would be a build defect, reported as "no such scenario".
        Scenario::parse(&format!("builtin:{name}"), text).ok()
    }

    /// A builtin scenario by name, or else the scenario file at that path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some(scenario) = Scenario::builtin(name_or_path) {
            return Ok(scenario);
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| ScenarioError {
            file: name_or_path.to_string(),
            field: "file".to_string(),
            problem: format!(
                "not a builtin scenario ({}) and not a readable file: {e}",
                BUILTIN_SCENARIOS.join(", ")
            ),
        })?;
        Scenario::parse(name_or_path, &text)
    }

    /// Parse and check a scenario file. `file` names it in error messages.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ScenarioError {
            file: file.to_string(),
            field: e
                .span()
                .map(|span| format!("line {}", line_of(text, span.start)))
                .unwrap_or_else(|| "file".to_string()),
            problem: e.message().to_string(),
        })?;
        let mut top = Fields::new(file, "", table);
        top.refuse_unknown(&["name", "description", "start", "step", "response"])?;
        let name = top.required_str("name")?;
        if name.trim().is_empty() {
            return Err(top.err("name", "must not be empty"));
        }
        let description = top.str("description")?.unwrap_or_default();
        let start = match top.str("start")? {
            None => None,
            Some(s) => Some(
                chrono::DateTime::parse_from_rfc3339(&s)
                    .map_err(|e| top.err("start", format!("'{s}' is not an RFC 3339 time ({e})")))?
                    .with_timezone(&chrono::Utc),
            ),
        };
        let steps = top
            .tables("step")?
            .into_iter()
            .enumerate()
            .map(|(i, t)| parse_step(file, i, t))
            .collect::<Result<Vec<_>, _>>()?;
        let responses = top
            .tables("response")?
            .into_iter()
            .enumerate()
            .map(|(i, t)| parse_response(file, i, t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            file: file.to_string(),
            name,
            description,
            start,
            steps,
            responses,
        })
    }

    /// Checks that every fault and response names an id of the right kind
    /// in `spec`. Run it before playing a scenario on a fleet.
    pub fn check_against(&self, spec: &FleetSpec) -> Result<(), ScenarioError> {
        for (i, step) in self.steps.iter().enumerate() {
            if let StepAction::Fault(fault) = &step.action {
                check_fault_target(spec, fault.kind, &fault.target).map_err(|e| ScenarioError {
                    file: self.file.clone(),
                    field: format!("step[{i}].target"),
                    problem: e.to_string(),
                })?;
            }
        }
        for (i, response) in self.responses.iter().enumerate() {
            if let Some(target) = &response.target {
                check_plan_target(spec, response.plan, target).map_err(|e| ScenarioError {
                    file: self.file.clone(),
                    field: format!("response[{i}].target"),
                    problem: e.to_string(),
                })?;
            }
        }
        Ok(())
    }
}

fn parse_step(file: &str, index: usize, table: toml::Table) -> Result<ScenarioStep, ScenarioError> {
    let mut f = Fields::new(file, &format!("step[{index}]"), table);
    f.refuse_unknown(&["at", "fault", "target", "note", "description"])?;
    let at = f.offset("at")?;
    let fault = f.str("fault")?;
    let target = f.str("target")?;
    let note = f.str("note")?;
    let description = f.str("description")?;
    match (fault, note) {
        (Some(_), Some(_)) => Err(f.err("note", "a step is either a fault or a note, not both")),
        (None, None) => Err(f.err(
            "fault",
            "a step needs a `fault` (with a `target`) or a `note`",
        )),
        (None, Some(note)) => {
            if target.is_some() {
                return Err(f.err("target", "a note has no target"));
            }
            if description.is_some() {
                return Err(f.err("description", "a note carries its text in `note`"));
            }
            Ok(ScenarioStep {
                at,
                action: StepAction::Note,
                description: note,
            })
        }
        (Some(fault), None) => {
            let Some(kind) = FaultKind::ALL.into_iter().find(|k| k.as_str() == fault) else {
                let allowed: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(f.err(
                    "fault",
                    format!("unknown fault '{fault}'; allowed: {}", allowed.join(", ")),
                ));
            };
            let Some(target) = target.filter(|t| !t.trim().is_empty()) else {
                return Err(f.err("target", format!("fault '{fault}' needs a target")));
            };
            Ok(ScenarioStep {
                at,
                description: description.unwrap_or_else(|| format!("{fault} {target}")),
                action: StepAction::Fault(SimFault { kind, target }),
            })
        }
    }
}

fn parse_response(
    file: &str,
    index: usize,
    table: toml::Table,
) -> Result<ScriptedResponse, ScenarioError> {
    let mut f = Fields::new(file, &format!("response[{index}]"), table);
    f.refuse_unknown(&["at", "plan", "target", "description"])?;
    let at = f.offset("at")?;
    let plan_text = f.required_str("plan")?;
    let Some(plan) = ResponsePlan::ALL
        .into_iter()
        .find(|p| p.as_str() == plan_text)
    else {
        let allowed: Vec<&str> = ResponsePlan::ALL.iter().map(|p| p.as_str()).collect();
        return Err(f.err(
            "plan",
            format!(
                "unknown plan '{plan_text}'; allowed: {}",
                allowed.join(", ")
            ),
        ));
    };
    let target = f.str("target")?.filter(|t| !t.trim().is_empty());
    if plan.needs_target() && target.is_none() {
        return Err(f.err("target", format!("plan '{plan_text}' needs a target")));
    }
    let description = f.str("description")?.unwrap_or_else(|| match &target {
        Some(t) => format!("{plan_text} {t}"),
        None => plan_text.clone(),
    });
    Ok(ScriptedResponse {
        at,
        plan,
        target,
        description,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// One TOML table being read field by field, so that every error can name
/// the item (`step[3]`) and the field.
struct Fields<'a> {
    file: &'a str,
    item: String,
    table: toml::Table,
}

impl<'a> Fields<'a> {
    fn new(file: &'a str, item: &str, table: toml::Table) -> Self {
        Fields {
            file,
            item: item.to_string(),
            table,
        }
    }

    fn err(&self, key: &str, problem: impl Into<String>) -> ScenarioError {
        let field = if self.item.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.item)
        };
        ScenarioError {
            file: self.file.to_string(),
            field,
            problem: problem.into(),
        }
    }

    fn refuse_unknown(&self, allowed: &[&str]) -> Result<(), ScenarioError> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => Err(self.err(
                key,
                format!("unknown field; allowed: {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn str(&mut self, key: &str) -> Result<Option<String>, ScenarioError> {
        match self.table.remove(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(other) => {
                Err(self.err(key, format!("must be a string, got {}", other.type_str())))
            }
        }
    }

    fn required_str(&mut self, key: &str) -> Result<String, ScenarioError> {
        self.str(key)?.ok_or_else(|| self.err(key, "is required"))
    }

    fn offset(&mut self, key: &str) -> Result<Offset, ScenarioError> {
        let text = self.required_str(key)?;
        Offset::parse(&text).map_err(|problem| self.err(key, problem))
    }

    fn tables(&mut self, key: &str) -> Result<Vec<toml::Table>, ScenarioError> {
        match self.table.remove(key) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    toml::Value::Table(t) => Ok(t),
                    other => Err(self.err(
                        &format!("{key}[{i}]"),
                        format!("must be a table ([[{key}]]), got {}", other.type_str()),
                    )),
                })
                .collect(),
            Some(other) => Err(self.err(
                key,
                format!(
                    "must be written as [[{key}]] tables, got {}",
                    other.type_str()
                ),
            )),
        }
    }
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
