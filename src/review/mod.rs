//! Comparing results: which regions of two results are the same region, and what
//! changed between them, as data the annotator's diff view and the command line both use.

pub mod agreement;
pub mod decision;
pub mod describe;
pub mod diff;
pub mod matching;
pub mod quality;

pub use agreement::{AgreementReport, refresh_agreement, report};
pub use describe::describe;
pub use diff::{
    DiffEntry, DiffKind, FieldChange, MatchedBy, ResultDiff, diff, match_regions, same_place,
};
