//! The same drill played by several responders, side by side with the
//! original outage (`warroom drill NAME`, the default `--responder all`).

use serde::Serialize;

use super::scorecard::{FailureScore, Scorecard, format_duration, format_offset};

/// The same drill played by several responders, side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub scenario: String,
    pub scorecards: Vec<Scorecard>,
}

impl Comparison {
    pub fn new(scenario: &str, scorecards: Vec<Scorecard>) -> Comparison {
        Comparison {
            scenario: scenario.to_string(),
            scorecards,
        }
    }
}

/// One cell of the side-by-side table: time to mitigate and site-minutes down.
fn cell(failure: Option<&FailureScore>) -> String {
    match failure {
        None => "-".into(),
        Some(f) if f.sites_affected == 0 => "no impact".into(),
        Some(f) => match f.mitigate_s {
            Some(s) => format!(
                "{} ({:.1}/{:.1})",
                format_duration(s),
                f.site_minutes_down,
                f.site_minutes_degraded
            ),
            None => "NOT MITIGATED".into(),
        },
    }
}

/// The responders side by side with the original outage: for each failure,
/// time to mitigate and (in brackets) site-minutes down and degraded.
pub fn render_comparison(comparison: &Comparison) -> String {
    let cards = &comparison.scorecards;
    let mut header = vec![
        "fault at".to_string(),
        "failure".to_string(),
        "original".to_string(),
    ];
    header.extend(cards.iter().map(|c| match c.reaction_s {
        Some(r) => format!("{} ({} reaction)", c.responder, format_duration(r)),
        None => c.responder.clone(),
    }));
    let mut rows = vec![header];
    let failures = cards.first().map_or(&[][..], |c| c.failures.as_slice());
    for (i, f) in failures.iter().enumerate() {
        let mut row = vec![
            format_offset(f.fault_at_s),
            format!("{} {}", f.fault.as_str(), f.target),
            f.original
                .as_ref()
                .map_or("-".into(), |o| format!("{}m", o.minutes)),
        ];
        row.extend(cards.iter().map(|c| cell(c.failures.get(i))));
        rows.push(row);
    }
    let mut total = vec![
        "total".to_string(),
        String::new(),
        cards
            .first()
            .map_or("-".into(), |c| format!("{}m", c.totals.original_minutes)),
    ];
    total.extend(cards.iter().map(|c| {
        format!(
            "{} ({:.1}/{:.1})",
            format_duration(c.totals.mitigate_s),
            c.totals.site_minutes_down,
            c.totals.site_minutes_degraded
        )
    }));
    rows.push(total);
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!(
        "drill {} — responders side by side, on the sim clock: time to mitigate (site-minutes down/degraded)\n\n",
        comparison.scenario
    );
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for card in cards {
        if !card.sites_down_at_end.is_empty() {
            out.push_str(&format!(
                "\n{}: still down at the end: {}\n",
                card.responder,
                card.sites_down_at_end.join(", ")
            ));
        }
    }
    out
}
