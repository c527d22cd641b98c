//! Which ids a fault or a scripted response may name, checked against a
//! fleet. Shared by scenario checks and by `Sim::inject`.

use crate::model::{FaultKind, FleetSpec, Role};

use super::SimError;
use super::scenario::ResponsePlan;

/// The server `id` with one of `roles`; `needs` completes the sentence
/// "'x' is a web server; …" when the role does not fit.
pub(super) fn server_with_role(
    spec: &FleetSpec,
    id: &str,
    roles: &[Role],
    needs: &str,
) -> Result<(), SimError> {
    let Some(server) = spec.server(id) else {
        return Err(SimError::UnknownTarget {
            expected: "server",
            id: id.to_string(),
        });
    };
    if roles.contains(&server.role) {
        Ok(())
    } else {
        Err(SimError::WrongRole {
            id: id.to_string(),
            role: server.role,
            needs: needs.to_string(),
        })
    }
}

fn switch(spec: &FleetSpec, id: &str) -> Result<(), SimError> {
    if spec.switches.iter().any(|s| s == id) {
        Ok(())
    } else {
        Err(SimError::UnknownTarget {
            expected: "switch",
            id: id.to_string(),
        })
    }
}

/// Checks that `target` exists in the fleet and has the kind `kind` acts on.
/// It does not look at the world's state (which node is the writer now).
pub(super) fn check_fault_target(
    spec: &FleetSpec,
    kind: FaultKind,
    target: &str,
) -> Result<(), SimError> {
    const ANY: [Role; 5] = [Role::App, Role::Failover, Role::Web, Role::Cache, Role::Db];
    match kind {
        FaultKind::ServerDown | FaultKind::ServerFlap => server_with_role(spec, target, &ANY, ""),
        FaultKind::SwitchFault => switch(spec, target),
        FaultKind::CacheNodeDown | FaultKind::CacheFailoverRegression => server_with_role(
            spec,
            target,
            &[Role::Cache],
            &format!("{} needs a cache node", kind.as_str()),
        ),
        FaultKind::DbMasterDown => server_with_role(
            spec,
            target,
            &[Role::Db],
            "db_master_down needs the database writer",
        ),
        FaultKind::Recover => {
            if spec.server(target).is_some() || switch(spec, target).is_ok() {
                Ok(())
            } else {
                Err(SimError::UnknownTarget {
                    expected: "server or switch",
                    id: target.to_string(),
                })
            }
        }
    }
}

/// Checks that a scripted response names something its plan can act on.
pub(super) fn check_plan_target(
    spec: &FleetSpec,
    plan: ResponsePlan,
    target: &str,
) -> Result<(), SimError> {
    let needs = |what: &str| format!("{} needs {what}", plan.as_str());
    match plan {
        ResponsePlan::EvacuateServer => server_with_role(
            spec,
            target,
            &[Role::App, Role::Failover],
            &needs("an app or failover server"),
        ),
        ResponsePlan::EvacuateSwitch => switch(spec, target),
        ResponsePlan::PromoteSpare | ResponsePlan::Failback => {
            server_with_role(spec, target, &[Role::App], &needs("an app server"))
        }
        ResponsePlan::CacheFailover => {
            server_with_role(spec, target, &[Role::Cache], &needs("a cache node"))
        }
        ResponsePlan::DbFailover => {
            server_with_role(spec, target, &[Role::Db], &needs("a database node"))
        }
        ResponsePlan::RecycleWeb => {
            server_with_role(spec, target, &[Role::Web], &needs("a web server"))
        }
        ResponsePlan::RestartSites => {
            if spec.sites.iter().any(|s| s.id == target) {
                Ok(())
            } else {
                Err(SimError::UnknownTarget {
                    expected: "site",
                    id: target.to_string(),
                })
            }
        }
    }
}
