//! The annotator's model, without a terminal: my result with undo/redo and lead time
//! ([`draft`]), the rules a result must meet before it is submitted ([`rules`]),
//! saving that keeps retrying and never drops an answer ([`save`]), and drawing image
//! regions by keyboard ([`shapes`]), and who this annotator is among the others on the
//! same project ([`presence`]), and the conversations of Chat tags ([`chat`]), and audio
//! segments by keyboard ([`audio`]).

pub mod audio;
pub mod bulk;
pub mod chat;
pub mod claim;
pub mod draft;
pub mod presence;
pub mod ranking;
pub mod region;
pub mod relations;
pub mod rules;
pub mod save;
pub mod shapes;
pub mod video;

pub use claim::Annotator;
pub use draft::Draft;
pub use rules::{check_datetime, missing_required};
pub use save::{Backoff, PendingSave, SaveKind, SaveOutcome, SaveTarget, Saving};
