//! A list of timeline lines that a template reads lazily.
//!
//! An export of a long incident holds two lists of one line per entry
//! (`what_happened`, `internal_timeline`). Converting them into template
//! values up front cost about as much as rendering them; handed over as
//! objects, the template reads only the attributes it prints, and the list
//! itself is shared, never copied.

use std::ops::Deref;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde};
use serde::{Serialize, Serializer};

use super::postmortem::Line;

/// Timeline lines, oldest first. Serializes as a plain JSON array.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lines(Arc<[Line]>);

impl From<Vec<Line>> for Lines {
    fn from(lines: Vec<Line>) -> Self {
        Lines(lines.into())
    }
}

impl Deref for Lines {
    type Target = [Line];

    fn deref(&self) -> &[Line] {
        &self.0
    }
}

impl Serialize for Lines {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            // minijinja passes a Value through serde untouched: the template
            // gets the shared list, not a converted copy.
            Value::from_object(LineSeq(self.0.clone())).serialize(serializer)
        } else {
            self.0.serialize(serializer)
        }
    }
}

#[derive(Debug)]
struct LineSeq(Arc<[Line]>);

impl Object for LineSeq {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let index = key.as_usize()?;
        (index < self.0.len()).then(|| {
            Value::from_object(LineRef {
                lines: self.0.clone(),
                index,
            })
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// One line of a shared list, read attribute by attribute.
#[derive(Debug)]
struct LineRef {
    lines: Arc<[Line]>,
    index: usize,
}

/// The attributes a template sees: the same names and values as the JSON.
const FIELDS: &[&str] = &[
    "at",
    "time",
    "kind",
    "status",
    "marker",
    "visibility",
    "author",
    "starred",
    "label",
    "text",
];

impl Object for LineRef {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let line = self.lines.get(self.index)?;
        Some(match key {
            "at" => Value::from(Serde(&line.at)),
            "time" => Value::from(line.time.as_str()),
            "kind" => Value::from(Serde(&line.kind)),
            "status" => Value::from(Serde(&line.status)),
            "marker" => Value::from(Serde(&line.marker)),
            "visibility" => Value::from(Serde(&line.visibility)),
            "author" => Value::from(line.author.as_str()),
            "starred" => Value::from(line.starred),
            "label" => Value::from(line.label.as_str()),
            "text" => Value::from(line.text.as_str()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(FIELDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntryKind, Marker, Visibility};
    use chrono::TimeZone;

    fn line() -> Line {
        Line {
            at: chrono::Utc
                .with_ymd_and_hms(2017, 9, 11, 22, 16, 0)
                .unwrap(),
            time: "15h16 PDT".into(),
            kind: EntryKind::Marker,
            status: None,
            marker: Some(Marker::Acknowledged),
            visibility: Visibility::Internal,
            author: "alice".into(),
            starred: true,
            label: "marker, acknowledged, starred".into(),
            text: "Bob takes command".into(),
        }
    }

    #[test]
    fn templates_see_the_same_fields_and_values_as_an_eager_conversion() {
        let lines = Lines::from(vec![line(), line()]);
        let env = minijinja::Environment::new();
        let template = env
            .template_from_str(
                "{% for l in lines %}{% for k in l %}{{ k }}={{ l[k] }};{% endfor %}\n\
                 {% endfor %}{{ lines|length }} {{ lines[1].text }} {{ lines[2] is defined }}",
            )
            .unwrap();
        let lazy = template
            .render(minijinja::context! { lines => Value::from(Serde(&lines)) })
            .unwrap();
        let eager = template
            .render(minijinja::context! { lines => Value::from(Serde(&lines[..])) })
            .unwrap();
        assert_eq!(lazy, eager);
        assert!(lazy.contains("at=2017-09-11T22:16:00Z;time=15h16 PDT;kind=marker;"));
        assert!(lazy.ends_with("2 Bob takes command False"), "{lazy}");
        assert_eq!(
            serde_json::to_string(&lines).unwrap(),
            serde_json::to_string(&lines[..]).unwrap()
        );
    }
}
