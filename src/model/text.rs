//! The rules for the text fields the API takes (titles, bodies, names,
//! reasons), each in one place: the check the server makes and the JSON
//! Schema the OpenAPI document gives, built from the same numbers, so a
//! value the document allows is one the server takes, and the reverse.
//!
//! Request bodies that have rules beyond their shape implement [`Validate`];
//! the server's `AppJson` extractor runs it, and a failure is a 422 whose
//! message names the field.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// A rule for one text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// At most this many characters (Unicode scalar values, as JSON Schema
    /// counts them).
    pub max: usize,
    /// Newlines and tabs are allowed (other control characters never are).
    pub multiline: bool,
}

/// Whitespace that is not a control character (Unicode `White_Space`
/// without the controls): what a blank value may consist of, besides
/// newlines and tabs in multi-line fields. Spelled out in both patterns.
#[cfg(test)]
const SPACES: &str = r"\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// The single-line pattern: optional leading spaces, one visible character,
/// then anything without control characters. Written so that no two parts
/// can match the same character: checking it is linear in the length.
const SINGLE_LINE: &str = r"^[\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u001f\u007f-\u009f]*$";

/// The multi-line pattern: as [`SINGLE_LINE`], with tabs and newlines.
const MULTI_LINE: &str = r"^[\u0009\u000a\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$";

impl TextRule {
    /// Whether `value` keeps the rule; the error says what is wrong, naming `field`.
    pub fn check(&self, field: &str, value: &str) -> Result<(), String> {
        if value.trim().is_empty() {
            return Err(format!("{field} must not be empty"));
        }
        if value.chars().count() > self.max {
            return Err(format!("{field} is longer than {} characters", self.max));
        }
        let allowed = |c: char| !c.is_control() || (self.multiline && (c == '\n' || c == '\t'));
        if !value.chars().all(allowed) {
            let what = if self.multiline {
                "control characters (other than newlines and tabs)"
            } else {
                "control characters"
            };
            return Err(format!("{field} contains {what}"));
        }
        Ok(())
    }

    /// The ECMA-262 pattern of the values [`TextRule::check`] accepts (within the length).
    pub fn pattern(&self) -> &'static str {
        if self.multiline {
            MULTI_LINE
        } else {
            SINGLE_LINE
        }
    }

    fn builder(&self, description: &str) -> ObjectBuilder {
        let lines = if self.multiline {
            "newlines and tabs allowed, no other control characters"
        } else {
            "one line, no control characters"
        };
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .min_length(Some(1))
            .max_length(Some(self.max))
            .pattern(Some(self.pattern()))
            .description(Some(format!(
                "{description} 1 to {} characters, not blank; {lines}.",
                self.max
            )))
    }

    /// The JSON Schema of a field that must keep the rule.
    pub fn schema(&self, description: &str) -> RefOr<Schema> {
        self.builder(description).into()
    }

    /// The JSON Schema of a field that keeps the rule or is `null` (absent).
    pub fn nullable_schema(&self, description: &str) -> RefOr<Schema> {
        Schema::OneOf(
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(self.builder(description))
                .item(ObjectBuilder::new().schema_type(SchemaType::new(Type::Null)))
                .build(),
        )
        .into()
    }
}

/// An incident's title.
pub const TITLE: TextRule = TextRule {
    max: 200,
    multiline: false,
};
/// The name of a component an incident affects.
pub const COMPONENT_NAME: TextRule = TextRule {
    max: 100,
    multiline: false,
};
/// A timeline entry's body.
pub const ENTRY_BODY: TextRule = TextRule {
    max: 64 * 1024,
    multiline: true,
};
/// Why an alert is silenced.
pub const SILENCE_REASON: TextRule = TextRule {
    max: 500,
    multiline: false,
};
/// Who holds an incident role.
pub const HOLDER: TextRule = TextRule {
    max: super::HOLDER_MAX,
    multiline: false,
};

/// The rules of a request body beyond its shape, checked after it is read.
pub trait Validate {
    /// `Err` says what is wrong, naming the field.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Reads a JSON integer as JSON Schema counts them: `60` and `60.0` alike
/// (a number with no fraction is an integer), never `60.5`.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(n) = number.as_u64() {
        return Ok(n);
    }
    match number.as_f64() {
        Some(f) if f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&f) => Ok(f as u64),
        _ => Err(D::Error::custom(format!(
            "invalid value: {number}, expected a whole number of 0 or more"
        ))),
    }
}

/// A JSON Schema for "this or null".
pub(crate) fn or_null(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(schema)
            .item(ObjectBuilder::new().schema_type(SchemaType::new(Type::Null)))
            .build(),
    )
    .into()
}

/// Bodies whose every rule needs the fleet or the executor (the planner
/// says whether a target exists and the plan can be made).
impl Validate for super::PlanRequest {}
impl Validate for super::ExecuteRequest {}

pub(crate) fn title_schema() -> RefOr<Schema> {
    TITLE.schema("The incident's title:")
}

pub(crate) fn title_patch_schema() -> RefOr<Schema> {
    TITLE.nullable_schema("A new title:")
}

pub(crate) fn component_name_schema() -> RefOr<Schema> {
    COMPONENT_NAME.schema("The component's name as the status page shows it:")
}

pub(crate) fn silence_reason_schema() -> RefOr<Schema> {
    SILENCE_REASON.schema("Why, for the timeline:")
}

pub(crate) fn entry_patch_body_schema() -> RefOr<Schema> {
    let empty = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .enum_values(Some([""]));
    or_null(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(ENTRY_BODY.schema("A new body:"))
            .item(empty),
    )
}

pub(crate) fn holder_schema() -> RefOr<Schema> {
    HOLDER.nullable_schema("Who holds the role from now on (`null` leaves it vacant):")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_long_and_control_text_is_refused_with_the_field_named() {
        let rule = TextRule {
            max: 5,
            multiline: false,
        };
        assert!(rule.check("title", "hello").is_ok());
        assert!(rule.check("title", " h ").is_ok());
        for blank in ["", " ", "\u{a0}\u{3000}"] {
            let err = rule.check("title", blank).unwrap_err();
            assert!(err.contains("title must not be empty"), "{err}");
        }
        assert!(
            rule.check("title", "hello!")
                .unwrap_err()
                .contains("longer")
        );
        // Five characters, more than five bytes: characters count.
        assert!(rule.check("title", "héllo").is_ok());
        for bad in ["a\nb", "a\tb", "a\u{7}", "a\u{85}b"] {
            assert!(rule.check("title", bad).unwrap_err().contains("control"));
        }
        let body = TextRule {
            max: 50,
            multiline: true,
        };
        assert!(body.check("body", "line one\n\tline two").is_ok());
        assert!(body.check("body", "\n\t\n").is_err());
        assert!(body.check("body", "a\rb").is_err());
    }

    /// The pattern's classes spell the same sets as the check: the blank
    /// characters are exactly the non-control `White_Space` ones.
    #[test]
    fn the_pattern_names_the_spaces_rust_trims() {
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace() && !c.is_control())
            .collect();
        let listed = [
            0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
            0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let listed: Vec<char> = listed.into_iter().filter_map(char::from_u32).collect();
        assert_eq!(spaces, listed);
        assert!(SINGLE_LINE.contains(SPACES) && MULTI_LINE.contains(SPACES));
        let controls: Vec<u32> = (0..0x3000u32)
            .filter(|&c| char::from_u32(c).is_some_and(char::is_control))
            .collect();
        assert_eq!(
            controls,
            [(0..=0x1f).collect::<Vec<_>>(), (0x7f..=0x9f).collect()].concat()
        );
    }

    #[test]
    fn the_schema_carries_the_numbers_the_check_uses() {
        let json = serde_json::to_value(TITLE.schema("t")).unwrap();
        assert_eq!(json["maxLength"], 200);
        assert_eq!(json["minLength"], 1);
        assert_eq!(json["pattern"], SINGLE_LINE);
        let json = serde_json::to_value(HOLDER.nullable_schema("h")).unwrap();
        assert_eq!(json["oneOf"][0]["maxLength"], super::super::HOLDER_MAX);
        assert_eq!(json["oneOf"][1]["type"], "null");
    }
}
