//! Plans made but maybe not executed yet, kept in memory until they expire.
//! Executed plans are stored with their actions; these are only the offers.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::model::{Plan, Timestamp};

/// Plans kept at most; beyond this the oldest are forgotten first.
const MAX_PLANS: usize = 10_000;

#[derive(Default)]
pub(super) struct PlanBook {
    plans: Mutex<HashMap<String, Kept>>,
}

struct Kept {
    plan: Plan,
    /// The action this plan undoes, when it came from `undo`.
    undo_of: Option<String>,
}

impl PlanBook {
    /// Keeps `plan`. An expired plan is kept for as long again as it lived,
    /// so that executing it says "expired" rather than "unknown".
    pub(super) fn insert(&self, plan: Plan, undo_of: Option<String>, now: Timestamp) {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        plans.retain(|_, kept| {
            let lived = kept.plan.expires_at - kept.plan.created_at;
            kept.plan.expires_at + lived >= now
        });
        if plans.len() >= MAX_PLANS {
            let oldest = plans
                .iter()
                .min_by_key(|(id, kept)| (kept.plan.created_at, (*id).clone()))
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                plans.remove(&id);
            }
        }
        plans.insert(plan.id.clone(), Kept { plan, undo_of });
    }

    /// Every plan kept, with the action it undoes: what a restart restores.
    pub(super) fn all(&self) -> Vec<(Plan, Option<String>)> {
        let plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<(Plan, Option<String>)> = plans
            .values()
            .map(|kept| (kept.plan.clone(), kept.undo_of.clone()))
            .collect();
        all.sort_by(|a, b| (a.0.created_at, &a.0.id).cmp(&(b.0.created_at, &b.0.id)));
        all
    }

    /// The plan and the action it undoes, if it is still kept.
    pub(super) fn get(&self, id: &str) -> Option<(Plan, Option<String>)> {
        let plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        plans
            .get(id)
            .map(|kept| (kept.plan.clone(), kept.undo_of.clone()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone, Utc};

    use super::*;
    use crate::model::PlanKind;

    fn plan(id: &str, created: Timestamp) -> Plan {
        Plan {
            id: id.into(),
            kind: PlanKind::RecycleWeb,
            target: None,
            summary: String::new(),
            steps: Vec::new(),
            placements: Vec::new(),
            unplaceable: Vec::new(),
            warnings: Vec::new(),
            risk: None,
            confirm: None,
            offers: Vec::new(),
            scope: "web".into(),
            topology_version: 1,
            created_at: created,
            expires_at: created + TimeDelta::minutes(2),
        }
    }

    #[test]
    fn expired_plans_are_kept_a_while_then_forgotten() {
        let t0 = Utc
            .with_ymd_and_hms(2017, 9, 11, 22, 0, 0)
            .single()
            .expect("time");
        let book = PlanBook::default();
        book.insert(plan("a", t0), Some("act-1".into()), t0);
        book.insert(
            plan("b", t0 + TimeDelta::minutes(3)),
            None,
            t0 + TimeDelta::minutes(3),
        );
        assert_eq!(
            book.get("a").map(|(_, undo)| undo),
            Some(Some("act-1".into()))
        );
        book.insert(
            plan("c", t0 + TimeDelta::minutes(5)),
            None,
            t0 + TimeDelta::minutes(5),
        );
        assert!(book.get("a").is_none(), "expired 3 minutes ago, lived 2");
        assert!(book.get("b").is_some());
    }
}
