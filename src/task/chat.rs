//! Chat messages as results: what a message result is and how its value is checked (the
//! layer below the annotator, so that the checks of imported results use it too).

use crate::config::{LabelConfig, ObjectKind};
use serde_json::Value;

/// The result type of a chat message.
pub const RESULT_TYPE: &str = "chatmessage";

/// Whether a tag is a Chat.
pub fn is_chat_tag(tag: &str) -> bool {
    tag.eq_ignore_ascii_case("chat")
}

/// Whether a result is a chat message.
pub fn is_message(r: &Value) -> bool {
    r.get("type").and_then(Value::as_str) == Some(RESULT_TYPE)
}

/// Whether `name` is a Chat of the config (written as an object or as a control).
pub fn is_chat(config: &LabelConfig, name: &str) -> bool {
    config
        .objects
        .iter()
        .any(|o| o.name == name && o.kind == ObjectKind::Chat)
        || config
            .controls
            .iter()
            .any(|c| c.name == name && is_chat_tag(&c.tag))
}

/// Checks a chat message result's value as Label Studio's schema does: `chatmessage`
/// with a text `role` and `content`, and a numeric `createdAt` when there is one.
pub fn check_message_value(v: &serde_json::Map<String, Value>) -> Result<(), String> {
    let Some(m) = v.get(RESULT_TYPE).and_then(Value::as_object) else {
        return Err("a chat message needs value.chatmessage".into());
    };
    for key in ["role", "content"] {
        if !m.get(key).is_some_and(Value::is_string) {
            return Err(format!("a chat message needs a text chatmessage.{key}"));
        }
    }
    if m.get("createdAt").is_some_and(|t| !t.is_number()) {
        return Err("chatmessage.createdAt must be a number (milliseconds)".into());
    }
    Ok(())
}
