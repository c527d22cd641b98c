//! Plans on single nodes and sites: cache failover, rolling web recycle,
//! database failover, restart of stuck sites.

use super::PlannerSettings;
use super::draft::Draft;
use super::error::PlanError;
use super::view::{FleetView, admin_problem, count, health_problem, list_ids};
use crate::model::{
    HealthState, PlanKind, PlanOptions, PlanRequest, Role, Server, Site, StepOp, SwitchHealth,
};

/// `cache_failover`: the active cache node hands over to the target standby
/// (or the first healthy one). Refused when no standby is healthy.
pub(super) fn cache_failover(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::CacheFailover;
    let cache = view
        .topology
        .cache
        .as_ref()
        .ok_or_else(|| PlanError::NotConfigured("cache".into()))?;
    let from = cache.active.as_str();
    let (to, switch_warning) = choose_node(
        view,
        kind,
        "cache standby",
        from,
        &cache.standby,
        request.target.as_deref(),
    )?;
    let mut draft = Draft::new(kind, Some(to.to_string()), "cache".to_string(), settings);
    draft.warnings.extend(switch_warning);
    if cache.stale_clients > 0 {
        draft.warn(format!(
            "{} still hold connections to an earlier cache node",
            count(cache.stale_clients as usize, "web server client")
        ));
    }
    draft.warn(format!(
        "web servers may keep stale connections to {from} after the switch; follow with recycle_web"
    ));
    draft.offers.push(PlanRequest {
        kind: PlanKind::RecycleWeb,
        target: None,
        options: PlanOptions::default(),
    });
    draft.step(
        StepOp::CacheFailover {
            from: from.to_string(),
            to: to.to_string(),
        },
        format!("make {to} the active cache node instead of {from}"),
    );
    draft.summary = format!("Make {to} the active cache node instead of {from}.");
    Ok(draft)
}

/// `recycle_web`: restart web servers one at a time (one step each, in id
/// order) so that some always serve: the target, or every web server that is up.
pub(super) fn recycle_web(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::RecycleWeb;
    let mut web: Vec<&Server> = view
        .topology
        .servers
        .iter()
        .filter(|s| s.role == Role::Web)
        .collect();
    web.sort_by(|a, b| a.id.cmp(&b.id));
    web.dedup_by(|a, b| a.id == b.id);
    let healthy: Vec<&str> = web
        .iter()
        .filter(|s| s.health.state == HealthState::Up)
        .map(|s| s.id.as_str())
        .collect();

    let mut warnings = Vec::new();
    let chosen: Vec<&Server> = match request.target.as_deref() {
        Some(id) => {
            let Some(server) = view.server(id) else {
                return Err(PlanError::UnknownTarget {
                    target: id.to_string(),
                    expected: "web server",
                });
            };
            if server.role != Role::Web {
                return Err(PlanError::WrongTarget {
                    kind,
                    target: id.to_string(),
                    reason: format!(
                        "{id} is a {} server, not a web server",
                        server.role.as_str()
                    ),
                });
            }
            if let Some(problem) = health_problem(server.health.state) {
                warnings.push(format!("{id} {problem}: a restart may not bring it back"));
            }
            vec![server]
        }
        None => {
            for server in &web {
                if let Some(problem) = health_problem(server.health.state) {
                    warnings.push(format!("{} {problem}: not recycled", server.id));
                }
            }
            web.iter()
                .filter(|s| s.health.state == HealthState::Up)
                .copied()
                .collect()
        }
    };
    if chosen.is_empty() {
        return Err(PlanError::NoHealthyTarget(
            "no web server is up to recycle".to_string(),
        ));
    }
    if let [only] = healthy.as_slice() {
        warnings.push(format!(
            "only {only} is healthy: while it restarts no web server serves"
        ));
    }

    let mut draft = Draft::new(kind, request.target.clone(), "web".to_string(), settings);
    draft.warnings = warnings;
    for server in &chosen {
        draft.step(
            StepOp::RecycleWeb {
                server: server.id.clone(),
            },
            format!(
                "restart {} and wait until it serves again before the next one",
                server.id
            ),
        );
    }
    let ids: Vec<&str> = chosen.iter().map(|s| s.id.as_str()).collect();
    let stale = view.topology.cache.as_ref().map_or(0, |c| c.stale_clients);
    draft.summary = if stale > 0 {
        format!(
            "Restart {} one at a time to drop {}.",
            list_ids(&ids),
            count(stale as usize, "stale cache connection")
        )
    } else {
        format!("Restart {} one at a time.", list_ids(&ids))
    };
    Ok(draft)
}

/// `db_failover`: a switchover while the writer is up (or degraded); a forced
/// failover otherwise, which states the risk and needs the target id typed.
pub(super) fn db_failover(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::DbFailover;
    let db = view
        .topology
        .database
        .as_ref()
        .ok_or_else(|| PlanError::NotConfigured("database".into()))?;
    let from = db.writer.as_str();
    let (to, switch_warning) = choose_node(
        view,
        kind,
        "database replica",
        from,
        &db.replicas,
        request.target.as_deref(),
    )?;
    let writer_state = db.health.state;
    // A degraded writer can still hand over; an unknown one cannot be relied on.
    let forced = !matches!(writer_state, HealthState::Up | HealthState::Degraded);
    let mut draft = Draft::new(kind, Some(to.to_string()), "database".to_string(), settings);
    draft.warnings.extend(switch_warning);
    if forced {
        let problem = health_problem(writer_state).unwrap_or("is not healthy");
        draft.risk = Some(format!(
            "the writer {from} {problem}: transactions not yet replicated to {to} may be lost"
        ));
        draft.confirm = Some(to.to_string());
    } else if writer_state == HealthState::Degraded {
        draft.warn(format!(
            "the writer {from} is degraded: the switchover waits for it to hand over"
        ));
    }
    if db.stuck_backends > 0 {
        draft.warn(format!(
            "{} are already stuck on an earlier writer",
            count(db.stuck_backends as usize, "backend")
        ));
    }
    draft.warn(format!(
        "backends connected to {from} may stay stuck after the failover; follow with restart_sites"
    ));
    draft.offers.push(PlanRequest {
        kind: PlanKind::RestartSites,
        target: None,
        options: PlanOptions::default(),
    });
    let (op_text, summary) = if forced {
        (
            format!("force {to} to become the writer without a handover from {from}"),
            format!("Force a database failover from {from} to {to}."),
        )
    } else {
        (
            format!("switch the writer over from {from} to {to}"),
            format!("Switch the database writer over from {from} to {to}."),
        )
    };
    draft.step(
        StepOp::DbFailover {
            from: from.to_string(),
            to: to.to_string(),
            forced,
        },
        op_text,
    );
    draft.summary = summary;
    Ok(draft)
}

/// `restart_sites`: the sites in `options.sites`; else the site named by
/// `target`, or the stuck sites on the server it names, or every site with
/// stuck backends. In site id order.
pub(super) fn restart_sites(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::RestartSites;
    let mut chosen: Vec<&Site> = if request.options.sites.is_empty() {
        let on_server = match request.target.as_deref() {
            None => None,
            Some(id) if view.server(id).is_some() => Some(id),
            Some(id) => {
                let site = view
                    .topology
                    .sites
                    .iter()
                    .find(|s| s.id == id)
                    .ok_or_else(|| PlanError::UnknownTarget {
                        target: id.to_string(),
                        expected: "site or server",
                    })?;
                return Ok(restart_draft(view, kind, request, vec![site], settings));
            }
        };
        view.topology
            .sites
            .iter()
            .filter(|s| s.stuck_backends > 0 && on_server.is_none_or(|id| s.server == id))
            .collect()
    } else {
        let index = view.site_index();
        request
            .options
            .sites
            .iter()
            .map(|id| {
                index
                    .get(id.as_str())
                    .copied()
                    .ok_or_else(|| PlanError::UnknownTarget {
                        target: id.clone(),
                        expected: "site",
                    })
            })
            .collect::<Result<_, _>>()?
    };
    if chosen.is_empty() {
        return Err(PlanError::NothingToDo(match request.target.as_deref() {
            Some(server) => format!("no site on {server} has stuck backends"),
            None => "no site has stuck backends".to_string(),
        }));
    }
    chosen.sort_by(|a, b| a.id.cmp(&b.id));
    chosen.dedup_by(|a, b| a.id == b.id);
    Ok(restart_draft(view, kind, request, chosen, settings))
}

fn restart_draft(
    view: &FleetView<'_>,
    kind: PlanKind,
    request: &PlanRequest,
    sites: Vec<&Site>,
    settings: &PlannerSettings,
) -> Draft {
    let mut draft = Draft::new(kind, request.target.clone(), "sites".to_string(), settings);
    if let Some(db) = &view.topology.database
        && let Some(problem) = health_problem(db.health.state)
        && db.health.state != HealthState::Degraded
    {
        draft.warn(format!(
            "the writer {} {problem}: restarted backends may get stuck again until the database fails over",
            db.writer
        ));
        draft.offers.push(PlanRequest {
            kind: PlanKind::DbFailover,
            target: None,
            options: PlanOptions::default(),
        });
    }
    let on_dead_server = sites
        .iter()
        .filter(|site| {
            view.server(&site.server)
                .is_some_and(|s| s.health.state.is_unhealthy())
        })
        .count();
    if on_dead_server > 0 {
        let sites_are = if on_dead_server == 1 {
            "1 site is".to_string()
        } else {
            format!("{on_dead_server} sites are")
        };
        draft.warn(format!(
            "{sites_are} on servers that are down or flapping: evacuate those instead"
        ));
    }
    let stuck: u64 = sites.iter().map(|s| u64::from(s.stuck_backends)).sum();
    for site in &sites {
        let text = if site.stuck_backends > 0 {
            format!(
                "restart {} ({} stuck)",
                site.id,
                count(site.stuck_backends as usize, "backend")
            )
        } else {
            format!("restart {}", site.id)
        };
        draft.step(
            StepOp::RestartSite {
                site: site.id.clone(),
            },
            text,
        );
    }
    draft.summary = if stuck > 0 {
        format!(
            "Restart {} to free {}.",
            count(sites.len(), "site"),
            count(stuck as usize, "stuck backend")
        )
    } else {
        format!("Restart {}.", count(sites.len(), "site"))
    };
    draft
}

/// The node that takes over from `active`: the target when it is in `pool`
/// and healthy, else the first healthy node of `pool` behind a healthy
/// switch, else the first healthy one at all (with a warning that says so).
pub(super) fn choose_node<'a>(
    view: &FleetView<'_>,
    kind: PlanKind,
    what: &'static str,
    active: &str,
    pool: &'a [String],
    target: Option<&str>,
) -> Result<(&'a str, Option<String>), PlanError> {
    if let Some(id) = target {
        if id == active {
            return Err(PlanError::NothingToDo(format!("{id} is already active")));
        }
        let Some(node) = pool.iter().find(|n| *n == id) else {
            return Err(if view.server(id).is_some() {
                PlanError::WrongTarget {
                    kind,
                    target: id.to_string(),
                    reason: format!("{id} is not a {what} (those are: {})", pool.join(", ")),
                }
            } else {
                PlanError::UnknownTarget {
                    target: id.to_string(),
                    expected: what,
                }
            });
        };
        return node_fit(view, node)
            .map(|warning| (node.as_str(), warning))
            .map_err(|reason| PlanError::UnsafeTarget {
                target: id.to_string(),
                reason,
            });
    }
    let mut fallback = None;
    let mut refused = Vec::new();
    for node in pool.iter().filter(|n| *n != active) {
        match node_fit(view, node) {
            Ok(None) => return Ok((node.as_str(), None)),
            Ok(Some(warning)) => {
                fallback.get_or_insert((node.as_str(), Some(warning)));
            }
            Err(reason) => refused.push(reason),
        }
    }
    fallback.ok_or_else(|| {
        PlanError::NoHealthyTarget(if refused.is_empty() {
            format!("there is no {what}")
        } else {
            format!("no {what} is healthy: {}", refused.join("; "))
        })
    })
}

/// Ok when the node can take over: up and ready. The Ok value warns when it
/// sits behind a suspect or down switch. Err says why it cannot.
pub(super) fn node_fit(view: &FleetView<'_>, id: &str) -> Result<Option<String>, String> {
    let Some(server) = view.server(id) else {
        return Err(format!("{id} is not in the fleet"));
    };
    if let Some(problem) = health_problem(server.health.state) {
        return Err(format!("{id} {problem}"));
    }
    if let Some(problem) = admin_problem(server.admin) {
        return Err(format!("{id} {problem}"));
    }
    Ok(match view.switch_health(server) {
        SwitchHealth::Ok => None,
        health => Some(format!(
            "{id} is behind {} switch {}",
            health.as_str(),
            server.switch
        )),
    })
}
