//! Plans and actions through the API: the execute checks (409, 410, 412,
//! 423, 429, idempotency), abort, undo, follow-ups, the role matrix, the
//! timeline and audit records, and recovery after a restart.

use std::sync::Arc;
use std::time::Duration;

use crate::support::errors::expect_error;
use crate::support::new_incident::incident;
use crate::support::raw::Api;
use crate::support::tokens::{COMMANDER, RESPONDER, VIEWER};
use crate::support::wait::eventually;
use serde_json::{Value, json};
use warroom::model::{
    Action, ActionList, ActionState, Admin, EntryKind, FaultKind, FleetSpec, FollowUpKind,
    HealthState, Plan, PlanKind, SimFault, Source, StepOp, StepState, Topology,
};
use warroom::server::{LocalServer, ServerConfig, WorldSource};
use warroom::sim::DEMO_FLEET;
use warroom::store::Store;

const WAIT: Duration = Duration::from_secs(20);

/// The demo fleet with extra fleet-file text (an `[executor]` section).
fn demo_with(section: &str) -> FleetSpec {
    FleetSpec::parse("demo.toml", &format!("{DEMO_FLEET}\n{section}")).expect("fleet parses")
}

fn simulated(speed: f64) -> WorldSource {
    WorldSource::Simulated {
        seed: 7,
        speed,
        scenario: None,
    }
}

/// An exec driver whose `set_admin` is only recorded and whose site moves
/// sleep, so an evacuation holds its lease for a long time.
const SLOW_MOVES: &str =
    "[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [\"sleep\", \"30\"]\n";

/// Requests to one orchestrator, by base URL.
struct Conn {
    base: String,
    http: reqwest::Client,
}

impl Conn {
    fn of(api: &Api) -> Conn {
        Conn::to(&api.url)
    }

    fn to(base: &str) -> Conn {
        Conn {
            base: base.to_string(),
            http: crate::support::raw::raw_http(),
        }
    }

    async fn post(
        &self,
        token: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, String)],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// POST as commander with no body.
    async fn command(&self, path: &str) -> reqwest::Response {
        self.post(COMMANDER, path, None, &[]).await
    }

    async fn get_as(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get_as(Some(VIEWER), path).await;
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.expect("JSON")
    }

    async fn plan(&self, request: Value) -> Plan {
        let response = self
            .post(COMMANDER, "/v1/plans", Some(request.clone()), &[])
            .await;
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(status, 201, "plan {request}: {text}");
        serde_json::from_str(&text).expect("a plan")
    }

    async fn execute(&self, plan: &Plan, key: &str, body: Value) -> reqwest::Response {
        let headers = [
            ("idempotency-key", key.to_string()),
            ("if-match", plan.topology_version.to_string()),
        ];
        self.post(
            COMMANDER,
            &format!("/v1/plans/{}/execute", plan.id),
            Some(body),
            &headers,
        )
        .await
    }

    async fn started(&self, plan: &Plan, key: &str, body: Value) -> Action {
        let response = self.execute(plan, key, body).await;
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(status, 201, "execute {}: {text}", plan.id);
        serde_json::from_str(&text).expect("an action")
    }

    async fn action(&self, id: &str) -> Action {
        self.get(&format!("/v1/actions/{id}")).await
    }

    async fn finished(&self, id: &str) -> Action {
        eventually(WAIT, &format!("action {id} to finish"), || async {
            let action = self.action(id).await;
            (action.state != ActionState::Running).then_some(action)
        })
        .await
    }

    async fn topology(&self) -> Topology {
        self.get("/v1/topology").await
    }

    /// Waits until every server is up, so the topology version holds still.
    async fn fleet_up(&self) -> Topology {
        eventually(WAIT, "every server up", || async {
            let topology = self.topology().await;
            let up = topology
                .servers
                .iter()
                .all(|s| s.health.state == HealthState::Up);
            up.then_some(topology)
        })
        .await
    }

    async fn inject(&self, kind: FaultKind, target: &str) {
        let fault = SimFault {
            kind,
            target: target.into(),
        };
        let body = serde_json::to_value(fault).expect("fault");
        let response = self
            .post(COMMANDER, "/v1/sim/faults", Some(body), &[])
            .await;
        assert_eq!(response.status().as_u16(), 202, "fault injected");
    }
}

fn evacuate(server: &str) -> Value {
    json!({"kind": "evacuate_server", "target": server})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_made_on_an_older_topology_is_refused_with_409() {
    let api = Api::sim(20.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    let fetched: Plan = c.get(&format!("/v1/plans/{}", plan.id)).await;
    assert_eq!(fetched, plan);

    let stale_header = [
        ("idempotency-key", "k-stale-header".to_string()),
        ("if-match", (plan.topology_version + 1).to_string()),
    ];
    let path = format!("/v1/plans/{}/execute", plan.id);
    let response = c.post(COMMANDER, &path, None, &stale_header).await;
    assert_eq!(expect_error(response, 409).await.0, "topology_changed");

    c.inject(FaultKind::ServerDown, "app-07").await;
    eventually(WAIT, "app-07 down", || async {
        let t = c.topology().await;
        let down = t
            .servers
            .iter()
            .any(|s| s.id == "app-07" && s.health.state == HealthState::Down);
        (down && t.version > plan.topology_version).then_some(())
    })
    .await;
    let (code, message) = expect_error(c.execute(&plan, "k-1", json!({})).await, 409).await;
    assert_eq!(code, "topology_changed");
    assert!(message.contains("make a new plan"), "{message}");
    let list: ActionList = c.get("/v1/actions").await;
    assert!(list.actions.is_empty(), "nothing ran: {list:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_needs_its_headers_and_a_live_plan() {
    let api = Api::start(demo_with("[executor]\nplan_ttl_s = 5\n"), simulated(50.0)).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    let path = format!("/v1/plans/{}/execute", plan.id);
    let if_match = ("if-match", plan.topology_version.to_string());
    let key = ("idempotency-key", "k".to_string());
    let no_key = c
        .post(COMMANDER, &path, None, std::slice::from_ref(&if_match))
        .await;
    assert_eq!(
        expect_error(no_key, 428).await.0,
        "idempotency_key_required"
    );
    let no_version = c
        .post(COMMANDER, &path, None, std::slice::from_ref(&key))
        .await;
    assert_eq!(expect_error(no_version, 428).await.0, "if_match_required");
    let both = [key, if_match];
    let unknown = c
        .post(COMMANDER, "/v1/plans/plan-nope/execute", None, &both)
        .await;
    assert_eq!(expect_error(unknown, 404).await.0, "not_found");

    // 5 sim seconds at speed 50 are 100 ms of real time.
    eventually(WAIT, "the plan to expire", || async {
        let status: warroom::model::SimStatus = c.get("/v1/sim").await;
        (status.clock > plan.expires_at).then_some(())
    })
    .await;
    let expired = c.post(COMMANDER, &path, None, &both).await;
    assert_eq!(expect_error(expired, 410).await.0, "plan_expired");
    let fetched = c
        .get_as(Some(VIEWER), &format!("/v1/plans/{}", plan.id))
        .await;
    assert_eq!(expect_error(fetched, 410).await.0, "plan_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_database_failover_needs_the_target_typed() {
    // Speed 5: the managed service promotes a replica 90 sim seconds after
    // the writer dies, which leaves about 15 real seconds to act first.
    let api = Api::sim(5.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    c.inject(FaultKind::DbMasterDown, "db-1").await;
    eventually(WAIT, "the writer down", || async {
        let db = c.topology().await.database?;
        (db.health.state == HealthState::Down).then_some(())
    })
    .await;
    let plan = c.plan(json!({"kind": "db_failover"})).await;
    assert_eq!(plan.confirm.as_deref(), Some("db-2"));
    assert!(plan.risk.is_some(), "the risk is stated");

    let (code, message) = expect_error(c.execute(&plan, "k-none", json!({})).await, 412).await;
    assert_eq!(code, "confirmation_required");
    assert!(message.contains("db-2"), "says what to type: {message}");
    let wrong = c
        .execute(&plan, "k-wrong", json!({"confirm": "db-1"}))
        .await;
    assert_eq!(expect_error(wrong, 412).await.0, "confirmation_required");

    let action = c
        .started(&plan, "k-right", json!({"confirm": "db-2"}))
        .await;
    let action = c.finished(&action.id).await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:?}");
    assert_eq!(
        c.topology().await.database.expect("database").writer,
        "db-2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_action_holds_its_components_and_abort_stops_it() {
    let api = Api::start(demo_with(SLOW_MOVES), simulated(5.0)).await;
    let c = Conn::of(&api);
    let before = c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    assert!(
        matches!(plan.steps[0].op, StepOp::SetAdmin { .. }),
        "{:?}",
        plan.steps[0]
    );
    let first = c.started(&plan, "k-1", json!({})).await;
    assert_eq!(first.state, ActionState::Running);
    eventually(WAIT, "the first move to run", || async {
        (c.action(&first.id).await.steps[1].state == StepState::Running).then_some(())
    })
    .await;

    // Another evacuation onto the same failover servers, planned on the
    // topology as it is now (the drain moved the version on): the lease decides.
    let overlapping = c.plan(evacuate("app-05")).await;
    let (code, message) = expect_error(c.execute(&overlapping, "k-2", json!({})).await, 423).await;
    assert_eq!(code, "locked");
    assert!(message.contains(&first.id), "names the holder: {message}");

    let abort = format!("/v1/actions/{}/abort", first.id);
    let aborted: Action = c.command(&abort).await.json().await.expect("action");
    assert_eq!(aborted.state, ActionState::Aborted, "{aborted:?}");
    assert_eq!(aborted.steps[0].state, StepState::Succeeded);
    assert_eq!(aborted.steps[1].state, StepState::Aborted);
    assert!(
        aborted.steps[2..]
            .iter()
            .all(|s| s.state == StepState::Skipped)
    );
    let site = &plan.placements[0].site;
    let placed = |t: &Topology| {
        t.sites
            .iter()
            .find(|s| &s.id == site)
            .map(|s| s.server.clone())
    };
    assert_eq!(
        placed(&c.topology().await),
        placed(&before),
        "the aborted move did not happen"
    );
    assert_eq!(
        expect_error(c.command(&abort).await, 409).await.0,
        "not_running"
    );

    // The lease is free again.
    let next = c.plan(evacuate("app-05")).await;
    let next = c.started(&next, "k-3", json!({})).await;
    c.command(&format!("/v1/actions/{}/abort", next.id)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_automatic_action_a_cooldown_applies_unless_acknowledged() {
    let api = Api::sim(20.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let promote = c
        .plan(json!({"kind": "promote_spare", "target": "app-09"}))
        .await;
    let auto = c
        .started(&promote, "k-auto", json!({"automatic": true}))
        .await;
    assert!(auto.automatic);
    assert_eq!(c.finished(&auto.id).await.state, ActionState::Succeeded);

    let response = c.command(&format!("/v1/actions/{}/undo", auto.id)).await;
    assert_eq!(response.status().as_u16(), 201);
    let back: Plan = response.json().await.expect("plan");
    assert!(matches!(&back.steps[0].op, StepOp::SetRole { server, .. } if server == "app-09"));
    let (code, message) = expect_error(c.execute(&back, "k-human", json!({})).await, 429).await;
    assert_eq!(code, "cooldown");
    assert!(
        message.contains("acknowledge_cooldown") && message.contains(&auto.id),
        "{message}"
    );

    let undone = c
        .started(&back, "k-human", json!({"acknowledge_cooldown": true}))
        .await;
    assert_eq!(undone.undo_of.as_deref(), Some(auto.id.as_str()));
    assert_eq!(c.finished(&undone.id).await.state, ActionState::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_execute_returns_the_same_action_and_runs_once() {
    let api = Api::sim(20.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let plan = c
        .plan(json!({"kind": "promote_spare", "target": "app-09"}))
        .await;
    let first = c.started(&plan, "retry-key", json!({})).await;
    let done = c.finished(&first.id).await;

    // The action has moved the topology on since: a retry still gets the
    // same action, with 200, and nothing runs again.
    let retry = c.execute(&plan, "retry-key", json!({})).await;
    assert_eq!(retry.status().as_u16(), 200);
    assert_eq!(retry.json::<Action>().await.expect("action"), done);
    let list: ActionList = c.get("/v1/actions").await;
    assert_eq!(list.actions.len(), 1, "{list:?}");

    let other = c
        .plan(json!({"kind": "promote_spare", "target": "app-08"}))
        .await;
    let reused = c.execute(&other, "retry-key", json!({})).await;
    assert_eq!(expect_error(reused, 422).await.0, "idempotency_key_reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_of_an_evacuation_is_a_failback_of_the_moved_sites() {
    // Speed 200: the 300 s stability window of failback is 1.5 s of real time.
    let api = Api::sim(200.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    assert_eq!(plan.placements.len(), 17);
    let evacuation = c.started(&plan, "k-evac", json!({})).await;
    assert_eq!(
        c.finished(&evacuation.id).await.state,
        ActionState::Succeeded
    );
    let t = c.topology().await;
    for p in &plan.placements {
        let site = t.sites.iter().find(|s| s.id == p.site).expect("site");
        assert_eq!(site.server, p.to, "{} moved", p.site);
    }

    let up_since = t
        .servers
        .iter()
        .find(|s| s.id == "app-04")
        .expect("app-04")
        .health
        .since;
    eventually(WAIT, "app-04 stable for 300 s", || async {
        let status: warroom::model::SimStatus = c.get("/v1/sim").await;
        (status.clock - up_since >= chrono::TimeDelta::seconds(300)).then_some(())
    })
    .await;
    let response = c
        .command(&format!("/v1/actions/{}/undo", evacuation.id))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let back: Plan = response.json().await.expect("plan");
    assert_eq!(back.kind, PlanKind::Failback);
    let triples = |plan: &Plan, swap: bool| {
        let mut all: Vec<_> = plan
            .placements
            .iter()
            .map(|p| {
                if swap {
                    (p.site.clone(), p.to.clone(), p.from.clone())
                } else {
                    (p.site.clone(), p.from.clone(), p.to.clone())
                }
            })
            .collect();
        all.sort();
        all
    };
    assert_eq!(
        triples(&back, true),
        triples(&plan, false),
        "every moved site goes home"
    );
    let waits = back
        .steps
        .iter()
        .any(|s| matches!(&s.op, StepOp::WaitHealthy { server, .. } if server == "app-04"));
    assert!(waits, "waits for a stable home: {:#?}", back.steps);

    let failback = c.started(&back, "k-back", json!({})).await;
    assert_eq!(failback.undo_of.as_deref(), Some(evacuation.id.as_str()));
    assert_eq!(c.finished(&failback.id).await.state, ActionState::Succeeded);
    let t = c.topology().await;
    assert!(
        t.sites.iter().all(|s| s.server == s.home_server),
        "all home"
    );
    let app04 = t.servers.iter().find(|s| s.id == "app-04").expect("app-04");
    assert_eq!(app04.admin, Admin::Ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_failover_needs_a_follow_up_until_no_client_is_stale() {
    let api = Api::sim(20.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    c.inject(FaultKind::CacheFailoverRegression, "cache-1")
        .await;
    let plan = c.plan(json!({"kind": "cache_failover"})).await;
    let failover = c.started(&plan, "k-cache", json!({})).await;
    let failover = c.finished(&failover.id).await;
    assert_eq!(failover.state, ActionState::NeedsFollowUp, "{failover:?}");
    let follow_up = failover.follow_up.clone().expect("follow-up");
    assert_eq!(follow_up.kind, FollowUpKind::StaleClients);
    assert_eq!(
        follow_up.count, 4,
        "every web server kept a stale connection"
    );
    assert_eq!(follow_up.offer.kind, PlanKind::RecycleWeb);

    let recycle = c
        .plan(serde_json::to_value(&follow_up.offer).expect("offer"))
        .await;
    let recycle = c.started(&recycle, "k-recycle", json!({})).await;
    assert_eq!(c.finished(&recycle.id).await.state, ActionState::Succeeded);
    let cleared = eventually(WAIT, "the failover to be done", || async {
        let a = c.action(&failover.id).await;
        (a.state == ActionState::Succeeded).then_some(a)
    })
    .await;
    assert_eq!(cleared.follow_up.map(|f| f.count), Some(0));
    assert_eq!(c.topology().await.cache.expect("cache").stale_clients, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_actions_follow_the_role_matrix() {
    let api = Api::sim(20.0).await;
    let c = Conn::of(&api);
    c.fleet_up().await;
    let plan = c
        .plan(json!({"kind": "promote_spare", "target": "app-09"}))
        .await;
    let action = c.started(&plan, "k-roles", json!({})).await;
    let body = json!({"kind": "recycle_web"});
    for path in [
        "/v1/plans".to_string(),
        format!("/v1/plans/{}/execute", plan.id),
        format!("/v1/actions/{}/abort", action.id),
        format!("/v1/actions/{}/undo", action.id),
    ] {
        let anonymous = c
            .http
            .post(format!("{}{path}", c.base))
            .json(&body)
            .send()
            .await
            .expect("post");
        assert_eq!(
            expect_error(anonymous, 401).await.0,
            "unauthorized",
            "{path}"
        );
        for token in [VIEWER, RESPONDER] {
            let response = c.post(token, &path, Some(body.clone()), &[]).await;
            assert_eq!(expect_error(response, 403).await.0, "forbidden", "{path}");
        }
    }
    for path in [
        format!("/v1/plans/{}", plan.id),
        "/v1/actions".into(),
        format!("/v1/actions/{}", action.id),
    ] {
        assert_eq!(c.get_as(None, &path).await.status().as_u16(), 401, "{path}");
        let _: Value = c.get(&path).await;
    }
    let missing = c.get_as(Some(VIEWER), "/v1/actions/act-nope").await;
    assert_eq!(expect_error(missing, 404).await.0, "not_found");

    let doc: Value = c.get("/v1/openapi.json").await;
    for (path, method) in [
        ("/v1/plans", "post"),
        ("/v1/plans/{id}", "get"),
        ("/v1/plans/{id}/execute", "post"),
        ("/v1/actions", "get"),
        ("/v1/actions/{id}", "get"),
        ("/v1/actions/{id}/abort", "post"),
        ("/v1/actions/{id}/undo", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} in the contract"
        );
    }
}

/// An orchestrator whose store the test keeps, on a database file that
/// outlives it (for the audit log and restarts).
async fn own_server(
    db: &std::path::Path,
    spec: FleetSpec,
    speed: f64,
) -> (LocalServer, Arc<dyn Store>) {
    let store = warroom::store::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("store");
    let config = ServerConfig {
        spec,
        store: store.clone(),
        tokens: crate::support::server::tokens(),
        source: simulated(speed),
    };
    let server = LocalServer::start(config).await.expect("server starts");
    (server, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_land_in_the_open_incidents_timeline_and_the_audit_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, store) = own_server(&dir.path().join("w.db"), demo_with(""), 20.0).await;
    let c = Conn::to(&server.url());
    let client = crate::support::client::client_for(&server.url(), Some(COMMANDER));
    let open = client
        .create_incident(&incident("app-04 down"))
        .await
        .expect("incident");
    c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    let action = c.started(&plan, "k", json!({})).await;
    assert_eq!(action.incident_id, Some(open.id));

    let entries = eventually(WAIT, "the result entry", || async {
        let timeline = client.timeline(open.id).await.expect("timeline");
        let mine: Vec<_> = timeline
            .entries
            .into_iter()
            .filter(|e| e.kind == EntryKind::Action)
            .collect();
        mine.iter()
            .any(|e| e.body.contains("succeeded"))
            .then_some(mine)
    })
    .await;
    assert_eq!(
        entries.len(),
        2,
        "a start and a result entry, not one per site: {entries:#?}"
    );
    assert!(
        entries
            .iter()
            .all(|e| e.source == Source::Action && e.author == "commander")
    );
    assert!(
        entries[0]
            .body
            .contains("evacuate_server app-04: started by commander"),
        "{}",
        entries[0].body
    );
    assert!(
        entries[1].body.contains("moved 17 sites"),
        "{}",
        entries[1].body
    );
    for p in &plan.placements {
        assert!(entries[1].body.contains(&p.site), "{} listed", p.site);
    }
    let by_incident: ActionList = c.get(&format!("/v1/actions?incident={}", open.id)).await;
    assert_eq!(by_incident.actions.len(), 1);

    let target = format!("actions/{}", action.id);
    let audit = eventually(WAIT, "the result in the audit log", || async {
        let audit = store.audit_log(Some(open.id)).await.expect("audit");
        audit
            .iter()
            .any(|r| r.action == "action.finish")
            .then_some(audit)
    })
    .await;
    let kinds: Vec<&str> = audit
        .iter()
        .filter(|r| r.target == target)
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(kinds, ["action.execute", "action.finish"]);
    let finish = audit
        .iter()
        .find(|r| r.action == "action.finish")
        .expect("finish record");
    assert_eq!(finish.actor, "commander");
    assert_eq!(finish.detail["result"], "succeeded");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_left_running_by_a_stopped_orchestrator_is_marked_interrupted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("w.db");
    let (server, _) = own_server(&db, demo_with(SLOW_MOVES), 5.0).await;
    let c = Conn::to(&server.url());
    c.fleet_up().await;
    let plan = c.plan(evacuate("app-04")).await;
    let action = c.started(&plan, "k", json!({})).await;
    eventually(WAIT, "a move to run", || async {
        (c.action(&action.id).await.steps[1].state == StepState::Running).then_some(())
    })
    .await;
    server.stop().await;

    let (server, _) = own_server(&db, demo_with(SLOW_MOVES), 5.0).await;
    let after = Conn::to(&server.url()).action(&action.id).await;
    assert_eq!(after.state, ActionState::Interrupted);
    assert_eq!(after.steps[1].state, StepState::Failed);
    assert!(
        after.steps[1]
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("interrupted: the orchestrator stopped")),
        "{:?}",
        after.steps[1]
    );
    assert!(
        after.steps[2..]
            .iter()
            .all(|s| s.state == StepState::Skipped)
    );
    server.stop().await;
}
