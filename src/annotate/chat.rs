//! Label Studio's Chat tag, without a terminal: the conversation of a task (messages
//! from the task data, read-only, then the messages I added, which are my result), the
//! messages I add and edit, and the submit rules (`minMessages`, `maxMessages`).
//!
//! A message I add is a result `{"type": "chatmessage", "from_name": chat, "to_name":
//! chat, "value": {"chatmessage": {"role", "content", "createdAt"}}}` with an id of its
//! own: a region, so perRegion controls attach to it by sharing that id, as they do to
//! any region. Messages from the task data are not regions: they cannot be edited or
//! evaluated, as in Label Studio.
//!
//! A Chat tag is written either without `toName` (an object other controls point at)
//! or with `toName` naming itself (a control alone). Either way it shows a conversation:
//! [`with_chat_panes`] gives the second form an object too, so that it has a pane.

use super::region::{from_name, id_of, new_id};
use crate::config::{LabelConfig, ObjectKind, ObjectTag};
use crate::task::resolve::{as_text, resolve_attr};
use serde_json::{Value, json};
use std::borrow::Cow;

pub use crate::task::chat::{RESULT_TYPE, check_message_value, is_chat, is_chat_tag, is_message};

/// Which of my messages may be edited (`editable`): none, all, or those of some roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editable {
    No,
    All,
    Roles(Vec<String>),
}

/// How one Chat tag is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSpec {
    pub name: String,
    /// The roles I may add messages as (`messageroles`), in order.
    pub roles: Vec<String>,
    pub editable: Editable,
    pub min_messages: Option<usize>,
    pub max_messages: Option<usize>,
    /// The model Label Studio asks for replies (`llm`); no model is asked here.
    pub llm: Option<String>,
}

impl ChatSpec {
    /// The setup of a Chat from its attributes; numbers may name task data (`$max`).
    pub fn from_attrs<'a>(
        name: &str,
        attr: impl Fn(&str) -> Option<&'a str>,
        data: &Value,
    ) -> ChatSpec {
        let llm = attr("llm")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect()
        };
        // Without a model, both sides of the conversation are mine to write.
        let mut roles = attr("messageroles").map(list).unwrap_or_default();
        if roles.is_empty() {
            roles = if llm.is_some() {
                vec!["user".into()]
            } else {
                vec!["user".into(), "assistant".into()]
            };
        }
        let editable = match attr("editable").map(str::trim) {
            None | Some("") => Editable::No,
            Some(v) if v.eq_ignore_ascii_case("true") => Editable::All,
            Some(v) if v.eq_ignore_ascii_case("false") => Editable::No,
            Some(v) => Editable::Roles(list(v)),
        };
        let count = |key: &str| -> Option<usize> {
            let raw = attr(key)?;
            let v = resolve_attr(raw.trim(), data);
            match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n.min(usize::MAX as f64) as usize)
        };
        ChatSpec {
            name: name.to_string(),
            roles,
            editable,
            min_messages: count("minMessages"),
            max_messages: count("maxMessages"),
            llm,
        }
    }

    /// The Chat named `name` in the config (its object, else its control).
    pub fn of(config: &LabelConfig, name: &str, data: &Value) -> Option<ChatSpec> {
        if let Some(o) = config
            .objects
            .iter()
            .find(|o| o.name == name && o.kind == ObjectKind::Chat)
        {
            return Some(ChatSpec::from_attrs(name, |k| o.attr(k), data));
        }
        let c = config
            .controls
            .iter()
            .find(|c| c.name == name && is_chat_tag(&c.tag))?;
        Some(ChatSpec::from_attrs(name, |k| c.attr(k), data))
    }

    /// Every Chat of the config, once each.
    pub fn all(config: &LabelConfig, data: &Value) -> Vec<ChatSpec> {
        let mut out: Vec<ChatSpec> = Vec::new();
        let names = config
            .objects
            .iter()
            .filter(|o| o.kind == ObjectKind::Chat)
            .map(|o| o.name.as_str())
            .chain(
                config
                    .controls
                    .iter()
                    .filter(|c| is_chat_tag(&c.tag))
                    .map(|c| c.name.as_str()),
            );
        for n in names {
            if !out.iter().any(|s| s.name == n)
                && let Some(s) = ChatSpec::of(config, n, data)
            {
                out.push(s);
            }
        }
        out
    }

    /// Whether my message of `role` may be edited.
    pub fn can_edit(&self, role: &str) -> bool {
        match &self.editable {
            Editable::No => false,
            Editable::All => true,
            Editable::Roles(r) => r.iter().any(|x| x == role),
        }
    }

    /// Whether one more message may be added to a conversation of `count`.
    pub fn can_add(&self, count: usize) -> bool {
        self.max_messages.is_none_or(|m| count < m)
    }

    /// The role a new message takes by default: the one after the last message's role
    /// among mine to write (so that a conversation alternates), else the first.
    pub fn next_role(&self, last_role: Option<&str>) -> usize {
        last_role
            .and_then(|r| self.roles.iter().position(|x| x == r))
            .map_or(0, |i| (i + 1) % self.roles.len().max(1))
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<'a> {
    /// Empty when the message names none.
    pub role: Cow<'a, str>,
    pub content: Cow<'a, str>,
    /// My message's result id; `None` for a message of the task data.
    pub id: Option<&'a str>,
}

/// A conversation: the task data's messages, then mine, in result order. Building it
/// costs one pass over my result; reading a message is direct, so a frame reads only
/// the messages it shows, however long the conversation.
#[derive(Debug, Clone)]
pub struct Thread<'a> {
    data: &'a [Value],
    mine: Vec<&'a Value>,
}

impl<'a> Thread<'a> {
    /// The conversation of chat `name` from its data value and my result.
    pub fn new(data: &'a Value, result: &'a [Value], name: &str) -> Thread<'a> {
        let data = match data {
            Value::Array(a) => a.as_slice(),
            _ => &[],
        };
        let mine = result
            .iter()
            .filter(|r| is_message(r) && from_name(r) == name)
            .collect();
        Thread { data, mine }
    }

    pub fn len(&self) -> usize {
        self.data.len() + self.mine.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many messages come from the task data (they come first).
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    pub fn get(&self, i: usize) -> Option<Message<'a>> {
        if let Some(item) = self.data.get(i) {
            return Some(data_message(item));
        }
        let r = self.mine.get(i - self.data.len())?;
        let m = &r["value"][RESULT_TYPE];
        Some(Message {
            role: text_of(m.get("role")),
            content: text_of(m.get("content")),
            id: id_of(r),
        })
    }

    /// Where my message `id` is in the conversation.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.mine
            .iter()
            .position(|r| id_of(r) == Some(id))
            .map(|i| self.data.len() + i)
    }

    /// The role of the last message, if it names one.
    pub fn last_role(&self) -> Option<Cow<'a, str>> {
        let last = self.get(self.len().checked_sub(1)?)?;
        (!last.role.is_empty()).then_some(last.role)
    }
}

fn text_of(v: Option<&Value>) -> Cow<'_, str> {
    match v {
        Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
        Some(other) => Cow::Owned(as_text(other)),
        None => Cow::Borrowed(""),
    }
}

/// A message of the task data: `{role, content}` (some data writes `text`); anything
/// else is shown as its text, without a role.
fn data_message(item: &Value) -> Message<'_> {
    match item {
        Value::Object(m) => Message {
            role: text_of(m.get("role")),
            content: text_of(m.get("content").or_else(|| m.get("text"))),
            id: None,
        },
        other => Message {
            role: Cow::Borrowed(""),
            content: text_of(Some(other)),
            id: None,
        },
    }
}

/// What is wrong with a chat's data value, when it is not a list of messages (a missing
/// key reads as an empty text: an empty conversation).
pub fn data_problem(v: &Value) -> Option<&'static str> {
    match v {
        Value::Array(_) | Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        _ => Some("the task data for this chat is not a list of messages"),
    }
}

/// The chat data as a list: a JSON text holding a list is read as that list.
pub fn normalize_data(v: Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with('[') => serde_json::from_str::<Value>(&s)
            .ok()
            .filter(Value::is_array)
            .unwrap_or(Value::String(s)),
        other => other,
    }
}

/// A message I add, as Label Studio writes it.
pub fn new_message(chat: &str, role: &str, content: &str, created_at_ms: i64) -> Value {
    json!({
        "id": new_id(),
        "from_name": chat,
        "to_name": chat,
        "type": RESULT_TYPE,
        "origin": "manual",
        "value": {RESULT_TYPE: {"role": role, "content": content, "createdAt": created_at_ms}},
    })
}

/// Milliseconds since the epoch, as `createdAt` holds them.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Sets the content of my message `id`; false when there is no such message or nothing
/// changes.
pub fn set_content(result: &mut [Value], id: &str, content: &str) -> bool {
    let Some(m) = result
        .iter_mut()
        .find(|r| is_message(r) && id_of(r) == Some(id))
        .and_then(|r| r.get_mut("value"))
        .and_then(|v| v.get_mut(RESULT_TYPE))
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    if m.get("content").and_then(Value::as_str) == Some(content) {
        return false;
    }
    m.insert("content".into(), Value::String(content.to_string()));
    true
}

/// Why a result cannot be submitted for the config's chats: too few (`minMessages`) or
/// too many (`maxMessages`) messages, counting the task data's and mine.
pub fn submit_problems(config: &LabelConfig, data: &Value, result: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for spec in ChatSpec::all(config, data) {
        let value = chat_value(config, &spec.name, data);
        let n = Thread::new(&value, result, &spec.name).len();
        if let Some(min) = spec.min_messages.filter(|m| n < *m) {
            out.push(format!(
                "{} needs at least {min} messages ({n} so far)",
                spec.name
            ));
        }
        if let Some(max) = spec.max_messages.filter(|m| n > *m) {
            out.push(format!("{} allows at most {max} messages ({n})", spec.name));
        }
    }
    out
}

/// The data value of chat `name` (its `value`), as a list when it holds one.
pub fn chat_value(config: &LabelConfig, name: &str, data: &Value) -> Value {
    let attr = config
        .objects
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| o.value.clone())
        .or_else(|| {
            config
                .controls
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.attr("value").map(str::to_string))
        });
    attr.map_or(Value::Null, |a| normalize_data(resolve_attr(&a, data)))
}

/// The config with an object for every Chat written as a control (`toName` naming
/// itself), so that each conversation has a pane. Other configs come back as they are.
pub fn with_chat_panes(mut config: LabelConfig) -> LabelConfig {
    let extra: Vec<ObjectTag> = config
        .controls
        .iter()
        .filter(|c| is_chat_tag(&c.tag))
        .filter(|c| !config.objects.iter().any(|o| o.name == c.name))
        .filter_map(|c| {
            let value = c.attr("value").filter(|v| !v.is_empty())?;
            Some(ObjectTag {
                name: c.name.clone(),
                tag: c.tag.clone(),
                kind: ObjectKind::Chat,
                value: Some(value.to_string()),
                value_list: None,
                value_type: c.attr("valueType").map(str::to_string),
                encoding: None,
                resolver: None,
                attrs: c.attrs.clone(),
                pos: c.pos,
            })
        })
        .collect();
    config.objects.extend(extra);
    config
}

/// The roles a control applies to when a chat message is selected: `whenRole` on the
/// control or on the nearest enclosing element that has it (Label Studio sets it on a
/// `View` around per-message controls). `None`: any role.
pub fn when_role(config: &LabelConfig, control: &str) -> Option<Vec<String>> {
    let mut found: Option<Option<Vec<String>>> = None;
    config.root.visit(|el, ancestors| {
        if found.is_some() || el.attr("name") != Some(control) {
            return;
        }
        let roles = std::iter::once(el)
            .chain(ancestors.iter().rev().copied())
            .find_map(|e| e.attr("whenRole"))
            .map(|r| {
                r.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            });
        found = Some(roles);
    });
    found.flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> LabelConfig {
        LabelConfig::parse(xml).unwrap()
    }

    const SELF_TARGETED: &str = r#"<View><Text name="intro" value="$intro"/>
        <Chat name="talk" value="$talk" toName="talk" minMessages="3" messageroles="customer, agent" editable="true"/></View>"#;

    #[test]
    fn specs_read_roles_editability_and_limits() {
        let c = parse(SELF_TARGETED);
        let s = ChatSpec::of(&c, "talk", &json!({})).unwrap();
        assert_eq!(s.roles, vec!["customer", "agent"]);
        assert_eq!(s.editable, Editable::All);
        assert_eq!((s.min_messages, s.max_messages), (Some(3), None));
        assert_eq!(s.next_role(None), 0);
        assert_eq!(s.next_role(Some("customer")), 1);
        assert_eq!(s.next_role(Some("agent")), 0);
        assert_eq!(s.next_role(Some("system")), 0);

        let c = parse(
            r#"<View><Chat name="c" value="$c" llm="x/y" maxMessages="$max" editable="assistant"/>
            <Rating name="r" toName="c"/></View>"#,
        );
        let s = ChatSpec::of(&c, "c", &json!({"max": 6})).unwrap();
        assert_eq!(s.roles, vec!["user"], "with a model only my side is mine");
        assert_eq!(s.max_messages, Some(6), "read from the task data");
        assert!(s.can_edit("assistant") && !s.can_edit("user"));
        assert!(s.can_add(5) && !s.can_add(6));
        let s = ChatSpec::of(&c, "c", &json!({"max": "lots"})).unwrap();
        assert_eq!(s.max_messages, None, "an unreadable limit limits nothing");
        let c = parse(r#"<View><Chat name="c" value="$c" editable="false"/></View>"#);
        let s = ChatSpec::of(&c, "c", &json!({})).unwrap();
        assert_eq!(s.roles, vec!["user", "assistant"]);
        assert!(!s.can_edit("user"));
    }

    #[test]
    fn a_thread_is_the_data_then_my_messages() {
        let data = json!([
            {"role": "user", "content": "hi"},
            {"text": "a note without a role"},
            "a bare string",
            {"role": "assistant", "content": {"parts": [1]}}
        ]);
        let mine = vec![
            json!({"id": "other", "from_name": "elsewhere", "type": "chatmessage", "value": {"chatmessage": {"role": "user", "content": "not here"}}}),
            new_message("talk", "agent", "hello", 5),
            json!({"id": "r1", "from_name": "talk", "type": "choices", "value": {"choices": ["x"]}}),
        ];
        let t = Thread::new(&data, &mine, "talk");
        assert_eq!((t.len(), t.data_len()), (5, 4));
        let m = t.get(0).unwrap();
        assert_eq!(
            (m.role.as_ref(), m.content.as_ref(), m.id),
            ("user", "hi", None)
        );
        assert_eq!(t.get(1).unwrap().content, "a note without a role");
        assert_eq!(t.get(1).unwrap().role, "");
        assert_eq!(t.get(2).unwrap().content, "a bare string");
        assert_eq!(t.get(3).unwrap().content, r#"{"parts":[1]}"#);
        let last = t.get(4).unwrap();
        assert_eq!(
            (last.role.as_ref(), last.content.as_ref()),
            ("agent", "hello")
        );
        let id = last.id.unwrap().to_string();
        assert_eq!(t.position(&id), Some(4));
        assert_eq!(t.last_role().as_deref(), Some("agent"));
        assert!(t.get(5).is_none());
        // Odd data is an empty conversation, and says so unless it is just missing.
        for odd in [json!({"role": "user"}), json!(7), json!("text")] {
            assert!(Thread::new(&odd, &[], "talk").is_empty());
            assert!(data_problem(&odd).is_some(), "{odd}");
        }
        assert_eq!(data_problem(&json!("")), None);
        assert_eq!(
            normalize_data(json!("[{\"role\": \"user\", \"content\": \"x\"}]")),
            json!([{"role": "user", "content": "x"}])
        );
        assert_eq!(normalize_data(json!("[oops")), json!("[oops"));
    }

    #[test]
    fn my_messages_are_written_and_edited_in_label_studios_shape() {
        let m = new_message("talk", "customer", "Where is my order?", 1757612212681);
        let id = id_of(&m).unwrap().to_string();
        assert_eq!(id.len(), 10);
        let mut without_id = m.clone();
        without_id.as_object_mut().unwrap().remove("id");
        assert_eq!(
            without_id,
            json!({"from_name": "talk", "to_name": "talk", "type": "chatmessage", "origin": "manual",
                   "value": {"chatmessage": {"role": "customer", "content": "Where is my order?", "createdAt": 1757612212681_i64}}})
        );
        let mut result = vec![m];
        assert!(set_content(&mut result, &id, "Where is it?"));
        assert!(!set_content(&mut result, &id, "Where is it?"), "no change");
        assert!(!set_content(&mut result, "nope", "x"));
        assert_eq!(
            result[0]["value"]["chatmessage"],
            json!({"role": "customer", "content": "Where is it?", "createdAt": 1757612212681_i64})
        );
    }

    #[test]
    fn submit_needs_min_messages_counting_the_data() {
        let c = parse(SELF_TARGETED);
        let data = json!({"talk": [{"role": "customer", "content": "a"}]});
        let one = vec![new_message("talk", "agent", "b", 1)];
        assert_eq!(
            submit_problems(&c, &data, &one),
            vec!["talk needs at least 3 messages (2 so far)"]
        );
        let two = vec![one[0].clone(), new_message("talk", "customer", "c", 2)];
        assert!(submit_problems(&c, &data, &two).is_empty());
        // A limit from the data, passed by the data alone.
        let c = parse(r#"<View><Chat name="c" value="$c" maxMessages="$max"/></View>"#);
        let data = json!({"c": "[{\"content\": \"a\"}, {\"content\": \"b\"}]", "max": 1});
        assert_eq!(
            submit_problems(&c, &data, &[]),
            vec!["c allows at most 1 messages (2)"]
        );
    }

    #[test]
    fn a_self_targeted_chat_gets_a_pane_and_when_role_is_found_on_views() {
        let c = with_chat_panes(parse(SELF_TARGETED));
        let o = c.object("talk").unwrap();
        assert_eq!(
            (o.kind, o.value.as_deref()),
            (ObjectKind::Chat, Some("$talk"))
        );
        assert_eq!(c.controls.iter().filter(|c| c.name == "talk").count(), 1);
        let again = with_chat_panes(c.clone());
        assert_eq!(again.objects.len(), c.objects.len(), "added once");

        let c = parse(
            r#"<View><Chat name="c" value="$c"/>
            <View visibleWhen="region-selected" whenRole="assistant, tool">
              <Rating name="r" toName="c" perRegion="true"/></View>
            <Choices name="own" toName="c" whenRole="user" perRegion="true"><Choice value="x"/></Choices>
            <Rating name="whole" toName="c"/></View>"#,
        );
        assert_eq!(
            when_role(&c, "r"),
            Some(vec!["assistant".to_string(), "tool".to_string()])
        );
        assert_eq!(when_role(&c, "own"), Some(vec!["user".to_string()]));
        assert_eq!(when_role(&c, "whole"), None);
    }
}
