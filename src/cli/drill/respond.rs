//! How the drill's responders act through the API: the scripted response
//! at its offset, the console's top recommendation a reaction time after it
//! is offered, and what a person does with a plan (take its offers, execute
//! it, follow the action on virtual time, run its follow-up).

use anyhow::{Context, anyhow};

use super::play::{Console, Drill, MAX_ATTEMPTS, MITIGATING};
use crate::client::ClientError;
use crate::model::{
    Action, ActionState, ExecuteRequest, Plan, PlanKind, PlanOptions, PlanRequest, Recommendation,
};
use crate::sim::ScriptedResponse;

impl Drill {
    /// What the console offers once the script is done: clear stuck
    /// backends and stale cache clients that remain.
    pub(super) async fn script_follow_up(&self) -> anyhow::Result<Option<PlanKind>> {
        let topology = self.client.topology().await?;
        let stuck = topology.database.as_ref().map_or(0, |d| d.stuck_backends);
        let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
        Ok(if stuck > 0 {
            Some(PlanKind::RestartSites)
        } else if stale > 0 {
            Some(PlanKind::RecycleWeb)
        } else {
            None
        })
    }

    /// The person at the console: sees the top recommendation when it is
    /// offered, and presses its key a reaction time later; the plan they
    /// get is the one recommended then.
    pub(super) async fn console_turn(
        &mut self,
        console: &mut Console,
        changed: bool,
    ) -> anyhow::Result<()> {
        if changed {
            let top = self.top_recommendation().await?;
            match (&console.shown, top) {
                (None, Some(top)) => {
                    self.say(format!(
                        "{:>7}  offered: {}",
                        format!("+{}s", self.offset_s(self.now)),
                        top.reason
                    ));
                    console.due = Some(
                        self.now
                            + chrono::TimeDelta::from_std(self.options.reaction)
                                .unwrap_or(chrono::TimeDelta::MAX),
                    );
                    console.shown = Some(top);
                }
                (Some(_), None) => *console = Console::default(),
                // Still reacting: the key plans whatever is on screen then.
                (Some(_), Some(top)) => console.shown = Some(top),
                (None, None) => {}
            }
        }
        let Some(due) = console.due else {
            return Ok(());
        };
        if self.now < due {
            return Ok(());
        }
        *console = Console::default();
        if let Some(top) = self.top_recommendation().await? {
            self.say(format!(
                "{:>7}  {} {}: {}",
                format!("+{}s", self.offset_s(self.now)),
                top.request.kind.as_str(),
                top.request.target.as_deref().unwrap_or("(all)"),
                top.reason
            ));
            self.run_plan(top.request, 0).await?;
        }
        // Whatever is recommended next is offered from now on.
        self.seen_events = u64::MAX;
        Ok(())
    }

    pub(super) async fn top_recommendation(&self) -> anyhow::Result<Option<Recommendation>> {
        Ok(self
            .client
            .recommendations()
            .await?
            .recommendations
            .into_iter()
            .find(|r| r.alert_kind.is_some_and(|k| MITIGATING.contains(&k))))
    }

    pub(super) async fn scripted(&mut self, response: &ScriptedResponse) -> anyhow::Result<()> {
        let kind: PlanKind =
            serde_json::from_value(serde_json::Value::String(response.plan.as_str().into()))
                .context("a scripted response names an unknown plan kind")?;
        let request = PlanRequest {
            kind,
            target: response.target.clone(),
            options: PlanOptions::default(),
        };
        self.say(format!(
            "{:>7}  {} {}: {}",
            response.at.as_str(),
            kind.as_str(),
            response.target.as_deref().unwrap_or("(all)"),
            response.description
        ));
        self.run_plan(request, 0).await
    }

    /// Make the plan, take its offers when it could not place everything,
    /// execute it, follow the action, and run its follow-up offer: what a
    /// person at the console does with `o`, Enter and `f`.
    pub(super) async fn run_plan(
        &mut self,
        request: PlanRequest,
        depth: u32,
    ) -> anyhow::Result<()> {
        let mut offers_taken = false;
        for _ in 0..MAX_ATTEMPTS {
            let plan = match self.client.create_plan(&request).await {
                Ok(plan) => plan,
                Err(e @ ClientError::Api { .. }) if e.status() != Some(423) => {
                    // Nothing to do (e.g. no stale clients left): the console
                    // would show the reason and offer nothing.
                    self.say(format!(
                        "           {}: nothing to do ({e})",
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
                    "           {}: nothing to do",
                    request.kind.as_str()
                ));
                return Ok(());
            }
            match self.execute(&plan).await? {
                Some(action) => {
                    if action.state == ActionState::NeedsFollowUp
                        && let Some(follow_up) = action.follow_up.clone()
                        && depth < 3
                    {
                        Box::pin(self.run_plan(follow_up.offer, depth + 1)).await?;
                    }
                    return Ok(());
                }
                None => continue,
            }
        }
        Err(anyhow!(
            "{} {}: gave up after {MAX_ATTEMPTS} attempts (topology kept changing or the lease stayed held)",
            request.kind.as_str(),
            request.target.as_deref().unwrap_or("")
        ))
    }

    /// Execute and follow to the end, moving virtual time while the action
    /// waits for it. `None` when the plan must be re-made (409: topology
    /// changed; 423: another action holds the lease).
    pub(super) async fn execute(&mut self, plan: &Plan) -> anyhow::Result<Option<Action>> {
        let key = uuid::Uuid::new_v4().to_string();
        let request = ExecuteRequest {
            confirm: plan.confirm.clone(),
            acknowledge_cooldown: true,
            automatic: false,
        };
        let action = match self.client.execute_plan(plan, &key, &request).await {
            Ok(written) => written.value,
            Err(e) if e.status() == Some(409) => {
                self.settle().await?;
                return Ok(None);
            }
            Err(e) if e.status() == Some(423) => {
                // Another action holds the lease: let time pass.
                let next = self.now + chrono::TimeDelta::seconds(1);
                self.advance(next).await?;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let deadline_s: u64 = plan.steps.iter().map(|s| s.deadline_s).sum();
        self.deadlines.insert(action.id.clone(), deadline_s);
        let give_up = action.started_at
            + chrono::TimeDelta::seconds(i64::try_from(deadline_s).unwrap_or(i64::MAX / 1000) + 60);
        self.settle().await?;
        let mut current = self.client.action(&action.id).await?;
        while !current.state.is_finished() {
            if self.now > give_up {
                return Err(anyhow!(
                    "action {} ({}) did not finish within its deadline",
                    current.id,
                    current.summary
                ));
            }
            self.advance(give_up).await?;
            if !self.exec.activity().any_running() {
                current = self.client.action(&current.id).await?;
            }
        }
        self.say(format!(
            "           {} {} -> {}",
            current.kind.as_str(),
            current.target.as_deref().unwrap_or("(all)"),
            current.state.as_str()
        ));
        self.last_action_end = current.finished_at.max(self.last_action_end);
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
