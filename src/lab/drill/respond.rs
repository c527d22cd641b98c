//! Making a plan through the API as the console does: its offers when it
//! cannot place everything, execution, and the action followed to its end.
//! An action's follow-up offer is not taken: on real processes whether the
//! cache failover offers the recycle depends on whether the nodes reported
//! their stale connections before it ended, so the lab drill plays the
//! responses as scripted and makes the console's offers after the script.

use std::time::{Duration, Instant};

use anyhow::anyhow;

use super::{Driver, POLL};
use crate::client::ClientError;
use crate::model::{Action, ActionState, ExecuteRequest, Plan, PlanRequest};
use crate::report::ActionRecord;

impl Driver {
    /// Make the plan, take its offers when it could not place everything,
    /// execute it and follow the action.
    pub(super) async fn run_plan(
        &mut self,
        request: PlanRequest,
        depth: u32,
    ) -> anyhow::Result<()> {
        let mut offers_taken = false;
        for _ in 0..50 {
            let plan = match self.client.create_plan(&request).await {
                Ok(plan) => plan,
                Err(e @ ClientError::Api { .. }) if e.status() != Some(423) => {
                    self.say(format!(
                        "          {}: nothing to do ({e})",
                        request.kind.as_str()
                    ));
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            if !plan.unplaceable.is_empty() && !plan.offers.is_empty() && !offers_taken && depth < 2
            {
                offers_taken = true;
                for offer in plan.offers.clone() {
                    Box::pin(self.run_plan(offer, depth + 1)).await?;
                }
                continue;
            }
            if plan.steps.is_empty() {
                self.say(format!(
                    "          {}: nothing to do",
                    request.kind.as_str()
                ));
                return Ok(());
            }
            if self.execute(&plan).await?.is_some() {
                return Ok(());
            }
        }
        Err(anyhow!(
            "{} {}: gave up after 50 attempts",
            request.kind.as_str(),
            request.target.as_deref().unwrap_or("")
        ))
    }

    /// Execute and follow to the end; `None` when the plan must be re-made.
    async fn execute(&mut self, plan: &Plan) -> anyhow::Result<Option<Action>> {
        let key = uuid::Uuid::new_v4().to_string();
        let execute = ExecuteRequest {
            confirm: plan.confirm.clone(),
            acknowledge_cooldown: true,
            automatic: false,
        };
        let action = match self.client.execute_plan(plan, &key, &execute).await {
            Ok(written) => written.value,
            Err(e) if e.status() == Some(409) => return Ok(None),
            Err(e) if e.status() == Some(423) => {
                tokio::time::sleep(POLL).await;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let deadline_s: u64 = plan.steps.iter().map(|s| s.deadline_s).sum();
        let deadline = Instant::now() + Duration::from_secs(deadline_s) + Duration::from_secs(30);
        let mut current = action;
        while !current.state.is_finished() {
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "action {} ({}) did not finish within its deadline",
                    current.id,
                    current.summary
                ));
            }
            tokio::time::sleep(POLL).await;
            self.note_reports().await?;
            current = self.client.action(&current.id).await?;
        }
        self.say(format!(
            "          {} {} -> {}",
            current.kind.as_str(),
            current.target.as_deref().unwrap_or("(all)"),
            current.state.as_str()
        ));
        self.actions.push(ActionRecord {
            kind: current.kind.as_str().to_string(),
            target: current.target.clone(),
            started_s: self.scenario_s_at(current.started_at),
            finished_s: current.finished_at.map(|t| self.scenario_s_at(t)),
            state: current.state.as_str().to_string(),
            deadline_s: Some((deadline_s as f64 * self.speed) as u64),
            automatic: false,
        });
        if matches!(current.state, ActionState::Failed | ActionState::Aborted) {
            return Err(anyhow!(
                "action {} {}",
                current.summary,
                current.state.as_str()
            ));
        }
        Ok(Some(current))
    }
}
