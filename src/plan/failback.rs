//! Failback: sites back to their home servers once those are healthy and
//! stable. Also the undo of an evacuation.

use std::collections::{BTreeMap, BTreeSet};

use super::PlannerSettings;
use super::draft::Draft;
use super::error::PlanError;
use super::view::{
    FleetView, count, free_slots, health_problem, hosts_sites, list_ids, scope_for_servers,
};
use crate::model::{Admin, PlanKind, PlanRequest, Server, Site, StepOp, SwitchHealth, Timestamp};

/// Which sites a failback considers.
#[derive(Debug, Default)]
pub(super) struct FailbackFilter<'a> {
    /// Only these sites; None means every site away from its home.
    pub sites: Option<BTreeSet<&'a str>>,
    /// Only sites whose home is one of these servers; None means any home.
    pub homes: Option<BTreeSet<&'a str>>,
    /// Drained servers to set ready again (once healthy and stable) even
    /// when no site moves back onto them: the sources of an undone evacuation.
    pub restore: BTreeSet<&'a str>,
}

/// `failback` as requested: `target` is a site, a home server or a switch
/// (homes behind it); `options.sites` narrows to those sites.
pub(super) fn failback_request<'a>(
    view: &FleetView<'a>,
    request: &'a PlanRequest,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let mut filter = FailbackFilter::default();
    let needs_sites = !request.options.sites.is_empty()
        || request
            .target
            .as_deref()
            .is_some_and(|t| view.server(t).is_none() && view.switch(t).is_none());
    let site_index = if needs_sites {
        view.site_index()
    } else {
        Default::default()
    };
    if !request.options.sites.is_empty() {
        let mut chosen = BTreeSet::new();
        for id in &request.options.sites {
            if !site_index.contains_key(id.as_str()) {
                return Err(PlanError::UnknownTarget {
                    target: id.clone(),
                    expected: "site",
                });
            }
            chosen.insert(id.as_str());
        }
        filter.sites = Some(chosen);
    }
    if let Some(target) = request.target.as_deref() {
        if let Some(server) = view.server(target) {
            if !hosts_sites(server.role) {
                return Err(PlanError::WrongTarget {
                    kind: PlanKind::Failback,
                    target: target.to_string(),
                    reason: format!(
                        "{target} is a {} server; sites fail back to app servers",
                        server.role.as_str()
                    ),
                });
            }
            filter.homes = Some(BTreeSet::from([target]));
        } else if view.switch(target).is_some() {
            let behind = view.site_hosts_behind(target);
            filter.homes = Some(behind.iter().map(|s| s.id.as_str()).collect());
        } else if site_index.contains_key(target) {
            let only = BTreeSet::from([target]);
            filter.sites = Some(match filter.sites {
                Some(chosen) => chosen.intersection(&only).copied().collect(),
                None => only,
            });
        } else {
            return Err(PlanError::UnknownTarget {
                target: target.to_string(),
                expected: "site, server or switch",
            });
        }
    }
    let nothing = if request.target.is_none() && filter.sites.is_none() {
        "every site is on its home server"
    } else {
        "the chosen sites are on their home servers"
    };
    failback(
        view,
        request.target.clone(),
        &filter,
        nothing,
        now,
        settings,
    )
}

/// The failback of the sites `filter` selects. Per home server, in id
/// order: wait until it has been up `failback_stable_s`, set it ready if it
/// was drained, move its sites back (never over its capacity). Sites whose
/// home is not healthy and stable stay where they are, listed with the reason.
/// `nothing` is the message when no site is away from home.
pub(super) fn failback(
    view: &FleetView<'_>,
    target: Option<String>,
    filter: &FailbackFilter<'_>,
    nothing: &str,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let stable_s = settings.failback_stable_s;
    let mut by_home: BTreeMap<&str, Vec<&Site>> = BTreeMap::new();
    for site in &view.topology.sites {
        let away = site.server != site.home_server;
        let chosen = filter
            .sites
            .as_ref()
            .is_none_or(|sites| sites.contains(site.id.as_str()));
        let home_chosen = filter
            .homes
            .as_ref()
            .is_none_or(|homes| homes.contains(site.home_server.as_str()));
        if away && chosen && home_chosen {
            by_home
                .entry(site.home_server.as_str())
                .or_default()
                .push(site);
        }
    }
    for sites in by_home.values_mut() {
        sites.sort_by(|a, b| a.id.cmp(&b.id));
    }
    let restore_only: Vec<&Server> = filter
        .restore
        .iter()
        .filter(|id| !by_home.contains_key(*id))
        .filter_map(|id| view.server(id))
        .filter(|server| server.admin == Admin::Drain)
        .collect();
    if by_home.is_empty() && restore_only.is_empty() {
        return Err(PlanError::NothingToDo(nothing.to_string()));
    }

    let mut involved: Vec<&str> = by_home.keys().copied().collect();
    involved.extend(restore_only.iter().map(|s| s.id.as_str()));
    involved.sort_unstable();
    let mut draft = Draft::new(
        PlanKind::Failback,
        target,
        scope_for_servers(view, &involved),
        settings,
    );

    let mut homes_used = Vec::new();
    for (&home_id, sites) in &by_home {
        let home = match home_ready(view, home_id, now, stable_s) {
            Ok(home) => home,
            Err(reason) => {
                for site in sites {
                    draft.cannot_place(&site.id, &site.server, &reason);
                }
                draft.warn(format!(
                    "{} cannot fail back yet: {reason}",
                    count(sites.len(), "site")
                ));
                continue;
            }
        };
        draft.wait_healthy(home_id, stable_s);
        if home.admin == Admin::Drain {
            set_ready(&mut draft, home_id);
        }
        let free = free_slots(home) as usize;
        let full = format!(
            "home {home_id} is full: {} for {}",
            count(free, "free slot"),
            count(sites.len(), "site")
        );
        for (i, site) in sites.iter().enumerate() {
            if i < free {
                draft.move_site(&site.id, &site.server, home_id);
            } else {
                draft.cannot_place(&site.id, &site.server, &full);
            }
        }
        if sites.len() > free {
            draft.warn(format!("{}: some sites stay where they are", full));
        }
        homes_used.push(home_id);
    }
    let mut restored = Vec::new();
    for server in restore_only {
        match home_ready(view, &server.id, now, stable_s) {
            Ok(_) => {
                draft.wait_healthy(&server.id, stable_s);
                set_ready(&mut draft, &server.id);
                restored.push(server.id.as_str());
            }
            Err(reason) => draft.warn(format!("{} stays drained: {reason}", server.id)),
        }
    }

    let moved = draft.placements.len();
    let waiting = draft.unplaceable.len();
    draft.summary = match (moved, waiting) {
        (0, 0) if restored.is_empty() => "Nothing can fail back yet.".to_string(),
        (0, 0) => format!("Set {} ready again.", list_ids(&restored)),
        (0, _) => format!(
            "No site can fail back yet: {} wait for their home servers.",
            count(waiting, "site")
        ),
        (_, 0) => format!(
            "Fail back {} to {}.",
            count(moved, "site"),
            list_ids(&homes_used)
        ),
        (_, _) => format!(
            "Fail back {} to {}; {} cannot fail back yet.",
            count(moved, "site"),
            list_ids(&homes_used),
            count(waiting, "site")
        ),
    };
    Ok(draft)
}

fn set_ready(draft: &mut Draft, server: &str) {
    draft.step(
        StepOp::SetAdmin {
            server: server.to_string(),
            admin: Admin::Ready,
        },
        format!("set {server} ready again"),
    );
}

/// The home server when sites may go back to it now: it hosts sites, is up
/// (not flapping, degraded or unknown) since at least `stable_s` seconds,
/// is not in maintenance and sits behind a healthy switch. Otherwise why not.
fn home_ready<'a>(
    view: &FleetView<'a>,
    home_id: &str,
    now: Timestamp,
    stable_s: u64,
) -> Result<&'a Server, String> {
    let Some(home) = view.server(home_id) else {
        return Err(format!("home {home_id} is not in the fleet"));
    };
    if !hosts_sites(home.role) {
        return Err(format!("home {home_id} is a {} server", home.role.as_str()));
    }
    if let Some(problem) = health_problem(home.health.state) {
        return Err(format!("home {home_id} {problem}"));
    }
    if home.admin == Admin::Maint {
        return Err(format!("home {home_id} is in maintenance"));
    }
    let switch_health = view.switch_health(home);
    if switch_health != SwitchHealth::Ok {
        return Err(format!(
            "home {home_id} is behind {} switch {}",
            switch_health.as_str(),
            home.switch
        ));
    }
    let up_for = u64::try_from((now - home.health.since).num_seconds()).unwrap_or(0);
    if up_for < stable_s {
        return Err(format!(
            "home {home_id} up for {up_for} s, needs {stable_s} s stable"
        ));
    }
    Ok(home)
}
