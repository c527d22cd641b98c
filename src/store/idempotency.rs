//! What makes two timeline creations "the same request" for an idempotency key.

use serde::Serialize;

use super::{EntryRecord, StoreError};
use crate::model::{EntryKind, Marker, Source, Timestamp, UpdateStatus, Visibility};

/// The content the fingerprint covers, in a fixed field order.
#[derive(Serialize)]
struct EntryContent<'a> {
    kind: EntryKind,
    status: Option<UpdateStatus>,
    visibility: Visibility,
    body: &'a str,
    author: &'a str,
    /// `None` when the server defaulted it to the time of the request, which
    /// differs between a request and its retry.
    occurred_at: Option<Timestamp>,
    starred: bool,
    marker: Option<Marker>,
    source: Source,
}

/// A stable fingerprint of an entry's content, stored next to the key so a
/// retry can be told apart from a different request reusing the key.
///
/// It is stored, so it must not change between releases: the hash is written
/// out here (FNV-1a, 128 bit) rather than taken from `std`, whose hasher may
/// change. It only has to separate one client's requests under one key, so it
/// need not be cryptographic.
pub(crate) fn entry_fingerprint(
    record: &EntryRecord,
    now: Timestamp,
) -> Result<String, StoreError> {
    let content = EntryContent {
        kind: record.kind,
        status: record.status,
        visibility: record.visibility,
        body: &record.body,
        author: &record.author,
        occurred_at: (record.occurred_at != now).then_some(record.occurred_at),
        starred: record.starred,
        marker: record.marker,
        source: record.source,
    };
    let bytes = serde_json::to_vec(&content)
        .map_err(|err| StoreError::Backend(format!("cannot encode entry content: {err}")))?;
    Ok(format!("fnv1a128:{:032x}", fnv1a_128(&bytes)))
}

fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET_BASIS: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u128::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2020, 4, 1, 13, minute, 0)
            .single()
            .expect("valid time")
    }

    fn note(body: &str, occurred_at: Timestamp) -> EntryRecord {
        EntryRecord {
            kind: EntryKind::Note,
            status: None,
            visibility: Visibility::Internal,
            body: body.into(),
            author: "ana".into(),
            occurred_at,
            starred: false,
            marker: None,
            source: Source::User,
        }
    }

    #[test]
    fn known_vector_keeps_the_stored_hash_stable() {
        // FNV-1a 128 of "a", from the reference implementation's test vectors.
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn a_defaulted_occurred_at_matches_across_retries() {
        let first = entry_fingerprint(&note("db down", at(5)), at(5)).expect("hash");
        let retry = entry_fingerprint(&note("db down", at(6)), at(6)).expect("hash");
        assert_eq!(first, retry);
    }

    #[test]
    fn other_content_or_an_explicit_other_time_differs() {
        let first = entry_fingerprint(&note("db down", at(1)), at(5)).expect("hash");
        let other_body = entry_fingerprint(&note("db up", at(1)), at(5)).expect("hash");
        let other_time = entry_fingerprint(&note("db down", at(2)), at(6)).expect("hash");
        assert_ne!(first, other_body);
        assert_ne!(first, other_time);
    }
}
