//! Changes made by operators and actions: placement, admin state, role.

use super::changes::ChangeSet;
use super::{Fleet, FleetChange, FleetError};
use crate::model::{Admin, Role, Timestamp};

impl Fleet {
    /// Places `site` on server `to`. Moving a site where it already is
    /// changes nothing. Refused for an unknown site or server, a server that
    /// does not host sites (only app and failover servers do), or a server
    /// already at capacity. Health is not checked: this records a move that
    /// the executor made.
    pub fn move_site(
        &mut self,
        at: Timestamp,
        site: &str,
        to: &str,
    ) -> Result<Vec<FleetChange>, FleetError> {
        let &site_ix = self
            .site_index
            .get(site)
            .ok_or_else(|| FleetError::UnknownSite(site.to_string()))?;
        let target_ix = self.server_ix(to)?;
        let target = &self.topology.servers[target_ix];
        if !matches!(target.role, Role::App | Role::Failover) {
            return Err(FleetError::NotSiteHost {
                server: target.id.clone(),
                role: target.role,
            });
        }
        let source_ix = self.site_server[site_ix];
        if source_ix == target_ix {
            return Ok(Vec::new());
        }
        if target.site_count >= target.capacity {
            return Err(FleetError::OverCapacity {
                server: target.id.clone(),
                capacity: target.capacity,
            });
        }

        let mut changes = ChangeSet::new(self.topology.version + 1, "site moved");
        let placed = &mut self.sites_on[source_ix];
        if let Some(k) = placed.iter().position(|&s| s == site_ix) {
            placed.swap_remove(k);
        }
        self.sites_on[target_ix].push(site_ix);
        self.site_server[site_ix] = target_ix;
        self.topology.sites[site_ix].server = to.to_string();
        let source = &mut self.topology.servers[source_ix];
        source.site_count = source.site_count.saturating_sub(1);
        self.topology.servers[target_ix].site_count += 1;
        changes.server(source_ix);
        changes.server(target_ix);
        changes.site(site_ix);
        self.rederive_site(site_ix, at, &mut changes);
        Ok(self.finish(at, changes))
    }

    /// Sets a server's administrative state; setting the state it has changes nothing.
    pub fn set_admin(
        &mut self,
        at: Timestamp,
        server: &str,
        admin: Admin,
    ) -> Result<Vec<FleetChange>, FleetError> {
        let ix = self.server_ix(server)?;
        if self.topology.servers[ix].admin == admin {
            return Ok(Vec::new());
        }
        let mut changes = ChangeSet::new(self.topology.version + 1, "admin state set");
        self.topology.servers[ix].admin = admin;
        changes.server(ix);
        Ok(self.finish(at, changes))
    }

    /// Moves a server between the app role and the failover pool (promoting
    /// a spare app server, or returning it to normal); no other role change
    /// is possible. Setting the role it has changes nothing.
    pub fn set_role(
        &mut self,
        at: Timestamp,
        server: &str,
        role: Role,
    ) -> Result<Vec<FleetChange>, FleetError> {
        let ix = self.server_ix(server)?;
        let current = self.topology.servers[ix].role;
        if current == role {
            return Ok(Vec::new());
        }
        let hosts_sites = |r: Role| matches!(r, Role::App | Role::Failover);
        if !hosts_sites(current) || !hosts_sites(role) {
            return Err(FleetError::RoleChangeRefused {
                server: server.to_string(),
                from: current,
                to: role,
            });
        }
        let mut changes = ChangeSet::new(self.topology.version + 1, "role changed");
        self.topology.servers[ix].role = role;
        changes.server(ix);
        Ok(self.finish(at, changes))
    }

    fn server_ix(&self, id: &str) -> Result<usize, FleetError> {
        self.server_index
            .get(id)
            .copied()
            .ok_or_else(|| FleetError::UnknownServer(id.to_string()))
    }
}
