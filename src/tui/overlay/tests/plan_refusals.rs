//! The plan modal after a refusal: what the headline says (naming the keys
//! from the keymap) and what the key it names does: resend with the same
//! Idempotency-Key, acknowledge a cooldown with a new one, plan again.

use super::fixtures::{World, chars, key, next, replacement};
use super::plan::{evacuate, evacuation, executed, reviewing};
use crate::model::{ErrorCode, ExecuteRequest, Plan};
use crate::tui::component::Ctx;
use crate::tui::msg::{Effect, WriteError, Wrote};
use crate::tui::overlay::{Overlay, PlanModal, PlanStage, Refusal, Remedy};

fn error(status: Option<u16>, code: Option<ErrorCode>) -> WriteError {
    WriteError {
        status,
        code,
        message: "refused".into(),
    }
}

/// Execute `plan` from review and have it refused with `status`.
fn refused(plan: Plan, status: Option<u16>, ctx: &Ctx) -> PlanModal {
    let mut modal = reviewing(plan, ctx);
    let out = modal.key(key("enter"), ctx);
    assert_eq!(out.effects.len(), 1, "executed");
    let out = modal
        .on_reply(&Wrote::Action(Err(error(status, None))), ctx)
        .expect("the answer to its execute");
    assert_eq!(next(&out), "keep");
    modal
}

fn refusal(modal: &PlanModal) -> &Refusal {
    match &modal.stage {
        PlanStage::Refused { refusal, .. } => refusal,
        PlanStage::NoPlan(refusal) => refusal,
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn unreachable_resends_with_the_same_key() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = refused(evacuation(), None, &ctx);
    assert_eq!(refusal(&modal).remedy, Remedy::Resend);
    assert_eq!(
        refusal(&modal).headline,
        "not sent: API unreachable; press enter to retry (same Idempotency-Key: it can never run twice)"
    );
    // Planning again would lose the key: `r` does nothing here.
    let out = modal.key(key("r"), &ctx);
    assert!(out.effects.is_empty());
    assert_eq!(next(&out), "keep");

    let out = modal.key(key("enter"), &ctx);
    assert_eq!(
        out.effects,
        vec![executed(evacuation(), ExecuteRequest::default(), "id-1")]
    );
    assert_eq!(world.ids.next(), "id-2", "no new key was made");
}

#[test]
fn a_cooldown_is_acknowledged_with_a_new_key() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = refused(evacuation(), Some(429), &ctx);
    assert_eq!(refusal(&modal).remedy, Remedy::AcknowledgeCooldown);
    assert_eq!(
        refusal(&modal).headline,
        "cooldown after an automatic action: press c to acknowledge it and run anyway"
    );
    let out = modal.key(key("c"), &ctx);
    let request = ExecuteRequest {
        acknowledge_cooldown: true,
        ..ExecuteRequest::default()
    };
    assert_eq!(out.effects, vec![executed(evacuation(), request, "id-2")]);
}

#[test]
fn a_changed_topology_plans_again() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = refused(evacuation(), Some(409), &ctx);
    assert_eq!(refusal(&modal).remedy, Remedy::Replan);
    assert_eq!(
        refusal(&modal).headline,
        "the topology changed since this plan was made: press r to plan again"
    );
    // Neither Enter nor c execute a plan that no longer fits.
    assert!(modal.key(key("enter"), &ctx).effects.is_empty());
    assert!(modal.key(key("c"), &ctx).effects.is_empty());
    let out = modal.key(key("r"), &ctx);
    assert_eq!(out.effects, vec![Effect::CreatePlan(evacuate())]);
    let Overlay::Plan(again) = replacement(out) else {
        panic!("a new planning modal");
    };
    assert_eq!(again.stage, PlanStage::Planning);
}

#[test]
fn a_412_opens_the_confirmation() {
    let world = World::new();
    let ctx = world.ctx();
    let plan = Plan {
        confirm: Some("db-2".into()),
        ..evacuation()
    };
    let mut modal = reviewing(plan, &ctx);
    let _ = modal.key(key("enter"), &ctx);
    for chord in chars("db-2") {
        let _ = modal.key(chord, &ctx);
    }
    let _ = modal.key(key("enter"), &ctx);
    let _ = modal.on_reply(&Wrote::Action(Err(error(Some(412), None))), &ctx);
    assert_eq!(refusal(&modal).remedy, Remedy::Confirm);
    assert_eq!(
        refusal(&modal).headline,
        "confirmation required: press enter and type db-2"
    );
    let _ = modal.key(key("enter"), &ctx);
    assert!(modal.confirming());
}

#[test]
fn no_plan_says_which_key_plans_again_and_enter_does() {
    let world = World::new();
    let ctx = world.ctx();
    let (mut modal, _) = PlanModal::request(evacuate());
    let out = modal
        .on_reply(&Wrote::Plan(Err(error(None, None))), &ctx)
        .expect("its plan's answer");
    assert_eq!(next(&out), "keep");
    assert_eq!(
        refusal(&modal).headline,
        "not sent: API unreachable; press r to try again"
    );
    let out = modal.key(key("enter"), &ctx);
    assert_eq!(out.effects, vec![Effect::CreatePlan(evacuate())]);
}

#[test]
fn refusal_texts_name_the_rebound_keys() {
    let world = World::with_keys(&[
        (Some("modal"), "r", "unbound"),
        (Some("modal"), "p", "replan"),
        (Some("modal"), "c", "unbound"),
        (Some("modal"), "x", "acknowledge_cooldown"),
    ]);
    let ctx = world.ctx();
    let mut modal = refused(evacuation(), Some(409), &ctx);
    assert_eq!(
        refusal(&modal).headline,
        "the topology changed since this plan was made: press p to plan again"
    );
    assert!(modal.key(key("r"), &ctx).effects.is_empty(), "r is unbound");
    assert_eq!(
        modal.key(key("p"), &ctx).effects,
        vec![Effect::CreatePlan(evacuate())]
    );

    let mut modal = refused(evacuation(), Some(429), &ctx);
    assert!(refusal(&modal).headline.contains("press x to acknowledge"));
    assert!(modal.key(key("c"), &ctx).effects.is_empty(), "c is unbound");
    assert_eq!(modal.key(key("x"), &ctx).effects.len(), 1);

    let (mut planning, _) = PlanModal::request(evacuate());
    let _ = planning.on_reply(&Wrote::Plan(Err(error(Some(500), None))), &ctx);
    assert_eq!(
        refusal(&planning).headline,
        "no plan: the planner refused (press p to try again)"
    );
}

#[test]
fn a_rebound_execute_key_executes_and_the_headline_names_it() {
    let world = World::with_keys(&[(Some("modal"), "y", "execute")]);
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let out = modal.key(key("y"), &ctx);
    assert_eq!(
        out.effects,
        vec![executed(evacuation(), ExecuteRequest::default(), "id-1")]
    );
    let _ = modal.on_reply(&Wrote::Action(Err(error(None, None))), &ctx);
    assert_eq!(
        refusal(&modal).headline,
        "not sent: API unreachable; press y to retry (same Idempotency-Key: it can never run twice)"
    );
    let out = modal.key(key("y"), &ctx);
    assert_eq!(
        out.effects,
        vec![executed(evacuation(), ExecuteRequest::default(), "id-1")]
    );
}

#[test]
fn a_keymap_with_execute_only_on_a_letter_is_refused() {
    // The id box of a forced failover types letters: execute needs a key
    // that is not a character, or the typed id could never be sent.
    let err = crate::tui::keymap::Keymap::with_overrides(&[
        crate::tui::keymap::Override::new(Some("modal"), "y", "execute"),
        crate::tui::keymap::Override::new(Some("modal"), "enter", "unbound"),
    ])
    .expect_err("execute only on a letter");
    let text = err.to_string();
    assert!(
        text.contains("keys.modal")
            && text.contains("'execute'")
            && text.contains("not a character"),
        "{text}"
    );
}

#[test]
fn an_error_code_decides_over_the_status() {
    let world = World::new();
    let ctx = world.ctx();
    let mut modal = reviewing(evacuation(), &ctx);
    let _ = modal.key(key("enter"), &ctx);
    let gone = error(Some(422), Some(ErrorCode::PlanExpired));
    let _ = modal.on_reply(&Wrote::Action(Err(gone)), &ctx);
    assert_eq!(refusal(&modal).remedy, Remedy::Replan);
    assert_eq!(
        refusal(&modal).headline,
        "this plan expired: press r to plan again"
    );
}
