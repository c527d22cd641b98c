//! What a drill leaves: the scorecard, from the sites' truth, the fault
//! targets' recorded health and every action, and the incident's postmortem.

use super::play::{Drill, DrillOutcome, Responder};
use crate::model::{HealthState, PlanKind};
use crate::report::{ActionRecord, DrillRecord, FaultRecord, scorecard};
use crate::sim::{Scenario, StepAction};

impl Drill {
    pub(super) async fn outcome(
        &self,
        scenario: &Scenario,
        incident_id: i64,
    ) -> anyhow::Result<DrillOutcome> {
        let record = self.record(scenario).await?;
        let mut card = scorecard(&record);
        card.responder = self.options.responder.as_str().to_string();
        if self.options.responder == Responder::Console {
            card.reaction_s = Some(self.options.reaction.as_secs());
        }
        Ok(DrillOutcome {
            scorecard: card,
            incident_id,
            postmortem_md: self.client.postmortem(incident_id, "md", None).await?,
            postmortem_json: self.client.postmortem(incident_id, "json", None).await?,
        })
    }

    /// Collect what the scorecard needs from the API.
    pub(super) async fn record(&self, scenario: &Scenario) -> anyhow::Result<DrillRecord> {
        let topology = self.client.topology().await?;
        let faults: Vec<FaultRecord> = scenario
            .steps
            .iter()
            .filter_map(|step| match &step.action {
                StepAction::Fault(fault) => Some(FaultRecord {
                    at_s: step.at.duration().as_secs(),
                    kind: fault.kind,
                    target: fault.target.clone(),
                    description: step.description.clone(),
                }),
                StepAction::Note => None,
            })
            .collect();
        // Sites as they really fared; the fault targets as the orchestrator
        // saw them (when each failure was detected).
        let mut histories = self.truth.clone();
        let mut targets: Vec<String> = faults.iter().map(|f| f.target.clone()).collect();
        targets.sort();
        targets.dedup();
        for id in targets {
            match self.client.health_history(&id).await {
                Ok(history) => {
                    histories.insert(id, history.samples);
                }
                // Nodes the history does not know (none today) score as undetected.
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut actions = self.client.actions(None).await?;
        // Within one moment of virtual time: the offers a plan took ran
        // before it, and the follow-up it needed after it.
        let rank = |kind: PlanKind| match kind {
            PlanKind::PromoteSpare => 0,
            PlanKind::RecycleWeb | PlanKind::RestartSites => 2,
            _ => 1,
        };
        actions.sort_by(|a, b| {
            (a.started_at, rank(a.kind), &a.target).cmp(&(b.started_at, rank(b.kind), &b.target))
        });
        let actions = actions
            .iter()
            .map(|a| ActionRecord {
                kind: a.kind.as_str().to_string(),
                target: a.target.clone(),
                started_s: self.offset_s(a.started_at),
                finished_s: a.finished_at.map(|t| self.offset_s(t)),
                state: a.state.as_str().to_string(),
                deadline_s: self.deadlines.get(&a.id).copied(),
                automatic: a.automatic,
            })
            .collect();
        Ok(DrillRecord {
            scenario: scenario.name.clone(),
            started_at: self.started_at,
            // Every recorded sample is older than this, so a site's last
            // state lasts until the end of the record.
            ended_at: self.now,
            faults,
            site_homes: topology
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.home_server.clone()))
                .collect(),
            histories,
            actions,
            sites_down_at_end: topology
                .sites
                .iter()
                .filter(|s| s.health.state != HealthState::Up)
                .map(|s| s.id.clone())
                .collect(),
        })
    }
}
