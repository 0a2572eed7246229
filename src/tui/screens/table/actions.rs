//! The table's writes: saved views, bulk actions on marked tasks, export of marked tasks.

use super::{TableReply, TableRequest};
use crate::store::Store;

pub fn run(_store: &Store, _r: TableRequest) -> Result<TableReply, String> {
    Err("not available in this build".into())
}
