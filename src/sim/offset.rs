//! Offsets from a scenario's start, as scenario files write them: `+45m`,
//! `+1h20m`, `+90s`, `+0s`.

use std::fmt;
use std::time::Duration;

/// A non-negative offset from a scenario's start, with the text it was
/// written as (shown back to users unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offset {
    duration: Duration,
    text: String,
}

impl Offset {
    /// Parse `+` followed by one or more `<digits><unit>` groups, units `h`,
    /// `m`, `s` in that order, each at most once. The error says what is
    /// wrong in a few words.
    pub fn parse(text: &str) -> Result<Offset, String> {
        const FORM: &str = "write an offset like +45m, +1h20m, +90s or +0s";
        let Some(body) = text.strip_prefix('+') else {
            return Err(format!("'{text}' does not start with '+'; {FORM}"));
        };
        if body.is_empty() {
            return Err(format!("'{text}' has no duration; {FORM}"));
        }
        let mut seconds: u64 = 0;
        let mut digits = String::new();
        // Units must come in falling order (h, m, s) and at most once each.
        let mut last_rank = 0;
        for c in body.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (rank, unit_seconds) = match c {
                'h' => (1, 3600),
                'm' => (2, 60),
                's' => (3, 1),
                _ => return Err(format!("'{text}' has an unknown unit '{c}'; {FORM}")),
            };
            if digits.is_empty() {
                return Err(format!(
                    "'{text}' has a unit '{c}' without a number; {FORM}"
                ));
            }
            if rank <= last_rank {
                return Err(format!("'{text}' repeats or misorders its units; {FORM}"));
            }
            last_rank = rank;
            let value: u64 = digits
                .parse()
                .map_err(|_| format!("'{text}' has a number that is too large"))?;
            seconds = value
                .checked_mul(unit_seconds)
                .and_then(|s| seconds.checked_add(s))
                .ok_or_else(|| format!("'{text}' is too large"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(format!("'{text}' ends in a number without a unit; {FORM}"));
        }
        Ok(Offset {
            duration: Duration::from_secs(seconds),
            text: text.to_string(),
        })
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The offset as written in the file.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        Offset::parse(text).unwrap().duration().as_secs()
    }

    #[test]
    fn parses_each_form() {
        assert_eq!(secs("+0m"), 0);
        assert_eq!(secs("+0s"), 0);
        assert_eq!(secs("+45m"), 45 * 60);
        assert_eq!(secs("+1h20m"), 80 * 60);
        assert_eq!(secs("+90s"), 90);
        assert_eq!(secs("+2h0m5s"), 7205);
        assert_eq!(Offset::parse("+1h20m").unwrap().to_string(), "+1h20m");
    }

    #[test]
    fn refuses_malformed_offsets() {
        for bad in [
            "45m", "+", "+m", "+45", "+5x", "+20m1h", "+1m1m", "-5m", "+ 5m",
        ] {
            let err = Offset::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert!(Offset::parse("+99999999999999999999h").is_err());
    }
}
