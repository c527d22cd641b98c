//! Each overlay's own tests: keys and replies go straight to the
//! component's `key` / `on_reply` (not through the root's `update`), and
//! the tests look at the [`Outcome`](crate::tui::component::Outcome) it
//! answers and at its state. `fixtures` builds the world they read.

mod fixtures;

mod alert_view;
mod composer;
mod composer_edit;
mod confirm;
mod conflict;
mod help;
mod incident_form;
mod palette;
mod plan;
mod plan_refusals;
mod reader;
mod role_form;
mod switcher;
