//! The table's requests carried out against a store (on the job worker's connection).

use super::{TableReply, TableRequest};
use crate::store::Store;

/// Runs one request; every outcome, errors included, is a reply.
pub fn run(_store: &Store, _r: TableRequest) -> TableReply {
    TableReply::Failed {
        error: "not available".into(),
    }
}
