//! Alerts from outside (Alertmanager): opened, refreshed and cleared by
//! what the sender says, never by the derived conditions (settling only
//! touches the kinds it derives), and saved with the others.

use super::{Fleet, FleetChange};
use crate::model::{Alert, AlertKind, AlertSeverity, Timestamp};

impl Fleet {
    /// Whether `id` is a node (server, cache or database node) of the fleet.
    pub fn has_node(&self, id: &str) -> bool {
        self.topology.servers.iter().any(|s| s.id == id)
    }

    /// An outside alert fires: opened at `at` (when it started firing) if
    /// it was not open; an open one takes the new message and severity
    /// without an event, as a derived alert's changing count does.
    pub fn external_firing(
        &mut self,
        id: &str,
        severity: AlertSeverity,
        target: &str,
        message: &str,
        at: Timestamp,
    ) -> Option<FleetChange> {
        if let Some(open) = self.alerts.get_mut(id) {
            open.message = message.to_string();
            open.severity = severity;
            return None;
        }
        let alert = Alert {
            id: id.to_string(),
            kind: AlertKind::External,
            severity,
            target: target.to_string(),
            message: message.to_string(),
            opened_at: at,
            resolved_at: None,
            acknowledged: None,
            silenced: None,
            runbook: self.runbooks.get(&AlertKind::External).cloned(),
        };
        self.alerts.insert(alert.id.clone(), alert.clone());
        Some(FleetChange::AlertOpened(alert))
    }

    /// An outside alert is resolved: it clears once (nothing when it was
    /// not open, or is not an outside alert).
    pub fn external_resolved(&mut self, id: &str, at: Timestamp) -> Option<FleetChange> {
        if self.alerts.get(id)?.kind != AlertKind::External {
            return None;
        }
        let mut alert = self.alerts.remove(id)?;
        alert.resolved_at = Some(at.max(alert.opened_at));
        Some(FleetChange::AlertResolved(alert))
    }
}
