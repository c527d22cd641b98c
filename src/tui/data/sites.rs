//! The sites table: filter, sort, and the order of the rows that match.

use std::cmp::Ordering;

use crate::model::{HealthState, Site};

use super::fleet::{Applied, FleetSnapshot};
use crate::tui::list::ScrollList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteSort {
    Name,
    /// Worst health first.
    Health,
    /// Longest outage first.
    Downtime,
    Server,
    Id,
}

impl SiteSort {
    pub fn next(self) -> SiteSort {
        match self {
            SiteSort::Name => SiteSort::Health,
            SiteSort::Health => SiteSort::Downtime,
            SiteSort::Downtime => SiteSort::Server,
            SiteSort::Server => SiteSort::Id,
            SiteSort::Id => SiteSort::Name,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SiteSort::Name => "name",
            SiteSort::Health => "health",
            SiteSort::Downtime => "downtime",
            SiteSort::Server => "server",
            SiteSort::Id => "id",
        }
    }

    fn uses_health(self) -> bool {
        matches!(self, SiteSort::Health | SiteSort::Downtime)
    }
}

/// The filter text, parsed: every term must match. `is:down` matches a
/// health state (by prefix), `on:app-04` the server a site runs on and
/// `home:app-04` the one it belongs on (by prefix), any other word a
/// substring of id, name, server or home server.
#[derive(Debug, Clone, Default, PartialEq)]
struct ParsedFilter {
    words: Vec<String>,
    /// One set of allowed states per `is:` term.
    states: Vec<Vec<HealthState>>,
    servers: Vec<String>,
    homes: Vec<String>,
    /// `is:` terms that name no state, to say so rather than match nothing.
    unknown: Vec<String>,
}

const STATES: [HealthState; 5] = [
    HealthState::Up,
    HealthState::Degraded,
    HealthState::Down,
    HealthState::Flapping,
    HealthState::Unknown,
];

impl ParsedFilter {
    fn parse(text: &str) -> ParsedFilter {
        let mut filter = ParsedFilter::default();
        for term in text.to_lowercase().split_whitespace() {
            if let Some(state) = term.strip_prefix("is:") {
                let allowed: Vec<HealthState> = STATES
                    .into_iter()
                    .filter(|s| s.as_str().starts_with(state))
                    .collect();
                if allowed.is_empty() {
                    filter.unknown.push(state.to_string());
                } else {
                    filter.states.push(allowed);
                }
            } else if let Some(server) = term.strip_prefix("on:") {
                filter.servers.push(server.to_string());
            } else if let Some(home) = term.strip_prefix("home:") {
                filter.homes.push(home.to_string());
            } else {
                filter.words.push(term.to_string());
            }
        }
        filter
    }

    fn matches(&self, site: &Site, search: &str) -> bool {
        self.words.iter().all(|w| search.contains(w.as_str()))
            && self
                .states
                .iter()
                .all(|allowed| allowed.contains(&site.health.state))
            && self
                .servers
                .iter()
                .all(|s| site.server.to_lowercase().starts_with(s.as_str()))
            && self
                .homes
                .iter()
                .all(|s| site.home_server.to_lowercase().starts_with(s.as_str()))
    }

    fn uses_health(&self) -> bool {
        !self.states.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct SiteTable {
    filter: String,
    parsed: ParsedFilter,
    /// The filter prompt has the keyboard.
    pub editing: bool,
    pub sort: SiteSort,
    /// Indexes into `topology.sites` of the rows shown, in order.
    order: Vec<usize>,
    pub list: ScrollList,
    stale: bool,
}

impl Default for SiteTable {
    fn default() -> Self {
        SiteTable {
            filter: String::new(),
            parsed: ParsedFilter::default(),
            editing: false,
            sort: SiteSort::Name,
            order: Vec::new(),
            list: ScrollList::default(),
            stale: true,
        }
    }
}

impl SiteTable {
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// What is wrong with the filter, when a term names nothing: it is
    /// then not applied, and the prompt says why.
    pub fn filter_problem(&self) -> Option<String> {
        let unknown = self.parsed.unknown.first()?;
        let states: Vec<&str> = STATES.iter().map(|s| s.as_str()).collect();
        Some(format!(
            "is:{unknown} is not a state: use is:{}",
            states.join(", is:")
        ))
    }

    pub fn set_filter(&mut self, text: String) {
        self.parsed = ParsedFilter::parse(&text);
        self.filter = text;
        self.stale = true;
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.stale = true;
    }

    /// The rows shown, as indexes into `topology.sites`. Current after `settle`.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Whether a fleet change can reorder or refilter the rows.
    pub fn note(&mut self, applied: Applied) {
        let health_matters = self.sort.uses_health() || self.parsed.uses_health();
        if applied.site_placement || (applied.site_health && health_matters) {
            self.stale = true;
        }
    }

    /// The site index of the selected row.
    pub fn selected_site(&self) -> Option<usize> {
        self.order.get(self.list.selected).copied()
    }

    /// Recompute the rows if anything they depend on changed; the selected
    /// site stays selected when it is still shown.
    pub fn settle(&mut self, fleet: &FleetSnapshot) {
        if !self.stale {
            return;
        }
        self.stale = false;
        let selected = self
            .selected_site()
            .map(|i| fleet.topology.sites.get(i).map(|s| s.id.clone()));
        let sites = &fleet.topology.sites;
        self.order.clear();
        self.order.extend((0..sites.len()).filter(|&i| {
            fleet
                .site_search
                .get(i)
                .is_some_and(|search| self.parsed.matches(&sites[i], search))
        }));
        let sort = self.sort;
        self.order
            .sort_by(|&a, &b| compare(sort, &sites[a], &sites[b]));
        // The selected site stays selected while it is shown; else the first row.
        self.list.selected = match selected {
            Some(Some(id)) => self
                .order
                .iter()
                .position(|&i| sites[i].id == id)
                .unwrap_or(0),
            _ => self.list.selected.min(self.order.len().saturating_sub(1)),
        };
    }
}

fn compare(sort: SiteSort, a: &Site, b: &Site) -> Ordering {
    let by = match sort {
        SiteSort::Name => a
            .name
            .chars()
            .flat_map(char::to_lowercase)
            .cmp(b.name.chars().flat_map(char::to_lowercase)),
        SiteSort::Health => severity_rank(a.health.state).cmp(&severity_rank(b.health.state)),
        // Sites down longest first; sites that are up after every outage.
        SiteSort::Downtime => match (a.down_since, b.down_since) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => severity_rank(a.health.state).cmp(&severity_rank(b.health.state)),
        },
        SiteSort::Server => a.server.cmp(&b.server),
        SiteSort::Id => Ordering::Equal,
    };
    by.then_with(|| a.id.cmp(&b.id))
}

/// Worst first: down, flapping, degraded, unknown, up.
pub fn severity_rank(state: HealthState) -> u8 {
    match state {
        HealthState::Down => 0,
        HealthState::Flapping => 1,
        HealthState::Degraded => 2,
        HealthState::Unknown => 3,
        HealthState::Up => 4,
    }
}
