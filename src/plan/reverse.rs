//! Undo: the reverse of an executed plan, made from the topology as it is now.

use std::collections::BTreeSet;

use super::PlannerSettings;
use super::draft::Draft;
use super::error::PlanError;
use super::failback::{FailbackFilter, failback};
use super::nodes;
use super::view::{FleetView, count, list_ids};
use crate::model::{Admin, Plan, PlanKind, PlanOptions, PlanRequest, Role, StepOp, Timestamp};

pub(super) fn reverse(
    view: &FleetView<'_>,
    executed: &Plan,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    match executed.kind {
        PlanKind::EvacuateServer | PlanKind::EvacuateSwitch => {
            undo_evacuation(view, executed, now, settings)
        }
        PlanKind::PromoteSpare => undo_promotion(view, executed, settings),
        PlanKind::CacheFailover => {
            let from = executed.steps.iter().find_map(|step| match &step.op {
                StepOp::CacheFailover { from, .. } => Some(from.clone()),
                _ => None,
            });
            nodes::cache_failover(
                view,
                &back_to(PlanKind::CacheFailover, from, executed)?,
                settings,
            )
        }
        PlanKind::DbFailover => {
            let from = executed.steps.iter().find_map(|step| match &step.op {
                StepOp::DbFailover { from, .. } => Some(from.clone()),
                _ => None,
            });
            nodes::db_failover(
                view,
                &back_to(PlanKind::DbFailover, from, executed)?,
                settings,
            )
        }
        PlanKind::RecycleWeb | PlanKind::RestartSites => Err(PlanError::NotReversible(format!(
            "{} restarted processes; a restart cannot be taken back",
            executed.kind.as_str()
        ))),
        PlanKind::Failback => Err(PlanError::NotReversible(
            "a failback is undone by evacuating the home servers again".to_string(),
        )),
        PlanKind::DemoteSpares => undo_demotion(view, executed, settings),
        PlanKind::RestoreCache => {
            let from = executed.steps.iter().find_map(|step| match &step.op {
                StepOp::CacheFailover { from, .. } => Some(from.clone()),
                _ => None,
            });
            if from.is_none() {
                return Err(PlanError::NotReversible(
                    "a rebuilt cache standby is not taken apart again".to_string(),
                ));
            }
            nodes::cache_failover(
                view,
                &back_to(PlanKind::CacheFailover, from, executed)?,
                settings,
            )
        }
        PlanKind::RestoreDbReplica => Err(PlanError::NotReversible(
            "a rebuilt database replica is not taken apart again".to_string(),
        )),
    }
}

/// A failover request back onto the node the executed plan failed over from.
fn back_to(
    kind: PlanKind,
    previous: Option<String>,
    executed: &Plan,
) -> Result<PlanRequest, PlanError> {
    let previous = previous.ok_or_else(|| {
        PlanError::NotReversible(format!(
            "plan {} has no {} step",
            executed.id,
            kind.as_str()
        ))
    })?;
    Ok(PlanRequest {
        kind,
        target: Some(previous),
        options: PlanOptions::default(),
    })
}

/// Failback of the sites the evacuation moved, and its drained sources set
/// ready again, each once healthy and stable.
fn undo_evacuation(
    view: &FleetView<'_>,
    executed: &Plan,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let sites: BTreeSet<&str> = executed
        .placements
        .iter()
        .map(|p| p.site.as_str())
        .collect();
    let restore: BTreeSet<&str> = executed
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            StepOp::SetAdmin {
                server,
                admin: Admin::Drain,
            } => Some(server.as_str()),
            _ => None,
        })
        .collect();
    let filter = FailbackFilter {
        sites: Some(sites),
        homes: None,
        restore,
    };
    failback(
        view,
        executed.target.clone(),
        &filter,
        &format!(
            "the sites plan {} moved are back home and its servers are ready",
            executed.id
        ),
        now,
        settings,
    )
}

/// The servers the plan promoted go back to the app role (those still failover servers).
fn undo_promotion(
    view: &FleetView<'_>,
    executed: &Plan,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let promoted: Vec<&str> = executed
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            StepOp::SetRole {
                server,
                role: Role::Failover,
            } => Some(server.as_str()),
            _ => None,
        })
        .filter(|id| view.server(id).is_some_and(|s| s.role == Role::Failover))
        .collect();
    let Some(&first) = promoted.first() else {
        return Err(PlanError::NothingToDo(format!(
            "the servers plan {} promoted are no longer failover servers",
            executed.id
        )));
    };
    let scope = if promoted.len() == 1 {
        format!("server:{first}")
    } else {
        "fleet".to_string()
    };
    let mut draft = Draft::new(
        PlanKind::PromoteSpare,
        executed.target.clone(),
        scope,
        settings,
    );
    for id in &promoted {
        let guests = view
            .topology
            .sites
            .iter()
            .filter(|site| site.server == *id && site.home_server != *id)
            .count();
        if guests > 0 {
            draft.warn(format!(
                "{id} hosts {} from other servers: they stay on it; fail them back when their homes are stable",
                count(guests, "site")
            ));
        }
        draft.step(
            StepOp::SetRole {
                server: (*id).to_string(),
                role: Role::App,
            },
            format!("return {id} to the app role"),
        );
    }
    draft.summary = format!("Return {} to the app role.", list_ids(&promoted));
    Ok(draft)
}

/// The servers the plan demoted join the failover pool again (those still app servers).
fn undo_demotion(
    view: &FleetView<'_>,
    executed: &Plan,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let demoted: Vec<&str> = executed
        .steps
        .iter()
        .filter_map(|step| match &step.op {
            StepOp::SetRole {
                server,
                role: Role::App,
            } => Some(server.as_str()),
            _ => None,
        })
        .filter(|id| view.server(id).is_some_and(|s| s.role == Role::App))
        .collect();
    let Some(&first) = demoted.first() else {
        return Err(PlanError::NothingToDo(format!(
            "the servers plan {} demoted are no longer app servers",
            executed.id
        )));
    };
    let scope = if demoted.len() == 1 {
        format!("server:{first}")
    } else {
        "fleet".to_string()
    };
    let mut draft = Draft::new(
        PlanKind::PromoteSpare,
        executed.target.clone(),
        scope,
        settings,
    );
    for id in &demoted {
        draft.step(
            StepOp::SetRole {
                server: (*id).to_string(),
                role: Role::Failover,
            },
            format!("make {id} a failover server again"),
        );
    }
    draft.summary = format!(
        "Promote {} into the failover pool again.",
        list_ids(&demoted)
    );
    Ok(draft)
}
