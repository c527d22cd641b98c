//! Which plan a key asks for: the kind and the target, from the row
//! selected in the focused pane.

use crate::model::{
    Alert, AlertKind, HealthState, PlanKind, PlanOptions, PlanRequest, Role, Server, Site, Switch,
};
use crate::tui::data::ServerRow;
use crate::tui::keymap::Action;
use crate::tui::model::{Model, Pane};

/// The row selected in the focused pane, when it names something a plan can target.
enum Selected<'a> {
    Server(&'a Server),
    Switch(&'a Switch),
    Site(&'a Site),
    Nothing,
}

fn selected(model: &Model) -> Selected<'_> {
    let topology = &model.data.fleet.topology;
    let found = match model.ui.focus {
        Pane::Servers => match model.data.fleet.server_rows.get(model.ui.servers.selected) {
            Some(ServerRow::Server(i)) => topology.servers.get(*i).map(Selected::Server),
            Some(ServerRow::Switch(Some(i))) => topology.switches.get(*i).map(Selected::Switch),
            _ => None,
        },
        Pane::Sites => model
            .sites
            .selected_site()
            .and_then(|i| topology.sites.get(i))
            .map(Selected::Site),
        Pane::Alerts | Pane::Timeline => None,
    };
    found.unwrap_or(Selected::Nothing)
}

/// The plan that answers an alert, with the pane key that asks for it:
/// evacuate a down or flapping server or a suspect switch, fail the cache
/// or the database over, recycle web servers for stale connections,
/// restart stuck sites, promote a spare when failover capacity is short.
/// None for an outside (Alertmanager) alert: it says what is wrong, not
/// what to do.
pub fn request_for_alert(alert: &Alert) -> Option<(Action, PlanRequest)> {
    let (action, kind, target) = match alert.kind {
        AlertKind::ServerDown | AlertKind::ServerFlapping => (
            Action::Evacuate,
            PlanKind::EvacuateServer,
            Some(alert.target.clone()),
        ),
        AlertKind::SwitchSuspect => (
            Action::Evacuate,
            PlanKind::EvacuateSwitch,
            Some(alert.target.clone()),
        ),
        AlertKind::CacheDown => (Action::CacheFailover, PlanKind::CacheFailover, None),
        AlertKind::DatabaseDown => (Action::DbFailover, PlanKind::DbFailover, None),
        AlertKind::StaleClients => (Action::RecycleWeb, PlanKind::RecycleWeb, None),
        AlertKind::StuckBackends => (Action::RestartSites, PlanKind::RestartSites, None),
        AlertKind::FailoverCapacity => (Action::PromoteSpare, PlanKind::PromoteSpare, None),
        AlertKind::CacheNoStandby => (Action::RestoreCache, PlanKind::RestoreCache, None),
        AlertKind::DatabaseNoReplica => {
            (Action::RestoreDbReplica, PlanKind::RestoreDbReplica, None)
        }
        // An outside alert says what is wrong, not what to do.
        AlertKind::External | AlertKind::AutopilotHeld => return None,
    };
    Some((
        action,
        PlanRequest {
            kind,
            target,
            options: PlanOptions::default(),
        },
    ))
}

/// True when the database writer has no replica that is up: `D` then
/// plans the replica's rebuild instead of a failover that cannot be made.
pub fn database_needs_replica(model: &Model) -> bool {
    let topology = &model.data.fleet.topology;
    topology.database.as_ref().is_some_and(|db| {
        !db.replicas.iter().any(|id| {
            topology
                .servers
                .iter()
                .any(|s| s.id == *id && s.health.state == HealthState::Up)
        })
    })
}

/// The request for `kind` on the selection, or which pane and row to
/// select first. Kinds whose target is optional get none when the
/// selection does not fit: the planner then picks (every stuck site, the
/// first healthy standby, every web server that is up, …).
pub fn request_for(model: &Model, kind: PlanKind) -> Result<PlanRequest, String> {
    let topology = &model.data.fleet.topology;
    let selection = selected(model);
    let server_with = |role: Role| match selection {
        Selected::Server(s) if s.role == role => Some(s.id.clone()),
        _ => None,
    };
    let mut request = PlanRequest {
        kind,
        target: None,
        options: PlanOptions::default(),
    };
    match kind {
        PlanKind::EvacuateServer | PlanKind::EvacuateSwitch => match selection {
            Selected::Server(s) if matches!(s.role, Role::App | Role::Failover) => {
                request.kind = PlanKind::EvacuateServer;
                request.target = Some(s.id.clone());
            }
            Selected::Server(s) => {
                return Err(format!(
                    "{} is a {} server and hosts no sites: select an app or failover server, or a switch",
                    s.id,
                    s.role.as_str()
                ));
            }
            Selected::Switch(switch) => {
                request.kind = PlanKind::EvacuateSwitch;
                request.target = Some(switch.id.clone());
            }
            // From the sites pane: the server the selected site runs on.
            Selected::Site(site) => {
                request.kind = PlanKind::EvacuateServer;
                request.target = Some(site.server.clone());
            }
            Selected::Nothing => {
                return Err(
                    "evacuate what? select a server or a switch row in the Servers pane (1), then E"
                        .into(),
                );
            }
        },
        PlanKind::PromoteSpare => request.target = server_with(Role::App),
        PlanKind::CacheFailover => {
            request.target = server_with(Role::Cache).filter(|id| {
                topology
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.standby.contains(id))
            });
        }
        PlanKind::RecycleWeb => request.target = server_with(Role::Web),
        PlanKind::DbFailover => {
            request.target = server_with(Role::Db).filter(|id| {
                topology
                    .database
                    .as_ref()
                    .is_some_and(|d| d.replicas.contains(id))
            });
        }
        PlanKind::RestartSites => {
            if let Selected::Site(site) = selection {
                request.options.sites = vec![site.id.clone()];
            }
        }
        // Every promoted spare that can go: the console cannot tell a
        // promoted spare from a failover server of the fleet file.
        PlanKind::DemoteSpares => {}
        PlanKind::RestoreCache => {
            request.target = server_with(Role::Cache)
                .filter(|id| topology.cache.as_ref().is_some_and(|c| c.active != *id));
        }
        PlanKind::RestoreDbReplica => {
            request.target = server_with(Role::Db)
                .filter(|id| topology.database.as_ref().is_some_and(|d| d.writer != *id));
        }
        PlanKind::Failback => {
            request.target = match selection {
                Selected::Site(site) => Some(site.id.clone()),
                Selected::Server(s) if s.role == Role::App => Some(s.id.clone()),
                Selected::Switch(switch) => Some(switch.id.clone()),
                _ => None,
            };
        }
    }
    Ok(request)
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
