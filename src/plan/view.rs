//! Read-only lookups over one topology, built once per plan.

use std::collections::HashMap;

use crate::model::{Admin, HealthState, Role, Server, Site, Switch, SwitchHealth, Topology};

/// Indexes of one topology. When an id is listed twice the first entry wins,
/// as in the fleet itself.
pub(super) struct FleetView<'a> {
    pub topology: &'a Topology,
    servers: HashMap<&'a str, &'a Server>,
    switches: HashMap<&'a str, &'a Switch>,
}

impl<'a> FleetView<'a> {
    pub fn new(topology: &'a Topology) -> FleetView<'a> {
        let mut servers = HashMap::with_capacity(topology.servers.len());
        for server in &topology.servers {
            servers.entry(server.id.as_str()).or_insert(server);
        }
        let mut switches = HashMap::with_capacity(topology.switches.len());
        for switch in &topology.switches {
            switches.entry(switch.id.as_str()).or_insert(switch);
        }
        FleetView {
            topology,
            servers,
            switches,
        }
    }

    pub fn server(&self, id: &str) -> Option<&'a Server> {
        self.servers.get(id).copied()
    }

    pub fn switch(&self, id: &str) -> Option<&'a Switch> {
        self.switches.get(id).copied()
    }

    /// Sites by id. Built on demand: most plans never look a site up by id.
    pub fn site_index(&self) -> HashMap<&'a str, &'a Site> {
        let mut sites = HashMap::with_capacity(self.topology.sites.len());
        for site in &self.topology.sites {
            sites.entry(site.id.as_str()).or_insert(site);
        }
        sites
    }

    /// Health of the switch a server sits behind; a switch the topology does
    /// not list counts as ok (nothing says otherwise).
    pub fn switch_health(&self, server: &Server) -> SwitchHealth {
        self.switch(&server.switch)
            .map_or(SwitchHealth::Ok, |switch| switch.health)
    }

    /// App and failover servers behind `switch`, sorted by id.
    pub fn site_hosts_behind(&self, switch: &str) -> Vec<&'a Server> {
        let mut behind: Vec<&Server> = self
            .topology
            .servers
            .iter()
            .filter(|s| s.switch == switch && hosts_sites(s.role))
            .collect();
        behind.sort_by(|a, b| a.id.cmp(&b.id));
        behind.dedup_by(|a, b| a.id == b.id);
        behind
    }

    /// Why `server` cannot take sites now (health, admin state, switch), or
    /// None when it can. Role and capacity are the caller's business.
    pub fn unfit_to_host(&self, server: &Server) -> Option<String> {
        if let Some(problem) = health_problem(server.health.state) {
            return Some(format!("{} {problem}", server.id));
        }
        if let Some(problem) = admin_problem(server.admin) {
            return Some(format!("{} {problem}", server.id));
        }
        match self.switch_health(server) {
            SwitchHealth::Ok => None,
            health => Some(format!(
                "{} is behind {} switch {}",
                server.id,
                health.as_str(),
                server.switch
            )),
        }
    }
}

/// App and failover servers host sites; the other roles do not.
pub(super) fn hosts_sites(role: Role) -> bool {
    matches!(role, Role::App | Role::Failover)
}

/// Slots left before the server reaches its capacity.
pub(super) fn free_slots(server: &Server) -> u32 {
    server.capacity.saturating_sub(server.site_count)
}

/// What keeps a node in this health state from being relied on, or None when it is up.
pub(super) fn health_problem(state: HealthState) -> Option<&'static str> {
    match state {
        HealthState::Up => None,
        HealthState::Degraded => Some("is degraded"),
        HealthState::Down => Some("is down"),
        HealthState::Flapping => Some("is flapping"),
        HealthState::Unknown => Some("has unknown health"),
    }
}

/// What keeps a server in this admin state from taking new work, or None when it is ready.
pub(super) fn admin_problem(admin: Admin) -> Option<&'static str> {
    match admin {
        Admin::Ready => None,
        Admin::Drain => Some("is draining"),
        Admin::Maint => Some("is in maintenance"),
    }
}

/// The lease scope for a set of servers: `server:ID` for one, `switch:ID`
/// when all sit behind one switch, `fleet` otherwise.
pub(super) fn scope_for_servers(view: &FleetView<'_>, ids: &[&str]) -> String {
    match ids {
        [] => "fleet".to_string(),
        [one] => format!("server:{one}"),
        [first, rest @ ..] => {
            let switch_of = |id: &str| view.server(id).map(|s| s.switch.as_str());
            match switch_of(first) {
                Some(switch) if rest.iter().all(|id| switch_of(id) == Some(switch)) => {
                    format!("switch:{switch}")
                }
                _ => "fleet".to_string(),
            }
        }
    }
}

/// "a", "a and b", "a, b and c", or "a, b, c, d and 7 more" for long lists.
pub(super) fn list_ids<S: AsRef<str>>(ids: &[S]) -> String {
    const SHOWN: usize = 4;
    let names: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        _ if names.len() > SHOWN + 1 => format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        ),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "1 site", "2 sites".
pub(super) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
