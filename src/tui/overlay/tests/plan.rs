//! The plan modal: type-ahead while planning, executing from review, the
//! typed confirmation, following the action, hiding it. Refused executes
//! and rebound keys: `plan_refusals.rs`.

use super::fixtures::{World, chars, key, next, note, plan, replacement, request};
use crate::model::{
    Action, ActionState, ExecuteRequest, FollowUp, FollowUpKind, Plan, PlanKind, PlanRequest,
};
use crate::tui::component::{Change, Ctx};
use crate::tui::msg::{Effect, Wrote};
use crate::tui::overlay::{Overlay, PlanModal, PlanStage};

pub(super) fn evacuate() -> PlanRequest {
    request(PlanKind::EvacuateServer, Some("app-04"))
}

pub(super) fn evacuation() -> Plan {
    plan("plan-1", PlanKind::EvacuateServer, Some("app-04"))
}

/// A modal showing `plan` for review, as the planner answered it.
pub(super) fn reviewing(plan: Plan, ctx: &Ctx) -> PlanModal {
    let (mut modal, _) = PlanModal::request(PlanRequest {
        kind: plan.kind,
        target: plan.target.clone(),
        options: Default::default(),
    });
    let out = modal
        .on_reply(&Wrote::Plan(Ok(Box::new(plan))), ctx)
        .expect("the modal's plan");
    assert_eq!(next(&out), "keep");
    assert_eq!(modal.stage, PlanStage::Review);
    modal
}

pub(super) fn executed(plan: Plan, request: ExecuteRequest, key: &str) -> Effect {
    Effect::Execute {
        plan: Box::new(plan),
        request,
        key: key.into(),
    }
}

fn started(plan: &Plan) -> Wrote {
    Wrote::Action(Ok(Box::new(super::fixtures::action(
        "act-1",
        plan,
        ActionState::Running,
    ))))
}

#[test]
fn a_request_opens_planning_and_asks_for_the_plan() {
    let (modal, effect) = PlanModal::request(evacuate());
    assert_eq!(modal.stage, PlanStage::Planning);
    assert_eq!(effect, Effect::CreatePlan(evacuate()));
}

#[test]
fn keys_typed_while_planning_wait_for_the_plan() {
    let world = World::new();
    let ctx = world.ctx();
    let (mut modal, _) = PlanModal::request(evacuate());
    for name in ["o", "enter"] {
        let out = modal.key(key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert!(out.effects.is_empty() && out.changes.is_empty(), "{name}");
    }
    assert_eq!(modal.queued, vec![key("o"), key("enter")]);

    // The plan offers a spare: the queued `o` takes the offer and hands the
    // queued Enter to the new modal, which waits for its own plan.
    let promote = request(PlanKind::PromoteSpare, None);
    let offering = Plan {
        offers: vec![promote.clone()],
        ..evacuation()
    };
    let out = modal
        .on_reply(&Wrote::Plan(Ok(Box::new(offering.clone()))), &ctx)
        .expect("the modal's plan");
    assert_eq!(modal.plan, Some(offering));
    assert_eq!(out.effects, vec![Effect::CreatePlan(promote)]);
    let Overlay::Plan(mut offer) = replacement(out) else {
        panic!("the offer's modal replaces this one");
    };
    assert_eq!(offer.stage, PlanStage::Planning);
    assert_eq!(offer.queued, vec![key("enter")]);

    // Its plan arrives: the queued Enter executes it.
    let spare = plan("plan-2", PlanKind::PromoteSpare, None);
    let out = offer
        .on_reply(&Wrote::Plan(Ok(Box::new(spare.clone()))), &ctx)
        .expect("the offer's plan");
    assert_eq!(next(&out), "keep");
    assert_eq!(
        out.effects,
        vec![executed(spare.clone(), ExecuteRequest::default(), "id-1")]
    );
    assert_eq!(out.changes, vec![Change::RememberPlan(Box::new(spare))]);
    assert!(offer.sending_plan(Some("plan-2")));
    assert!(offer.queued.is_empty());
}

#[test]
fn type_ahead_is_bounded() {
    let world = World::new();
    let ctx = world.ctx();
    let (mut modal, _) = PlanModal::request(evacuate());
    for chord in chars("jjjjjjjjjjjjjjjjjjjjjjjj") {
        let _ = modal.key(chord, &ctx);
    }
    assert_eq!(modal.queued.len(), 16);
}

#[test]
fn esc_while_planning_closes_at_once() {
    let world = World::new();
    let ctx = world.ctx();
    let (mut modal, _) = PlanModal::request(evacuate());
    let _ = modal.key(key("enter"), &ctx);
    let out = modal.key(key("esc"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.effects.is_empty());
}

#[test]
fn an_answer_for_another_plan_kind_is_not_taken() {
    let world = World::new();
    let ctx = world.ctx();
    let (mut modal, _) = PlanModal::request(evacuate());
    let _ = modal.key(key("enter"), &ctx);
    let other = plan("plan-9", PlanKind::PromoteSpare, None);
    assert!(
        modal
            .on_reply(&Wrote::Plan(Ok(Box::new(other))), &ctx)
            .is_none()
    );
    assert_eq!(modal.stage, PlanStage::Planning);
    assert_eq!(modal.queued, vec![key("enter")], "the Enter still waits");
}

#[test]
fn enter_on_review_executes_with_a_fresh_key() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let out = modal.key(key("enter"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(
        out.effects,
        vec![executed(evacuation(), ExecuteRequest::default(), "id-1")]
    );
    assert_eq!(
        out.changes,
        vec![Change::RememberPlan(Box::new(evacuation()))]
    );
    assert_eq!(
        modal.stage,
        PlanStage::Sending {
            key: "id-1".into(),
            request: ExecuteRequest::default()
        }
    );
}

#[test]
fn a_responder_cannot_execute() {
    let mut world = World::new();
    world.data.role = Some(crate::model::AccessRole::Responder);
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let out = modal.key(key("enter"), &ctx);
    assert!(out.effects.is_empty());
    assert_eq!(
        note(&out),
        Some((
            "not executed: failover actions need a commander's token",
            true
        ))
    );
    assert_eq!(modal.stage, PlanStage::Review);
}

fn forced_failover() -> Plan {
    Plan {
        confirm: Some("db-replica-2".into()),
        ..plan("plan-db", PlanKind::DbFailover, Some("db-replica-2"))
    }
}

#[test]
fn a_plan_with_confirm_asks_for_the_id_and_refuses_a_wrong_one() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(forced_failover(), &ctx);
    let out = modal.key(key("enter"), &ctx);
    assert!(out.effects.is_empty(), "Enter only opens the input");
    assert!(modal.confirming());

    let out = modal.key(key("enter"), &ctx);
    assert!(out.effects.is_empty());
    let wrong = |modal: &PlanModal| match &modal.stage {
        PlanStage::Confirm { wrong, .. } => wrong.clone(),
        other => panic!("not confirming: {other:?}"),
    };
    assert_eq!(
        wrong(&modal).as_deref(),
        Some("type db-replica-2 to confirm")
    );

    // r, o, c and ? are modal keys: here they type.
    for chord in chars("db-replica-3") {
        let out = modal.key(chord, &ctx);
        assert!(out.effects.is_empty() && out.changes.is_empty());
    }
    assert_eq!(wrong(&modal), None, "typing clears the complaint");
    let out = modal.key(key("enter"), &ctx);
    assert!(out.effects.is_empty());
    assert_eq!(
        wrong(&modal).as_deref(),
        Some("'db-replica-3' is not the target: type db-replica-2 exactly")
    );

    // Esc goes back to the plan, not out of the modal.
    let out = modal.key(key("esc"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(modal.stage, PlanStage::Review);
}

#[test]
fn the_right_id_executes_with_confirm() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(forced_failover(), &ctx);
    let _ = modal.key(key("enter"), &ctx);
    for chord in chars("db-replica-3") {
        let _ = modal.key(chord, &ctx);
    }
    let _ = modal.key(key("backspace"), &ctx);
    let _ = modal.key(key("2"), &ctx);
    let out = modal.key(key("enter"), &ctx);
    let request = ExecuteRequest {
        confirm: Some("db-replica-2".into()),
        ..ExecuteRequest::default()
    };
    assert_eq!(
        out.effects,
        vec![executed(forced_failover(), request, "id-1")]
    );
    assert!(modal.sending_plan(Some("plan-db")));
}

#[test]
fn the_started_action_is_followed_and_an_answer_for_another_plan_is_not_taken() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let _ = modal.key(key("enter"), &ctx);
    let other = plan("plan-7", PlanKind::EvacuateServer, Some("app-04"));
    assert!(modal.on_reply(&started(&other), &ctx).is_none());
    assert!(modal.sending_plan(None));

    let out = modal
        .on_reply(&started(&evacuation()), &ctx)
        .expect("its action");
    assert_eq!(next(&out), "keep");
    assert_eq!(modal.action_id(), Some("act-1"));
    // The mirror does not hold act-1 as running: Enter closes.
    assert_eq!(next(&modal.key(key("enter"), &ctx)), "close");
}

#[test]
fn esc_while_sending_hides_the_modal_and_says_how_to_get_it_back() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let _ = modal.key(key("enter"), &ctx);
    let out = modal.key(key("esc"), &ctx);
    assert_eq!(next(&out), "hold");
    assert_eq!(
        note(&out),
        Some(("hidden: the action continues (a shows it again)", false))
    );
    // And while following a running action (act-0 runs in the mirror).
    let mut watching = PlanModal::following("act-0".into(), None);
    assert_eq!(next(&watching.key(key("esc"), &ctx)), "hold");
}

#[test]
fn the_follow_up_of_a_finished_action_is_one_key_away() {
    let mut world = World::new();
    let recycle = request(PlanKind::RecycleWeb, None);
    let done = Action {
        state: ActionState::NeedsFollowUp,
        follow_up: Some(FollowUp {
            kind: FollowUpKind::StaleClients,
            count: 3,
            offer: recycle.clone(),
        }),
        ..super::fixtures::action("act-9", &evacuation(), ActionState::NeedsFollowUp)
    };
    world.data.actions.apply(done);
    let ctx = world.ctx();
    let mut modal = PlanModal::following("act-9".into(), None);
    let out = modal.key(key("f"), &ctx);
    assert_eq!(out.effects, vec![Effect::CreatePlan(recycle)]);
    assert!(matches!(replacement(out), Overlay::Plan(m) if m.stage == PlanStage::Planning));
}

#[test]
fn a_numbered_key_takes_that_offer() {
    let world = World::new();
    let ctx = world.ctx();
    let second = request(PlanKind::EvacuateServer, Some("app-01"));
    let offering = Plan {
        offers: vec![request(PlanKind::PromoteSpare, None), second.clone()],
        ..evacuation()
    };
    let mut modal = reviewing(offering, &ctx);
    let out = modal.key(key("2"), &ctx);
    assert_eq!(out.effects, vec![Effect::CreatePlan(second)]);
    assert_eq!(next(&modal.key(key("3"), &ctx)), "keep", "no third offer");
}
