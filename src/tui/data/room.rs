//! Who is in the room: the consoles connected now, from `GET /v1/presence`
//! and kept current by `presence` events.

use crate::model::{AccessRole, Presence, PresenceChange, PresenceEvent};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Room {
    /// By join time, then client id, as the API lists them.
    pub consoles: Vec<Presence>,
    pub loaded: bool,
}

/// One person in the room: a token's name, its role, and how many
/// consoles it has open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    pub name: &'a str,
    pub role: AccessRole,
    pub consoles: usize,
}

impl Room {
    pub fn replace(&mut self, consoles: Vec<Presence>) {
        self.consoles = consoles;
        self.sort();
        self.loaded = true;
    }

    /// Applies a join or leave; true when the list changed.
    pub fn apply(&mut self, event: PresenceEvent) -> bool {
        let known = self
            .consoles
            .iter()
            .position(|c| c.client_id == event.presence.client_id);
        match (event.change, known) {
            (PresenceChange::Joined, Some(i)) => {
                if self.consoles[i] == event.presence {
                    return false;
                }
                self.consoles[i] = event.presence;
                self.sort();
                true
            }
            (PresenceChange::Joined, None) => {
                self.consoles.push(event.presence);
                self.sort();
                true
            }
            (PresenceChange::Left | PresenceChange::Expired, Some(i)) => {
                self.consoles.remove(i);
                true
            }
            (PresenceChange::Left | PresenceChange::Expired, None) => false,
        }
    }

    fn sort(&mut self) {
        self.consoles
            .sort_by(|a, b| (a.since, &a.client_id).cmp(&(b.since, &b.client_id)));
    }

    /// The people present, in the order they first joined: one per name
    /// (a person with two consoles is one person, at their highest role).
    pub fn people(&self) -> Vec<Person<'_>> {
        let mut people: Vec<Person<'_>> = Vec::new();
        for console in &self.consoles {
            match people.iter_mut().find(|p| p.name == console.name) {
                Some(person) => {
                    person.consoles += 1;
                    person.role = person.role.max(console.role);
                }
                None => people.push(Person {
                    name: &console.name,
                    role: console.role,
                    consoles: 1,
                }),
            }
        }
        people
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn console(id: &str, name: &str, role: AccessRole, since: i64) -> Presence {
        let at = Utc
            .timestamp_opt(1_700_000_000 + since, 0)
            .single()
            .expect("time");
        Presence {
            client_id: id.into(),
            name: name.into(),
            role,
            since: at,
            seen_at: at,
        }
    }

    fn event(change: PresenceChange, presence: Presence) -> PresenceEvent {
        PresenceEvent { change, presence }
    }

    #[test]
    fn joins_and_leaves_change_the_room_and_repeats_do_not() {
        let mut room = Room::default();
        room.replace(vec![console("b", "bob", AccessRole::Responder, 5)]);
        let alice = console("a", "alice", AccessRole::Commander, 1);
        assert!(room.apply(event(PresenceChange::Joined, alice.clone())));
        assert!(!room.apply(event(PresenceChange::Joined, alice.clone())));
        let names: Vec<_> = room.people().iter().map(|p| p.name).collect();
        assert_eq!(names, ["alice", "bob"], "in join order");
        assert!(room.apply(event(PresenceChange::Expired, alice.clone())));
        assert!(!room.apply(event(PresenceChange::Left, alice)));
        let names: Vec<_> = room.people().iter().map(|p| p.name).collect();
        assert_eq!(names, ["bob"]);
    }

    #[test]
    fn one_person_with_two_consoles_is_listed_once() {
        let mut room = Room::default();
        room.replace(vec![
            console("a1", "alice", AccessRole::Viewer, 1),
            console("b", "bob", AccessRole::Responder, 2),
            console("a2", "alice", AccessRole::Commander, 3),
        ]);
        let people = room.people();
        assert_eq!(people.len(), 2);
        assert_eq!(
            people[0],
            Person {
                name: "alice",
                role: AccessRole::Commander,
                consoles: 2
            }
        );
    }
}
