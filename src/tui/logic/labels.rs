//! One-line labels for actions, plans and entries, as toasts and titles
//! show them.

use crate::model::{Action, Plan, PlanKind, PlanRequest};

/// `evacuate_server app-04`: the kind and the target, for one line.
pub fn action_label(action: &Action) -> String {
    label(action.kind, action.target.as_deref(), &[])
}

/// The kind and target of a plan request.
pub fn request_label(request: &PlanRequest) -> String {
    label(
        request.kind,
        request.target.as_deref(),
        &request.options.sites,
    )
}

/// The kind and target of a plan.
pub fn plan_label(plan: &Plan) -> String {
    label(plan.kind, plan.target.as_deref(), &[])
}

fn label(kind: PlanKind, target: Option<&str>, sites: &[String]) -> String {
    match (target, sites) {
        (Some(target), _) => format!("{} {target}", kind.as_str()),
        (None, [one]) => format!("{} {one}", kind.as_str()),
        (None, []) => kind.as_str().to_string(),
        (None, many) => format!("{} ({} sites)", kind.as_str(), many.len()),
    }
}

/// The first line of `text`, at most `max` characters (… when cut),
/// sanitised for the terminal.
pub fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(max).collect();
    if line.chars().count() > max {
        short.push('…');
    }
    super::sanitize::sanitize(&short).into_owned()
}

/// `1 server`, `2 servers`: a count with its noun, singular or plural.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}
