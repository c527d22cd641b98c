//! Leader failover, one round: `kill -9` of the leader, timed until a
//! surviving replica answers a new plan and its execute (a cache failover,
//! alternating between the two cache nodes of the demo fleet, so it can run
//! again and again), with the refusals met on the way; then the killed
//! replica starts again with its `--node-id`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use warroom::model::{Action, ActionState, Plan};

use crate::replica_set::{self, ReplicaSet, WAIT, healthz};
use crate::support::tokens::{COMMANDER, VIEWER};
use crate::support::wait::eventually;

pub struct Failover {
    pub killed: String,
    pub new_leader: String,
    pub epoch: i64,
    /// From the kill until a survivor's /healthz says it leads.
    pub elected: Duration,
    /// From the kill until a survivor answered a new plan and its execute.
    pub answered: Duration,
    pub refusals: Refusals,
}

pub async fn failover_round(
    set: &mut ReplicaSet,
    http: &reqwest::Client,
    round: usize,
) -> Failover {
    let (leader, epoch) = {
        let set = &*set;
        eventually(WAIT, "the replicas to agree on a leader", || {
            set.agreed_leader()
        })
        .await
    };
    let killed = replica_set::node_id(leader);
    let survivors: Vec<String> = set
        .urls()
        .into_iter()
        .filter(|url| url != set.url(leader))
        .collect();

    let killed_at = Instant::now();
    set.kill_9(leader).await;
    let elected = async {
        let (new_leader, new_epoch) = eventually(WAIT, "a survivor to lead", || async {
            for url in &survivors {
                let health = healthz(http, url).await;
                if let Some(health) = health
                    && health["role"] == "leader"
                    && health["epoch"].as_i64() > Some(epoch)
                {
                    let id = health["node_id"].as_str().unwrap_or_default().to_string();
                    return Some((id, health["epoch"].as_i64().unwrap_or_default()));
                }
            }
            None
        })
        .await;
        (killed_at.elapsed(), new_leader, new_epoch)
    };
    let answered = async {
        let (action, refusals) = plan_and_execute(http, &survivors, round).await;
        (killed_at.elapsed(), action, refusals)
    };
    let ((elected, new_leader, new_epoch), (answered, action, refusals)) =
        tokio::join!(elected, answered);

    // Not timed: the action ends before the next kill, so that no kill
    // interrupts it and the next plan is not refused by its lease.
    let done = eventually(WAIT, "the cache failover to finish", || async {
        let action: Action = http
            .get(format!("{}/v1/actions/{}", survivors[0], action.id))
            .bearer_auth(VIEWER)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        action.state.is_finished().then_some(action)
    })
    .await;
    assert!(
        matches!(
            done.state,
            ActionState::Succeeded | ActionState::NeedsFollowUp
        ),
        "the cache failover after kill {} did not succeed: {done:#?}",
        round + 1
    );

    set.restart(leader).await;
    let set = &*set;
    eventually(WAIT, "all replicas to follow the new leader", || async {
        let (_, agreed) = set.agreed_leader().await?;
        (agreed == new_epoch).then_some(())
    })
    .await;
    Failover {
        killed,
        new_leader,
        epoch: new_epoch,
        elected,
        answered,
        refusals,
    }
}

/// Makes a cache failover plan and executes it through the survivors in
/// turn (a follower forwards to the leader), every 20 ms until one answers
/// both; returns the started action and the refusals met on the way.
async fn plan_and_execute(
    http: &reqwest::Client,
    survivors: &[String],
    round: usize,
) -> (Action, Refusals) {
    let mut refusals = Refusals::default();
    let deadline = Instant::now() + WAIT;
    for url in survivors.iter().cycle() {
        assert!(
            Instant::now() < deadline,
            "no survivor answered a plan and its execute within {WAIT:?}: {}",
            refusals.last
        );
        match try_plan_and_execute(http, url, round).await {
            Ok(action) => return (action, refusals),
            Err(refusal) => refusals.count(refusal),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unreachable!("survivors cycle forever")
}

/// Why attempts failed, counted by kind (e.g. `plan 503 no_leader`), in
/// the order first met; and the last one in full.
#[derive(Default)]
pub struct Refusals {
    kinds: Vec<(String, usize)>,
    last: String,
}

impl Refusals {
    fn count(&mut self, (kind, detail): (String, String)) {
        match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.kinds.push((kind, 1)),
        }
        self.last = detail;
    }

    pub fn summary(&self) -> String {
        if self.kinds.is_empty() {
            return "none".to_string();
        }
        self.kinds
            .iter()
            .map(|(kind, n)| format!("{kind} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A refusal: its kind (the step, the status and the error code, or what
/// failed in transport) and the full text.
type Refusal = (String, String);

async fn refusal(step: &str, url: &str, response: reqwest::Response) -> Refusal {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|body| body["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (
        format!("{step} {} {code}", status.as_u16()),
        format!("{step} on {url}: {status} {text}"),
    )
}

fn transport(step: &str, url: &str, err: &reqwest::Error) -> Refusal {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    (format!("{step} {what}"), format!("{step} on {url}: {err}"))
}

async fn try_plan_and_execute(
    http: &reqwest::Client,
    url: &str,
    round: usize,
) -> Result<Action, Refusal> {
    let response = http
        .post(format!("{url}/v1/plans"))
        .bearer_auth(COMMANDER)
        .json(&json!({"kind": "cache_failover"}))
        .send()
        .await
        .map_err(|err| transport("plan", url, &err))?;
    if response.status() != reqwest::StatusCode::CREATED {
        return Err(refusal("plan", url, response).await);
    }
    let plan: Plan = response
        .json()
        .await
        .map_err(|err| transport("plan", url, &err))?;
    let response = http
        .post(format!("{url}/v1/plans/{}/execute", plan.id))
        .bearer_auth(COMMANDER)
        .header("idempotency-key", format!("failover-{round}-{}", plan.id))
        .header("if-match", plan.topology_version.to_string())
        .json(&json!({}))
        .send()
        .await
        .map_err(|err| transport("execute", url, &err))?;
    if !response.status().is_success() {
        return Err(refusal("execute", url, response).await);
    }
    response
        .json()
        .await
        .map_err(|err| transport("execute", url, &err))
}
