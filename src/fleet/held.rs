//! `autopilot_held` alerts: the autopilot refused a recommended plan over
//! its blast-radius cap and asks for a human. Opened and cleared by the
//! autopilot, never by the derived conditions (settling only touches the
//! kinds it derives), and saved with the others.

use super::{Fleet, FleetChange, alert_id};
use crate::model::{Alert, AlertKind, AlertSeverity, Timestamp};

impl Fleet {
    /// The autopilot holds a plan on `target`: the alert opens at `at`, or
    /// an open one takes the new message without an event.
    pub fn autopilot_held(
        &mut self,
        target: &str,
        message: &str,
        at: Timestamp,
    ) -> Option<FleetChange> {
        let id = alert_id(AlertKind::AutopilotHeld, target);
        if let Some(open) = self.alerts.get_mut(&id) {
            open.message = message.to_string();
            return None;
        }
        let alert = Alert {
            id: id.clone(),
            kind: AlertKind::AutopilotHeld,
            severity: AlertSeverity::Warning,
            target: target.to_string(),
            message: message.to_string(),
            opened_at: at,
            resolved_at: None,
            acknowledged: None,
            silenced: None,
            runbook: self.runbooks.get(&AlertKind::AutopilotHeld).cloned(),
        };
        self.alerts.insert(id, alert.clone());
        Some(FleetChange::AlertOpened(alert))
    }

    /// Clears every `autopilot_held` alert whose target `still_held` no
    /// longer names, each once.
    pub fn autopilot_released(
        &mut self,
        still_held: impl Fn(&str) -> bool,
        at: Timestamp,
    ) -> Vec<FleetChange> {
        let gone: Vec<String> = self
            .alerts
            .values()
            .filter(|a| a.kind == AlertKind::AutopilotHeld && !still_held(&a.target))
            .map(|a| a.id.clone())
            .collect();
        gone.into_iter()
            .filter_map(|id| self.alerts.remove(&id))
            .map(|mut alert| {
                alert.resolved_at = Some(at.max(alert.opened_at));
                FleetChange::AlertResolved(alert)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, Utc};

    use super::*;
    use crate::model::FleetSpec;

    #[test]
    fn opens_once_and_clears_when_released() {
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).unwrap();
        let t0 = Utc::now();
        let mut fleet = Fleet::new(&spec, t0);
        let opened = fleet.autopilot_held("sw-2", "held", t0);
        assert!(matches!(opened, Some(FleetChange::AlertOpened(ref a))
            if a.id == "autopilot_held:sw-2" && a.severity == AlertSeverity::Warning));
        assert_eq!(fleet.autopilot_held("sw-2", "held again", t0), None);
        assert!(fleet.autopilot_released(|t| t == "sw-2", t0).is_empty());
        let later = t0 + TimeDelta::seconds(5);
        let cleared = fleet.autopilot_released(|_| false, later);
        assert!(matches!(cleared.as_slice(), [FleetChange::AlertResolved(a)]
            if a.resolved_at == Some(later) && a.message == "held again"));
        assert!(fleet.autopilot_released(|_| false, later).is_empty());
    }
}
