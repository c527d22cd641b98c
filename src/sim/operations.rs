//! What operators (through the executor's sim driver) can do to the world.
//! Every operation checks its arguments first and changes nothing when it
//! refuses.

use crate::model::Role;

use super::SimError;
use super::world::{Sim, StaleCacheClients};

impl Sim {
    /// Moves a site to an app or failover server with free capacity.
    /// Moving a site where it already is does nothing.
    pub fn move_site(&mut self, site: &str, to: &str) -> Result<(), SimError> {
        let s = self.site(site)?;
        let n = self.node_with_role(
            to,
            &[Role::App, Role::Failover],
            "a site can only move to an app or failover server",
        )?;
        if self.sites[s].server == to {
            return Ok(());
        }
        let hosted = self.sites.iter().filter(|x| x.server == to).count();
        let capacity = self.nodes[n].capacity;
        if u32::try_from(hosted).unwrap_or(u32::MAX) >= capacity {
            return Err(SimError::Refused(format!(
                "'{to}' is full ({hosted} of {capacity} sites)"
            )));
        }
        self.sites[s].server = to.to_string();
        Ok(())
    }

    /// Makes a cache node active: `to`, or else the first standby that is
    /// not faulty. The old active node becomes a standby (a dead one leaves
    /// the pair until re-established) and the epoch rises. With the `cache_failover_regression` fault armed, every
    /// web server keeps a stale connection to the old node until recycled.
    pub fn cache_failover(&mut self, to: Option<&str>) -> Result<(), SimError> {
        let Some(cache) = &self.cache else {
            return Err(SimError::Refused("this fleet has no cache".to_string()));
        };
        let new_active = match to {
            Some(id) => {
                self.node_with_role(id, &[Role::Cache], "cache_failover needs a cache node")?;
                if cache.active == id {
                    return Err(SimError::Refused(format!(
                        "'{id}' is already the active cache node"
                    )));
                }
                if self.is_dead(id) {
                    return Err(SimError::Refused(format!("cache node '{id}' is down")));
                }
                id.to_string()
            }
            None => cache
                .standby
                .iter()
                .find(|id| !self.is_faulty(id))
                .cloned()
                .ok_or_else(|| {
                    SimError::Refused("no healthy cache standby to fail over to".to_string())
                })?,
        };
        let armed = self
            .faults
            .iter()
            .any(|f| f.fault.kind == crate::model::FaultKind::CacheFailoverRegression);
        let web_servers = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Web)
            .map(|n| n.id.clone())
            .collect();
        let old_dead = self.is_dead(&cache.active);
        if let Some(cache) = &mut self.cache {
            cache.standby.retain(|id| *id != new_active);
            cache.detached.retain(|id| *id != new_active);
            let old = std::mem::replace(&mut cache.active, new_active);
            if old_dead {
                cache.detached.push(old.clone());
            } else {
                cache.standby.push(old.clone());
            }
            cache.epoch += 1;
            // A later failover replaces the stale set: clients that were
            // stale keep their (new) stale connection to this old node.
            cache.stale = armed.then_some(StaleCacheClients {
                old_node: old,
                web_servers,
            });
        }
        Ok(())
    }

    /// Restarts a web server, which drops its stale cache connection.
    pub fn recycle_web(&mut self, server: &str) -> Result<(), SimError> {
        self.node_with_role(server, &[Role::Web], "recycle_web needs a web server")?;
        if let Some(cache) = &mut self.cache
            && let Some(stale) = &mut cache.stale
        {
            stale.web_servers.remove(server);
            if stale.web_servers.is_empty() {
                cache.stale = None;
            }
        }
        Ok(())
    }

    /// A manual database failover, as the responders of 2020 ran it: the
    /// writer moves to `to` (or the first replica that is not faulty) and
    /// every backend reconnects, so no site stays stuck; the epoch rises. With
    /// no replica to move to, a live writer is failed over in place (every
    /// backend still reconnects). A dead old writer leaves the cluster until
    /// it is rebuilt as a replica; a live one becomes a replica.
    pub fn db_failover(&mut self, to: Option<&str>) -> Result<(), SimError> {
        let Some(db) = &self.database else {
            return Err(SimError::Refused("this fleet has no database".to_string()));
        };
        let new_writer = match to {
            Some(id) => {
                self.node_with_role(id, &[Role::Db], "db_failover needs a database node")?;
                if db.writer == id {
                    return Err(SimError::Refused(format!(
                        "'{id}' is already the database writer"
                    )));
                }
                if !db.replicas.iter().any(|r| r == id) {
                    return Err(SimError::Refused(format!(
                        "'{id}' is not a replica (a failed node rejoins once it recovers)"
                    )));
                }
                if self.is_dead(id) {
                    return Err(SimError::Refused(format!("database node '{id}' is down")));
                }
                Some(id.to_string())
            }
            None => db.replicas.iter().find(|r| !self.is_faulty(r)).cloned(),
        };
        if new_writer.is_none() && self.is_dead(&db.writer) {
            return Err(SimError::Refused(
                "no healthy database node to fail over to".to_string(),
            ));
        }
        let old_writer_dead = self.is_dead(&db.writer);
        if let Some(db) = &mut self.database {
            if let Some(new_writer) = new_writer {
                db.replicas.retain(|r| *r != new_writer);
                let old = std::mem::replace(&mut db.writer, new_writer);
                if old_writer_dead {
                    db.ejected.push(old);
                } else {
                    db.replicas.push(old);
                }
            }
            db.epoch += 1;
            db.promotion_due_ms = None;
        }
        for site in &mut self.sites {
            site.stuck_backends = 0;
        }
        Ok(())
    }

    /// Re-establishes `node` as a standby of the active cache node (its copy
    /// rebuilt from it). Refused for the active node, a standby, or a dead node.
    pub fn cache_standby(&mut self, node: &str) -> Result<(), SimError> {
        self.node_with_role(node, &[Role::Cache], "cache_standby needs a cache node")?;
        let dead = self.is_dead(node);
        let Some(cache) = &mut self.cache else {
            return Err(SimError::Refused("this fleet has no cache".to_string()));
        };
        if cache.active == node {
            return Err(SimError::Refused(format!(
                "'{node}' is the active cache node"
            )));
        }
        if cache.standby.iter().any(|id| id == node) {
            return Err(SimError::Refused(format!("'{node}' is already a standby")));
        }
        if dead {
            return Err(SimError::Refused(format!("cache node '{node}' is down")));
        }
        cache.detached.retain(|id| id != node);
        cache.standby.push(node.to_string());
        Ok(())
    }

    /// Rebuilds `node` as a replica of the database writer (a fresh copy of
    /// its data). Refused for the writer, a replica, or a dead node.
    pub fn rebuild_replica(&mut self, node: &str) -> Result<(), SimError> {
        self.node_with_role(node, &[Role::Db], "rebuild_replica needs a database node")?;
        let dead = self.is_dead(node);
        let Some(db) = &mut self.database else {
            return Err(SimError::Refused("this fleet has no database".to_string()));
        };
        if db.writer == node {
            return Err(SimError::Refused(format!(
                "'{node}' is the database writer"
            )));
        }
        if db.replicas.iter().any(|id| id == node) {
            return Err(SimError::Refused(format!("'{node}' is already a replica")));
        }
        if dead {
            return Err(SimError::Refused(format!("database node '{node}' is down")));
        }
        db.ejected.retain(|id| id != node);
        db.replicas.push(node.to_string());
        Ok(())
    }

    /// Restarts a site's backends, which clears any stuck on a dead node.
    pub fn restart_site(&mut self, site: &str) -> Result<(), SimError> {
        let s = self.site(site)?;
        self.sites[s].stuck_backends = 0;
        Ok(())
    }

    /// Moves a server between the app and failover pools (promoting a spare
    /// or giving it back). Its sites stay where they are.
    pub fn set_role(&mut self, server: &str, role: Role) -> Result<(), SimError> {
        const NEEDS: &str = "only app and failover servers change role";
        let n = self.node_with_role(server, &[Role::App, Role::Failover], NEEDS)?;
        if !matches!(role, Role::App | Role::Failover) {
            return Err(SimError::Refused(format!(
                "cannot make '{server}' a {} server; {NEEDS}",
                role.as_str()
            )));
        }
        self.nodes[n].role = role;
        Ok(())
    }

    fn site(&self, id: &str) -> Result<usize, SimError> {
        self.sites
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| SimError::UnknownTarget {
                expected: "site",
                id: id.to_string(),
            })
    }

    /// The node `id`, which must have one of `roles` now.
    fn node_with_role(&self, id: &str, roles: &[Role], needs: &str) -> Result<usize, SimError> {
        let i = self.node(id).ok_or_else(|| SimError::UnknownTarget {
            expected: "server",
            id: id.to_string(),
        })?;
        let role = self.nodes[i].role;
        if roles.contains(&role) {
            Ok(i)
        } else {
            Err(SimError::WrongRole {
                id: id.to_string(),
                role,
                needs: needs.to_string(),
            })
        }
    }
}
