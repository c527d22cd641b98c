//! A plan being assembled: steps with their deadlines, placements, warnings.

use chrono::{DateTime, Utc};

use super::PlannerSettings;
use crate::model::{
    Placement, Plan, PlanKind, PlanRequest, PlanStep, StepOp, Timestamp, Unplaceable,
};

/// Everything of a [`Plan`] except what `finish` stamps on it (id, version, times).
pub(super) struct Draft {
    pub kind: PlanKind,
    pub target: Option<String>,
    pub summary: String,
    pub steps: Vec<PlanStep>,
    pub placements: Vec<Placement>,
    pub unplaceable: Vec<Unplaceable>,
    pub warnings: Vec<String>,
    pub risk: Option<String>,
    pub confirm: Option<String>,
    pub offers: Vec<PlanRequest>,
    pub scope: String,
    step_deadline_s: u64,
    wait_deadline_s: u64,
}

impl Draft {
    pub fn new(
        kind: PlanKind,
        target: Option<String>,
        scope: String,
        settings: &PlannerSettings,
    ) -> Draft {
        Draft {
            kind,
            target,
            summary: String::new(),
            steps: Vec::new(),
            placements: Vec::new(),
            unplaceable: Vec::new(),
            warnings: Vec::new(),
            risk: None,
            confirm: None,
            offers: Vec::new(),
            scope,
            step_deadline_s: settings.step_deadline_s,
            wait_deadline_s: settings.wait_deadline_s,
        }
    }

    /// Adds a step with the ordinary step deadline.
    pub fn step(&mut self, op: StepOp, description: String) {
        self.steps.push(PlanStep {
            op,
            description,
            deadline_s: self.step_deadline_s,
        });
    }

    /// Adds a long step (a copy of a node's data): the wait deadline.
    pub fn long_step(&mut self, op: StepOp, description: String) {
        self.steps.push(PlanStep {
            op,
            description,
            deadline_s: self.wait_deadline_s,
        });
    }

    /// Adds a wait for `server` to have been up `stable_s` seconds. Its
    /// deadline leaves room for the whole window plus an ordinary step.
    pub fn wait_healthy(&mut self, server: &str, stable_s: u64) {
        let deadline_s = self
            .wait_deadline_s
            .max(stable_s.saturating_add(self.step_deadline_s));
        self.steps.push(PlanStep {
            op: StepOp::WaitHealthy {
                server: server.to_string(),
                stable_s,
            },
            description: format!("wait until {server} has been up for {stable_s} s"),
            deadline_s,
        });
    }

    /// Records a placement and the step that carries it out.
    pub fn move_site(&mut self, site: &str, from: &str, to: &str) {
        self.placements.push(Placement {
            site: site.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        });
        self.step(
            StepOp::MoveSite {
                site: site.to_string(),
                from: from.to_string(),
                to: to.to_string(),
            },
            format!("move {site} from {from} to {to}"),
        );
    }

    pub fn cannot_place(&mut self, site: &str, from: &str, reason: &str) {
        self.unplaceable.push(Unplaceable {
            site: site.to_string(),
            from: from.to_string(),
            reason: reason.to_string(),
        });
    }

    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    pub fn finish(
        self,
        id: String,
        topology_version: u64,
        now: Timestamp,
        settings: &PlannerSettings,
    ) -> Plan {
        let expires_at = now
            .checked_add_signed(settings.expires_after)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Plan {
            id,
            kind: self.kind,
            target: self.target,
            summary: self.summary,
            steps: self.steps,
            placements: self.placements,
            unplaceable: self.unplaceable,
            warnings: self.warnings,
            risk: self.risk,
            confirm: self.confirm,
            offers: self.offers,
            scope: self.scope,
            topology_version,
            created_at: now,
            expires_at,
        }
    }
}
