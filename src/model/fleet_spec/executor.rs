//! The fleet file's optional `[executor]` section: which driver carries out
//! action steps, its commands or webhook, the hooks around every action, and
//! the cooldown after automatic actions.
//!
//! ```toml
//! [executor]
//! driver = "exec"          # "sim" (default for a simulated fleet), "exec" or "http"
//! cooldown_s = 300         # after an automatic action, on the orchestrator clock
//! plan_ttl_s = 120         # how long a plan stays executable; default: two real minutes
//!
//! [executor.exec]
//! move_site = ["./runbooks/move-site.sh", "{site}", "{from}", "{to}"]
//! command = ["./runbooks/step.sh", "{op}", "{node}"]   # ops without their own command
//! timeout_ms = 60000
//! workdir = "/srv/runbooks"
//!
//! [executor.http]
//! url = "https://automation.example/warroom"
//! timeout_ms = 10000
//! bearer_env = "WARROOM_WEBHOOK_TOKEN"
//!
//! [executor.hooks]
//! pre = ["./hooks/pre.sh", "{action}", "{kind}", "{target}"]
//! post = ["./hooks/post.sh", "{action}", "{result}"]
//! timeout_ms = 30000
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Checker, FleetFileError};

/// `[executor]`, checked. [`Default`] is what a fleet file without the section gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorSpec {
    /// `None`: the default, which is `sim` for a simulated fleet and no
    /// driver at all (execute is refused) for a real one.
    pub driver: Option<DriverKind>,
    /// After an automatic action finished, actions touching the same
    /// components wait this long (orchestrator-clock seconds) unless acknowledged.
    pub cooldown_s: u64,
    /// How long a plan stays executable, in orchestrator-clock seconds.
    /// `None`: two minutes of real time, whatever the simulator's speed.
    pub plan_ttl_s: Option<u64>,
    pub exec: Option<ExecDriverSpec>,
    pub http: Option<HttpDriverSpec>,
    pub hooks: HooksSpec,
}

impl Default for ExecutorSpec {
    fn default() -> Self {
        ExecutorSpec {
            driver: None,
            cooldown_s: DEFAULT_COOLDOWN_S,
            plan_ttl_s: None,
            exec: None,
            http: None,
            hooks: HooksSpec::default(),
        }
    }
}

impl ExecutorSpec {
    /// The step operations a driver carries out, by their wire names
    /// (`wait_healthy` is not among them: the executor itself watches health).
    /// A fleet need not configure them all: a plan that needs an op without
    /// a command is refused, naming it (`set_admin` and `set_role` are then
    /// only recorded).
    pub const STEP_OPS: [&'static str; 9] = [
        "set_admin",
        "set_role",
        "move_site",
        "cache_failover",
        "recycle_web",
        "db_failover",
        "restart_site",
        "cache_standby",
        "rebuild_replica",
    ];

    /// Placeholders a command may use, each substituted inside one argument
    /// (never through a shell). Those that do not apply to a step are empty.
    pub const PLACEHOLDERS: [&'static str; 13] = [
        "op", "site", "from", "to", "node", "admin", "role", "forced", "action", "kind", "target",
        "step", "result",
    ];
}

const DEFAULT_COOLDOWN_S: u64 = 300;
const DEFAULT_EXEC_TIMEOUT_MS: u64 = 60_000;
const DEFAULT_HTTP_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_HOOK_TIMEOUT_MS: u64 = 30_000;
const MAX_TIMEOUT_MS: u64 = 3_600_000;
const MAX_COOLDOWN_S: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriverKind {
    /// The simulator's operations (simulated fleets only).
    Sim,
    /// A command per step, from `[executor.exec]`.
    Exec,
    /// A webhook POST per step, from `[executor.http]`.
    Http,
}

impl DriverKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DriverKind::Sim => "sim",
            DriverKind::Exec => "exec",
            DriverKind::Http => "http",
        }
    }
}

/// `[executor.exec]`: a command template per step operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecDriverSpec {
    /// By op wire name (`move_site`, …): the command, program first.
    pub commands: BTreeMap<String, Vec<String>>,
    /// The command for ops without their own (use `{op}` to tell them apart).
    pub command: Option<Vec<String>>,
    /// Each command is killed after this long (real time).
    pub timeout_ms: u64,
    /// Working directory of the commands; the orchestrator's when absent.
    pub workdir: Option<String>,
}

impl ExecDriverSpec {
    /// The command template for an op, its own or the fallback `command`.
    pub fn command_for(&self, op: &str) -> Option<&[String]> {
        self.commands
            .get(op)
            .or(self.command.as_ref())
            .map(Vec::as_slice)
    }
}

/// `[executor.http]`: a webhook that gets one POST per step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpDriverSpec {
    pub url: String,
    pub timeout_ms: u64,
    /// Name of an environment variable holding a bearer token for the webhook.
    pub bearer_env: Option<String>,
}

/// `[executor.hooks]`: commands run before and after every action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HooksSpec {
    /// Exits non-zero (or times out): the action fails before any step runs.
    pub pre: Option<Vec<String>>,
    /// Runs after the steps; its failure is recorded but does not fail the action.
    pub post: Option<Vec<String>>,
    pub timeout_ms: u64,
}

impl Default for HooksSpec {
    fn default() -> Self {
        HooksSpec {
            pre: None,
            post: None,
            timeout_ms: DEFAULT_HOOK_TIMEOUT_MS,
        }
    }
}

// ---- the section as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExecutor {
    #[serde(default)]
    driver: Option<DriverKind>,
    #[serde(default)]
    cooldown_s: Option<u64>,
    #[serde(default)]
    plan_ttl_s: Option<u64>,
    #[serde(default)]
    exec: Option<RawExec>,
    #[serde(default)]
    http: Option<RawHttp>,
    #[serde(default)]
    hooks: Option<RawHooks>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExec {
    #[serde(default)]
    set_admin: Option<Vec<String>>,
    #[serde(default)]
    set_role: Option<Vec<String>>,
    #[serde(default)]
    move_site: Option<Vec<String>>,
    #[serde(default)]
    cache_failover: Option<Vec<String>>,
    #[serde(default)]
    recycle_web: Option<Vec<String>>,
    #[serde(default)]
    db_failover: Option<Vec<String>>,
    #[serde(default)]
    restart_site: Option<Vec<String>>,
    #[serde(default)]
    cache_standby: Option<Vec<String>>,
    #[serde(default)]
    rebuild_replica: Option<Vec<String>>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    workdir: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    url: String,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    bearer_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHooks {
    #[serde(default)]
    pre: Option<Vec<String>>,
    #[serde(default)]
    post: Option<Vec<String>>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

impl RawExecutor {
    /// Checks the section; `probed` says whether the fleet is a real one.
    pub(super) fn check(
        self,
        c: &Checker<'_>,
        probed: bool,
    ) -> Result<ExecutorSpec, FleetFileError> {
        let cooldown_s = self.cooldown_s.unwrap_or(DEFAULT_COOLDOWN_S);
        if cooldown_s > MAX_COOLDOWN_S {
            return Err(c.err(
                "executor.cooldown_s",
                format!("must be at most {MAX_COOLDOWN_S} (a week), got {cooldown_s}"),
            ));
        }
        if self.plan_ttl_s == Some(0) {
            return Err(c.err("executor.plan_ttl_s", "must be at least 1"));
        }
        let exec = self.exec.map(|e| e.check(c)).transpose()?;
        let http = self.http.map(|h| h.check(c)).transpose()?;
        let hooks = match self.hooks {
            Some(h) => h.check(c)?,
            None => HooksSpec::default(),
        };
        match self.driver {
            Some(DriverKind::Sim) if probed => {
                return Err(c.err(
                    "executor.driver",
                    "the sim driver needs a simulated fleet; this fleet names real probe targets (use \"exec\" or \"http\")",
                ));
            }
            Some(DriverKind::Exec) if exec.is_none() => {
                return Err(c.err(
                    "executor.exec",
                    "driver = \"exec\" needs an [executor.exec] section with at least one command",
                ));
            }
            Some(DriverKind::Http) if http.is_none() => {
                return Err(c.err(
                    "executor.http",
                    "driver = \"http\" needs an [executor.http] section with a url",
                ));
            }
            _ => {}
        }
        Ok(ExecutorSpec {
            driver: self.driver,
            cooldown_s,
            plan_ttl_s: self.plan_ttl_s,
            exec,
            http,
            hooks,
        })
    }
}

impl RawExec {
    fn check(self, c: &Checker<'_>) -> Result<ExecDriverSpec, FleetFileError> {
        let per_op = [
            ("set_admin", self.set_admin),
            ("set_role", self.set_role),
            ("move_site", self.move_site),
            ("cache_failover", self.cache_failover),
            ("recycle_web", self.recycle_web),
            ("db_failover", self.db_failover),
            ("restart_site", self.restart_site),
            ("cache_standby", self.cache_standby),
            ("rebuild_replica", self.rebuild_replica),
        ];
        let mut commands = BTreeMap::new();
        for (op, command) in per_op {
            if let Some(command) = command {
                check_command(c, &format!("executor.exec.{op}"), &command)?;
                commands.insert(op.to_string(), command);
            }
        }
        if let Some(command) = &self.command {
            check_command(c, "executor.exec.command", command)?;
        }
        if commands.is_empty() && self.command.is_none() {
            return Err(c.err(
                "executor.exec",
                format!(
                    "give at least one command: `command = [...]` or one per op ({})",
                    ExecutorSpec::STEP_OPS.join(", ")
                ),
            ));
        }
        if self.workdir.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(c.err("executor.exec.workdir", "must not be empty"));
        }
        Ok(ExecDriverSpec {
            commands,
            command: self.command,
            timeout_ms: check_timeout(
                c,
                "executor.exec.timeout_ms",
                self.timeout_ms,
                DEFAULT_EXEC_TIMEOUT_MS,
            )?,
            workdir: self.workdir,
        })
    }
}

impl RawHttp {
    fn check(self, c: &Checker<'_>) -> Result<HttpDriverSpec, FleetFileError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(c.err(
                "executor.http.url",
                format!("'{}' is not an http:// or https:// URL", self.url),
            ));
        }
        if let Some(name) = &self.bearer_env {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            if !valid {
                return Err(c.err(
                    "executor.http.bearer_env",
                    format!("'{name}' is not an environment variable name"),
                ));
            }
        }
        Ok(HttpDriverSpec {
            url: self.url,
            timeout_ms: check_timeout(
                c,
                "executor.http.timeout_ms",
                self.timeout_ms,
                DEFAULT_HTTP_TIMEOUT_MS,
            )?,
            bearer_env: self.bearer_env,
        })
    }
}

impl RawHooks {
    fn check(self, c: &Checker<'_>) -> Result<HooksSpec, FleetFileError> {
        if let Some(pre) = &self.pre {
            check_command(c, "executor.hooks.pre", pre)?;
        }
        if let Some(post) = &self.post {
            check_command(c, "executor.hooks.post", post)?;
        }
        Ok(HooksSpec {
            pre: self.pre,
            post: self.post,
            timeout_ms: check_timeout(
                c,
                "executor.hooks.timeout_ms",
                self.timeout_ms,
                DEFAULT_HOOK_TIMEOUT_MS,
            )?,
        })
    }
}

fn check_timeout(
    c: &Checker<'_>,
    field: &str,
    value: Option<u64>,
    default: u64,
) -> Result<u64, FleetFileError> {
    let value = value.unwrap_or(default);
    if value == 0 || value > MAX_TIMEOUT_MS {
        return Err(c.err(
            field,
            format!("must be between 1 and {MAX_TIMEOUT_MS} (an hour), got {value}"),
        ));
    }
    Ok(value)
}

/// A command is a program and its arguments; every `{name}` in it must be a
/// known placeholder, so a typo is caught when the file loads, not mid-incident.
fn check_command(c: &Checker<'_>, field: &str, command: &[String]) -> Result<(), FleetFileError> {
    let Some(program) = command.first() else {
        return Err(c.err(field, "must name a program: [\"program\", \"arg\", …]"));
    };
    if program.trim().is_empty() {
        return Err(c.err(format!("{field}[0]"), "the program must not be empty"));
    }
    for (i, arg) in command.iter().enumerate() {
        if arg.contains('\0') {
            return Err(c.err(format!("{field}[{i}]"), "contains a NUL character"));
        }
        for name in placeholder_names(arg) {
            if !ExecutorSpec::PLACEHOLDERS.contains(&name) {
                return Err(c.err(
                    format!("{field}[{i}]"),
                    format!(
                        "unknown placeholder {{{name}}}; known: {}",
                        ExecutorSpec::PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The `name`s of every `{name}` in `arg` whose name is lower-case letters
/// and underscores; other braces (JSON, say) are plain text.
fn placeholder_names(arg: &str) -> impl Iterator<Item = &str> {
    arg.match_indices('{').filter_map(move |(start, _)| {
        let rest = &arg[start + 1..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        let is_name =
            !name.is_empty() && name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_');
        is_name.then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use crate::model::FleetSpec;

    use super::*;

    const SIMULATED: &str = r#"
service = "Test"
[[switch]]
id = "sw-1"
[[server]]
id = "app-1"
role = "app"
switch = "sw-1"
capacity = 2
"#;

    fn parse(section: &str) -> Result<FleetSpec, FleetFileError> {
        FleetSpec::parse("f.toml", &format!("{SIMULATED}\n{section}"))
    }

    #[test]
    fn a_fleet_without_the_section_gets_the_defaults() {
        let spec = parse("").expect("parses");
        assert_eq!(spec.executor, ExecutorSpec::default());
        assert_eq!(spec.executor.cooldown_s, 300);
        assert_eq!(spec.executor.driver, None);
    }

    #[test]
    fn exec_commands_per_op_and_a_fallback() {
        let spec = parse(
            r#"
[executor]
driver = "exec"
cooldown_s = 60
[executor.exec]
move_site = ["./move.sh", "{site}", "{from}", "{to}"]
command = ["./any.sh", "{op}", "{node}"]
timeout_ms = 500
[executor.hooks]
pre = ["./pre.sh", "{action}", "{kind}"]
"#,
        )
        .expect("parses");
        let exec = spec.executor.exec.expect("exec section");
        assert_eq!(spec.executor.driver, Some(DriverKind::Exec));
        assert_eq!(spec.executor.cooldown_s, 60);
        assert_eq!(exec.timeout_ms, 500);
        assert_eq!(
            exec.command_for("move_site"),
            Some(
                &[
                    "./move.sh".to_string(),
                    "{site}".into(),
                    "{from}".into(),
                    "{to}".into()
                ][..]
            )
        );
        assert_eq!(
            exec.command_for("set_admin").map(|c| c[0].as_str()),
            Some("./any.sh")
        );
        assert_eq!(spec.executor.hooks.pre.map(|p| p.len()), Some(3));
        assert_eq!(spec.executor.hooks.timeout_ms, 30_000);
    }

    #[test]
    fn an_unknown_placeholder_names_the_argument() {
        let err = parse("[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [\"./m.sh\", \"{sitee}\"]\n")
            .expect_err("refused");
        assert_eq!(err.field, "executor.exec.move_site[1]");
        assert!(err.problem.contains("{sitee}"), "{err}");
    }

    #[test]
    fn json_braces_are_not_placeholders() {
        parse("[executor]\ndriver = \"exec\"\n[executor.exec]\ncommand = [\"./m.sh\", \"{\\\"a\\\": 1}\", \"{op}\"]\n")
            .expect("plain braces are text");
    }

    #[test]
    fn a_driver_without_its_section_is_refused() {
        let err = parse("[executor]\ndriver = \"http\"\n").expect_err("refused");
        assert_eq!(err.field, "executor.http");
        let err = parse("[executor]\ndriver = \"exec\"\n").expect_err("refused");
        assert_eq!(err.field, "executor.exec");
        let err = parse("[executor]\ndriver = \"exec\"\n[executor.exec]\ntimeout_ms = 5\n")
            .expect_err("refused");
        assert_eq!(err.field, "executor.exec");
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases = [
            ("[executor.http]\nurl = \"ftp://x\"\n", "executor.http.url"),
            ("[executor.exec]\ncommand = []\n", "executor.exec.command"),
            (
                "[executor.exec]\ncommand = [\"\"]\n",
                "executor.exec.command[0]",
            ),
            (
                "[executor.exec]\ncommand = [\"x\"]\ntimeout_ms = 0\n",
                "executor.exec.timeout_ms",
            ),
            (
                "[executor.hooks]\npre = [\"x\"]\ntimeout_ms = 0\n",
                "executor.hooks.timeout_ms",
            ),
            ("[executor]\nplan_ttl_s = 0\n", "executor.plan_ttl_s"),
            ("[executor]\ncooldown_s = 99999999\n", "executor.cooldown_s"),
            (
                "[executor.http]\nurl = \"http://x\"\nbearer_env = \"A-B\"\n",
                "executor.http.bearer_env",
            ),
        ];
        for (section, field) in cases {
            let err = parse(section).expect_err(section);
            assert_eq!(err.field, field, "{section}: {err}");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = parse("[executor.exec]\nmove_sites = [\"x\"]\n").expect_err("refused");
        assert!(err.problem.contains("move_sites"), "{err}");
    }

    #[test]
    fn the_sim_driver_is_refused_for_a_real_fleet() {
        let real = SIMULATED.replace(
            "capacity = 2",
            "capacity = 2\nprobe = { tcp = \"127.0.0.1:9\" }",
        );
        let err = FleetSpec::parse("f.toml", &format!("{real}\n[executor]\ndriver = \"sim\"\n"))
            .expect_err("refused");
        assert_eq!(err.field, "executor.driver");
    }
}
