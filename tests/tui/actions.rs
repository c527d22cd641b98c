//! The console's failover actions: keys make plans for the selection, the
//! modal shows them, Enter executes, refusals offer the way forward, and
//! progress follows `action` events. Driven through `update`; no network.

use crossterm::event::KeyCode;

use crate::support::actions::*;
use warroom::model::{
    ActionState, ExecuteRequest, FollowUp, FollowUpKind, PlanKind, PlanOptions, PlanRequest,
    StepState,
};
use warroom::tui::{Effect, Loaded, Msg, Overlay, Pane, Settings, WriteError, Wrote, update};

#[test]
fn e_on_a_down_server_plans_its_evacuation() {
    let mut model = model();
    select_server(&mut model, "app-04");
    let effects = press(&mut model, KeyCode::Char('E'));
    assert_eq!(
        plan_requests(&effects),
        vec![PlanRequest {
            kind: PlanKind::EvacuateServer,
            target: Some("app-04".into()),
            options: PlanOptions::default(),
        }]
    );
    assert!(modal_open(&model));
    assert!(
        screen(&model).contains("Planning evacuate_server app-04"),
        "the modal says it is planning"
    );
}

#[test]
fn e_on_a_switch_row_plans_the_switch_evacuation() {
    let mut model = model();
    select_switch(&mut model, "sw-2");
    let effects = press(&mut model, KeyCode::Char('E'));
    let requests = plan_requests(&effects);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].kind, PlanKind::EvacuateSwitch);
    assert_eq!(requests[0].target.as_deref(), Some("sw-2"));
}

#[test]
fn e_without_a_server_selected_says_where_to_select() {
    let mut model = model();
    model.ui.focus = Pane::Alerts;
    let effects = press(&mut model, KeyCode::Char('E'));
    assert!(plan_requests(&effects).is_empty());
    assert!(!modal_open(&model));
    assert!(toast(&model).contains("Servers pane"), "{}", toast(&model));

    select_server(&mut model, "web-1");
    let effects = press(&mut model, KeyCode::Char('E'));
    assert!(
        plan_requests(&effects).is_empty(),
        "web servers host no sites"
    );
    assert!(toast(&model).contains("web-1"), "{}", toast(&model));
}

#[test]
fn keys_without_a_fitting_selection_let_the_planner_choose() {
    let mut model = model();
    model.ui.focus = Pane::Timeline;
    for (key, kind) in [
        ('P', PlanKind::PromoteSpare),
        ('C', PlanKind::CacheFailover),
        ('W', PlanKind::RecycleWeb),
        ('D', PlanKind::DbFailover),
        ('R', PlanKind::RestartSites),
        ('B', PlanKind::Failback),
    ] {
        model.ui.overlay = Overlay::None;
        let effects = press(&mut model, KeyCode::Char(key));
        assert_eq!(
            plan_requests(&effects),
            vec![PlanRequest {
                kind,
                target: None,
                options: PlanOptions::default(),
            }],
            "key {key}"
        );
    }
}

#[test]
fn r_in_the_sites_pane_restarts_the_selected_site() {
    let mut model = model();
    model.ui.focus = Pane::Sites;
    model.sites.list.selected = 2;
    let site = model
        .sites
        .selected_site()
        .map(|i| model.data.fleet.topology.sites[i].id.clone())
        .expect("a site is selected");
    let effects = press(&mut model, KeyCode::Char('R'));
    assert_eq!(
        plan_requests(&effects),
        vec![PlanRequest {
            kind: PlanKind::RestartSites,
            target: None,
            options: PlanOptions {
                sites: vec![site],
                also: Vec::new(),
            },
        }]
    );
}

#[test]
fn p_uses_the_selected_app_server() {
    let mut model = model();
    select_server(&mut model, "app-07");
    let effects = press(&mut model, KeyCode::Char('P'));
    assert_eq!(plan_requests(&effects)[0].target.as_deref(), Some("app-07"));
}

#[test]
fn a_viewer_token_cannot_plan() {
    let mut model = model();
    model.data.role = Some(warroom::model::AccessRole::Viewer);
    select_server(&mut model, "app-04");
    let effects = press(&mut model, KeyCode::Char('E'));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(!modal_open(&model));
    assert!(toast(&model).contains("viewer"), "{}", toast(&model));
}

#[test]
fn read_only_mode_cannot_plan_abort_or_undo() {
    let mut model = model_with(Settings {
        api_urls: vec![API_URL.into()],
        read_only: true,
        ..Settings::default()
    });
    select_server(&mut model, "app-04");
    for key in ['E', 'D', 'A', 'U'] {
        let effects = press(&mut model, KeyCode::Char(key));
        assert!(effects.is_empty(), "{key}: {effects:?}");
        assert!(toast(&model).contains("read-only"), "{}", toast(&model));
    }
    assert!(!modal_open(&model));
}

#[test]
fn the_modal_shows_placements_unplaceable_sites_warnings_and_offers() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let text = screen(&model);
    assert!(text.contains("site-031: app-04 → fo-1"), "{text}");
    assert!(text.contains("site-032: app-04 → fo-2"), "{text}");
    assert!(text.contains("Cannot place (1)"), "{text}");
    assert!(
        text.contains("site-033 (on app-04): no failover capacity left"),
        "{text}"
    );
    assert!(text.contains("leaves app-05 behind it"), "{text}");
    assert!(text.contains("promote_spare app-07"), "{text}");
    assert!(text.contains("drain app-04"), "{text}");
    assert!(text.contains("enter execute"), "{text}");
}

#[test]
fn o_makes_the_offered_plan() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let effects = press(&mut model, KeyCode::Char('o'));
    assert_eq!(
        plan_requests(&effects),
        vec![PlanRequest {
            kind: PlanKind::PromoteSpare,
            target: Some("app-07".into()),
            options: PlanOptions::default(),
        }]
    );
}

#[test]
fn enter_executes_with_a_fresh_idempotency_key() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let (plan_id, request, key) =
        execute_of(&press(&mut model, KeyCode::Enter)).expect("Enter executes");
    assert_eq!(plan_id, "plan-1");
    assert_eq!(request, ExecuteRequest::default());
    assert!(uuid::Uuid::parse_str(&key).is_ok(), "{key}");
    assert!(screen(&model).contains("Sending"));
}

#[test]
fn a_forced_failover_needs_the_target_id_typed() {
    let mut model = model();
    model.ui.focus = Pane::Timeline;
    press(&mut model, KeyCode::Char('D'));
    plan_made(&mut model, forced_db_plan());
    let text = screen(&model);
    assert!(text.contains("RISK: the writer db-1 is down"), "{text}");

    assert!(execute_of(&press(&mut model, KeyCode::Enter)).is_none());
    assert!(screen(&model).contains("Type db-2 to confirm"));

    type_text(&mut model, "db-9");
    assert!(
        execute_of(&press(&mut model, KeyCode::Enter)).is_none(),
        "a wrong id runs nothing"
    );
    assert!(
        screen(&model).contains("'db-9' is not the target: type db-2 exactly"),
        "{}",
        screen(&model)
    );

    press(&mut model, KeyCode::Backspace);
    type_text(&mut model, "2");
    let (_, request, _) = execute_of(&press(&mut model, KeyCode::Enter)).expect("executes");
    assert_eq!(request.confirm.as_deref(), Some("db-2"));
}

#[test]
fn topology_changed_offers_to_plan_again() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    press(&mut model, KeyCode::Enter);
    refused(
        &mut model,
        Some(409),
        "topology_changed",
        "the topology changed since plan plan-1 was made",
    );
    let text = screen(&model);
    assert!(text.contains("topology changed"), "{text}");
    assert!(text.contains("press r to plan again"), "{text}");
    assert!(
        execute_of(&press(&mut model, KeyCode::Enter)).is_none(),
        "Enter does not resend a stale plan"
    );
    let effects = press(&mut model, KeyCode::Char('r'));
    assert_eq!(
        plan_requests(&effects),
        vec![PlanRequest {
            kind: PlanKind::EvacuateServer,
            target: Some("app-04".into()),
            options: PlanOptions::default(),
        }]
    );
}

#[test]
fn locked_says_which_action_holds_the_scope() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    press(&mut model, KeyCode::Enter);
    refused(
        &mut model,
        Some(423),
        "locked",
        "action act-9 (cache_failover cache-2) is running and holds switch:sw-2",
    );
    let text = screen(&model);
    assert!(text.contains("locked"), "{text}");
    assert!(text.contains("act-9 (cache_failover cache-2)"), "{text}");
    assert!(text.contains("abort the other"), "{text}");
}

#[test]
fn cooldown_can_be_acknowledged_with_a_new_key() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let (_, _, first_key) = execute_of(&press(&mut model, KeyCode::Enter)).expect("sent");
    refused(
        &mut model,
        Some(429),
        "cooldown",
        "automatic action act-2 finished recently: a cooldown on switch:sw-2 holds",
    );
    let text = screen(&model);
    assert!(text.contains("press c to acknowledge"), "{text}");
    let (plan_id, request, key) =
        execute_of(&press(&mut model, KeyCode::Char('c'))).expect("c executes");
    assert_eq!(plan_id, "plan-1");
    assert!(request.acknowledge_cooldown);
    assert_ne!(key, first_key, "another body needs another key");
}

#[test]
fn an_unreachable_api_retries_with_the_same_key() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let (_, _, first_key) = execute_of(&press(&mut model, KeyCode::Enter)).expect("sent");
    refused(&mut model, None, "", "connection refused");
    assert!(screen(&model).contains("not sent: API unreachable; press enter to retry"));
    let (_, request, key) = execute_of(&press(&mut model, KeyCode::Enter)).expect("retries");
    assert_eq!(key, first_key, "a retry can never run the plan twice");
    assert_eq!(request, ExecuteRequest::default());
}

#[test]
fn precondition_failed_opens_the_confirmation() {
    let mut model = model();
    model.ui.focus = Pane::Timeline;
    press(&mut model, KeyCode::Char('D'));
    plan_made(&mut model, forced_db_plan());
    press(&mut model, KeyCode::Enter);
    type_text(&mut model, "db-2");
    press(&mut model, KeyCode::Enter);
    refused(
        &mut model,
        Some(412),
        "confirmation_required",
        "type the id",
    );
    assert!(screen(&model).contains("confirmation required"));
    press(&mut model, KeyCode::Enter);
    assert!(screen(&model).contains("Type db-2 to confirm"));
}

#[test]
fn a_forbidden_execute_says_it_needs_a_commander() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    press(&mut model, KeyCode::Enter);
    refused(&mut model, Some(403), "forbidden", "forbidden");
    assert!(screen(&model).contains("need a commander's token"));
}

#[test]
fn a_planner_refusal_shows_its_reason() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    let error = WriteError {
        status: Some(422),
        code: Some(warroom::model::ErrorCode::NothingToDo),
        message: "nothing to do: app-04 hosts no sites and is already drained".into(),
    };
    update(&mut model, Msg::Wrote(Wrote::Plan(Err(error))));
    let text = screen(&model);
    assert!(text.contains("already drained"), "{text}");
    let effects = press(&mut model, KeyCode::Char('r'));
    assert_eq!(plan_requests(&effects).len(), 1, "r asks again");
}

#[test]
fn action_events_update_the_modal_progress() {
    let mut model = model();
    let plan = running_evacuation(&mut model);
    assert!(screen(&model).contains("step 0/3"), "{}", screen(&model));

    use StepState::*;
    action_event(
        &mut model,
        1,
        action_for(
            &plan,
            "act-1",
            ActionState::Running,
            &[Succeeded, Succeeded, Running],
        ),
    );
    let text = screen(&model);
    assert!(text.contains("step 3/3"), "{text}");
    assert!(text.contains("1/2 sites moved"), "{text}");
    assert!(text.contains("▶ running"), "{text}");
    let status = footer_row(&model);
    assert!(
        status.contains("evacuate_server app-04: step 3/3 · 1/2 sites moved"),
        "{status}"
    );

    action_event(
        &mut model,
        2,
        action_for(
            &plan,
            "act-1",
            ActionState::Failed,
            &[Succeeded, Succeeded, Failed],
        ),
    );
    let text = screen(&model);
    assert!(text.contains("✗ failed"), "{text}");
    assert!(text.contains("fo-2 refused the site"), "{text}");
    assert!(
        !footer_row(&model).contains("evacuate_server"),
        "a finished action leaves the footer"
    );
}

#[test]
fn a_late_execute_answer_does_not_undo_newer_events() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    let plan = evacuation_plan();
    plan_made(&mut model, plan.clone());
    press(&mut model, KeyCode::Enter);
    use StepState::*;
    // The stream reports progress before the execute answer arrives.
    action_event(
        &mut model,
        1,
        action_for(
            &plan,
            "act-1",
            ActionState::Running,
            &[Succeeded, Running, Pending],
        ),
    );
    started(
        &mut model,
        action_for(
            &plan,
            "act-1",
            ActionState::Running,
            &[Pending, Pending, Pending],
        ),
    );
    let action = model.data.actions.get("act-1").expect("known");
    assert_eq!(action.steps[0].state, Succeeded);
    assert!(screen(&model).contains("step 2/3"));
}

#[test]
fn needs_follow_up_offers_the_clearing_plan_in_one_key() {
    let mut model = model();
    model.ui.focus = Pane::Timeline;
    press(&mut model, KeyCode::Char('C'));
    let mut plan = evacuation_plan();
    plan.id = "plan-cache".into();
    plan.kind = PlanKind::CacheFailover;
    plan.target = Some("cache-2".into());
    plan.steps.truncate(1);
    plan_made(&mut model, plan.clone());
    press(&mut model, KeyCode::Enter);
    started(
        &mut model,
        action_for(&plan, "act-5", ActionState::Running, &[StepState::Pending]),
    );
    let mut done = action_for(
        &plan,
        "act-5",
        ActionState::NeedsFollowUp,
        &[StepState::Succeeded],
    );
    done.follow_up = Some(FollowUp {
        kind: FollowUpKind::StaleClients,
        count: 12,
        offer: PlanRequest {
            kind: PlanKind::RecycleWeb,
            target: None,
            options: PlanOptions::default(),
        },
    });
    action_event(&mut model, 1, done);
    let text = screen(&model);
    assert!(
        text.contains("12 web server clients still hold connections to the old cache node"),
        "{text}"
    );
    let status = footer_row(&model);
    assert!(status.contains("12 web server clients"), "{status}");
    assert!(status.contains("recycle_web"), "{status}");

    let effects = press(&mut model, KeyCode::Char('f'));
    assert_eq!(
        plan_requests(&effects),
        vec![PlanRequest {
            kind: PlanKind::RecycleWeb,
            target: None,
            options: PlanOptions::default(),
        }]
    );
}

#[test]
fn a_aborts_the_running_action() {
    let mut model = model();
    let effects = press(&mut model, KeyCode::Char('A'));
    assert!(effects.is_empty());
    assert!(toast(&model).contains("no action is running"));

    running_evacuation(&mut model);
    // In the modal and outside it.
    let effects = press(&mut model, KeyCode::Char('A'));
    assert_eq!(effects, vec![Effect::Abort("act-1".into())]);
    press(&mut model, KeyCode::Esc);
    let effects = press(&mut model, KeyCode::Char('A'));
    assert_eq!(effects, vec![Effect::Abort("act-1".into())]);
}

#[test]
fn esc_hides_a_running_action_and_a_shows_it_again() {
    let mut model = model();
    running_evacuation(&mut model);
    press(&mut model, KeyCode::Esc);
    assert!(!modal_open(&model), "Esc hides the modal");
    assert!(toast(&model).contains("continues"), "{}", toast(&model));
    press(&mut model, KeyCode::Char('a'));
    assert!(modal_open(&model));
    assert!(screen(&model).contains("Action · evacuate_server app-04"));
}

#[test]
fn a_refusal_for_a_hidden_modal_is_not_lost() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    plan_made(&mut model, evacuation_plan());
    let (_, _, key) = execute_of(&press(&mut model, KeyCode::Enter)).expect("sent");
    press(&mut model, KeyCode::Esc);
    assert!(!modal_open(&model));
    refused(&mut model, None, "", "connection refused");
    assert!(toast(&model).contains("not executed"), "{}", toast(&model));
    press(&mut model, KeyCode::Char('a'));
    let (_, _, retry_key) = execute_of(&press(&mut model, KeyCode::Enter)).expect("retry");
    assert_eq!(retry_key, key);
}

#[test]
fn u_undoes_the_newest_finished_action_and_its_plan_runs_with_enter() {
    let mut model = model();
    let plan = evacuation_plan();
    use StepState::*;
    let mut restart = action_for(&plan, "act-restart", ActionState::Succeeded, &[Succeeded]);
    restart.kind = PlanKind::RestartSites;
    update(
        &mut model,
        Msg::Loaded(Loaded::Actions(vec![
            restart,
            action_for(
                &plan,
                "act-1",
                ActionState::Succeeded,
                &[Succeeded, Succeeded, Succeeded],
            ),
        ])),
    );
    let effects = press(&mut model, KeyCode::Char('U'));
    assert_eq!(
        effects,
        vec![Effect::Undo("act-1".into())],
        "restarts cannot be undone; the evacuation can"
    );
    assert!(screen(&model).contains("reverse of action act-1"));

    let mut failback = evacuation_plan();
    failback.id = "plan-back".into();
    failback.kind = PlanKind::Failback;
    failback.summary = "Move 2 sites back to app-04 once it is healthy and stable.".into();
    plan_made(&mut model, failback);
    assert!(screen(&model).contains("Move 2 sites back to app-04"));
    let (plan_id, _, _) = execute_of(&press(&mut model, KeyCode::Enter)).expect("executes");
    assert_eq!(plan_id, "plan-back");
}

#[test]
fn a_plan_closed_while_planning_is_dropped() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    press(&mut model, KeyCode::Esc);
    assert!(!modal_open(&model));
    plan_made(&mut model, evacuation_plan());
    assert!(!modal_open(&model), "a late plan does not pop up");
}

#[test]
fn text_from_the_api_cannot_drive_the_terminal() {
    let mut model = model();
    select_server(&mut model, "app-04");
    press(&mut model, KeyCode::Char('E'));
    let mut plan = evacuation_plan();
    plan.warnings = vec!["evil\x1b]0;pwned\x07 warning".into()];
    plan_made(&mut model, plan);
    let text = screen(&model);
    assert!(!text.contains('\x1b'), "escape reached the screen");
    assert!(text.contains("evil\\x1b]0;pwned\\x07 warning"), "{text}");
}

#[test]
fn undo_is_offered_only_for_an_action_undo_would_reverse() {
    use warroom::model::StepState::Succeeded;
    let mut model = model();
    let plan = running_evacuation(&mut model);
    let done = action_for(
        &plan,
        "act-1",
        ActionState::Succeeded,
        &[Succeeded, Succeeded, Succeeded],
    );
    action_event(&mut model, 10, done);
    assert!(
        screen(&model).contains("undo (after Esc)"),
        "an evacuation has a reverse"
    );

    // A restart has none: its finished modal offers no undo.
    let mut model = model_with(Default::default());
    let mut restart = plan.clone();
    restart.kind = warroom::model::PlanKind::RestartSites;
    let restart = {
        press(&mut model, KeyCode::Char('R'));
        plan_made(&mut model, restart.clone());
        press(&mut model, KeyCode::Enter);
        started(
            &mut model,
            action_for(
                &restart,
                "act-2",
                ActionState::Running,
                &[StepState::Pending; 3],
            ),
        );
        restart
    };
    let done = action_for(
        &restart,
        "act-2",
        ActionState::Succeeded,
        &[Succeeded, Succeeded, Succeeded],
    );
    action_event(&mut model, 11, done);
    let shown = screen(&model);
    assert!(shown.contains("succeeded"), "{shown}");
    assert!(!shown.contains("undo (after Esc)"), "{shown}");
}
