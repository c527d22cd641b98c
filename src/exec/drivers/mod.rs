//! Drivers carry out one step operation in the world:
//!
//! - `sim`: the simulator's operations (moving a site, failing the cache or
//!   database over, recycling a web server, restarting a site's backends,
//!   changing a server's role). Admin state is the orchestrator's own.
//! - `exec`: the command configured for the op (or the fallback `command`),
//!   placeholders substituted per argument, within `timeout_ms`; exit 0 is
//!   success. An op without a command fails, except `set_admin` and
//!   `set_role`, which are then only recorded in the orchestrator's model.
//! - `http`: a JSON POST per step to the webhook; 2xx is success.
//!
//! `wait_healthy` never reaches a driver: the executor watches the topology.

mod command;
mod http;

use std::time::Duration;

pub(super) use command::{Vars, run_command, substitute};

use super::SimWorld;
use crate::model::{ExecDriverSpec, HttpDriverSpec, PlanKind, StepOp};

/// A step that did not succeed: why, and what the driver printed or answered.
#[derive(Debug)]
pub(super) struct Failed {
    pub error: String,
    pub output: Option<String>,
}

impl Failed {
    pub(super) fn new(error: impl Into<String>) -> Failed {
        Failed {
            error: error.into(),
            output: None,
        }
    }
}

/// One step as a driver sees it.
pub(super) struct StepCall<'a> {
    pub action_id: &'a str,
    pub kind: PlanKind,
    pub target: Option<&'a str>,
    /// Index of the step in the action, from 0.
    pub index: usize,
    pub description: &'a str,
    pub op: &'a StepOp,
}

impl StepCall<'_> {
    /// Placeholder values: the op's own fields, `{node}` for the server or
    /// node it acts on, `{step}` counted from 1, and the action's id, kind and target.
    pub(super) fn vars(&self) -> Vars {
        let mut vars = Vars::new();
        vars.insert("op", op_name(self.op).to_string());
        vars.insert("action", self.action_id.to_string());
        vars.insert("kind", self.kind.as_str().to_string());
        vars.insert("target", self.target.unwrap_or_default().to_string());
        vars.insert("step", (self.index + 1).to_string());
        match self.op {
            StepOp::SetAdmin { server, admin } => {
                vars.insert("node", server.clone());
                vars.insert("admin", admin.as_str().to_string());
            }
            StepOp::SetRole { server, role } => {
                vars.insert("node", server.clone());
                vars.insert("role", role.as_str().to_string());
            }
            StepOp::MoveSite { site, from, to } => {
                vars.insert("site", site.clone());
                vars.insert("from", from.clone());
                vars.insert("to", to.clone());
                vars.insert("node", to.clone());
            }
            StepOp::CacheFailover { from, to } => {
                vars.insert("from", from.clone());
                vars.insert("to", to.clone());
                vars.insert("node", to.clone());
            }
            StepOp::DbFailover { from, to, forced } => {
                vars.insert("from", from.clone());
                vars.insert("to", to.clone());
                vars.insert("node", to.clone());
                vars.insert("forced", forced.to_string());
            }
            StepOp::RecycleWeb { server } | StepOp::WaitHealthy { server, .. } => {
                vars.insert("node", server.clone());
            }
            StepOp::RestartSite { site } => {
                vars.insert("site", site.clone());
            }
            // `{from}` is the node the copy comes from, `{to}` the one rebuilt.
            StepOp::CacheStandby { node, active: from }
            | StepOp::RebuildReplica { node, writer: from } => {
                vars.insert("node", node.clone());
                vars.insert("to", node.clone());
                vars.insert("from", from.clone());
            }
        }
        vars
    }
}

/// The op's wire name (`move_site`, …).
pub(super) fn op_name(op: &StepOp) -> &'static str {
    match op {
        StepOp::SetAdmin { .. } => "set_admin",
        StepOp::SetRole { .. } => "set_role",
        StepOp::MoveSite { .. } => "move_site",
        StepOp::CacheFailover { .. } => "cache_failover",
        StepOp::RecycleWeb { .. } => "recycle_web",
        StepOp::DbFailover { .. } => "db_failover",
        StepOp::RestartSite { .. } => "restart_site",
        StepOp::WaitHealthy { .. } => "wait_healthy",
        StepOp::CacheStandby { .. } => "cache_standby",
        StepOp::RebuildReplica { .. } => "rebuild_replica",
    }
}

pub(super) enum Driver {
    Sim(SimWorld),
    Exec(ExecDriverSpec),
    Http(http::Webhook),
}

impl Driver {
    pub(super) fn sim(world: SimWorld) -> Driver {
        Driver::Sim(world)
    }

    pub(super) fn exec(spec: ExecDriverSpec) -> Driver {
        Driver::Exec(spec)
    }

    pub(super) fn http(spec: HttpDriverSpec) -> anyhow::Result<Driver> {
        Ok(Driver::Http(http::Webhook::new(spec)?))
    }

    pub(super) fn name(&self) -> &'static str {
        match self {
            Driver::Sim(_) => "sim",
            Driver::Exec(_) => "exec",
            Driver::Http(_) => "http",
        }
    }

    /// The first step op of `plan` this driver has no command for: only the
    /// `exec` driver can lack one, and `set_admin`, `set_role` and
    /// `wait_healthy` need none.
    pub(super) fn missing_command(&self, plan: &crate::model::Plan) -> Option<&'static str> {
        let Driver::Exec(spec) = self else {
            return None;
        };
        plan.steps
            .iter()
            .filter(|step| {
                !matches!(
                    step.op,
                    StepOp::SetAdmin { .. } | StepOp::SetRole { .. } | StepOp::WaitHealthy { .. }
                )
            })
            .map(|step| op_name(&step.op))
            .find(|name| spec.command_for(name).is_none())
    }

    /// Carries out one step; `Ok` holds what the driver printed or answered.
    pub(super) async fn run(&self, call: &StepCall<'_>) -> Result<Option<String>, Failed> {
        match self {
            Driver::Sim(world) => run_sim(world, call.op),
            Driver::Exec(spec) => {
                let name = op_name(call.op);
                let Some(template) = spec.command_for(name) else {
                    return match call.op {
                        StepOp::SetAdmin { .. } | StepOp::SetRole { .. } => Ok(Some(format!(
                            "no command for {name}: recorded by the orchestrator only"
                        ))),
                        _ => Err(Failed::new(format!(
                            "the exec driver has no command for {name}: add `{name} = [...]` or `command = [...]` under [executor.exec]"
                        ))),
                    };
                };
                let argv = substitute(template, &call.vars());
                run_command(
                    &argv,
                    spec.workdir.as_deref(),
                    Duration::from_millis(spec.timeout_ms),
                )
                .await
            }
            Driver::Http(webhook) => webhook.post(call).await,
        }
    }
}

fn run_sim(world: &SimWorld, op: &StepOp) -> Result<Option<String>, Failed> {
    let mut sim = world.sim.lock().unwrap_or_else(|p| p.into_inner());
    let done = match op {
        StepOp::SetAdmin { .. } | StepOp::WaitHealthy { .. } => Ok(()),
        StepOp::SetRole { server, role } => sim.set_role(server, *role),
        StepOp::MoveSite { site, to, .. } => sim.move_site(site, to),
        StepOp::CacheFailover { to, .. } => sim.cache_failover(Some(to)),
        StepOp::RecycleWeb { server } => sim.recycle_web(server),
        StepOp::DbFailover { to, .. } => sim.db_failover(Some(to)),
        StepOp::RestartSite { site } => sim.restart_site(site),
        StepOp::CacheStandby { node, .. } => sim.cache_standby(node),
        StepOp::RebuildReplica { node, .. } => sim.rebuild_replica(node),
    };
    done.map(|()| None)
        .map_err(|err| Failed::new(format!("the simulator refused: {err}")))
}
