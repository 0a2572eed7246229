//! Label and choice hotkeys: the `hotkey` attribute wins, otherwise a key from Label
//! Studio's generated sequence (`makeComb` in its frontend), skipping keys already taken.

use super::{ControlKind, ControlTag};

/// Label Studio's sequence; it leaves out `r`, `h` and `u`, which its tools use.
pub const SEQUENCE: &str = "1234567890qwetasdfgzxcvbyiopjklnm";

/// Assigns generated hotkeys to every label without one, in document order, across the
/// whole config. Taxonomy options are picked from a tree, not by key, so they get none.
pub fn assign(controls: &mut [ControlTag]) {
    let mut taken: std::collections::HashSet<String> = controls
        .iter()
        .flat_map(|c| c.labels.iter())
        .filter_map(|l| l.hotkey.clone())
        .collect();
    let mut seq = SEQUENCE.chars();
    for ctrl in controls.iter_mut() {
        if matches!(ctrl.kind, ControlKind::Taxonomy | ControlKind::Relations) {
            continue;
        }
        for label in ctrl.labels.iter_mut() {
            if label.hotkey.is_some() {
                continue;
            }
            for c in seq.by_ref() {
                let key = c.to_string();
                if taken.insert(key.clone()) {
                    label.hotkey = Some(key);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::LabelConfig;

    #[test]
    fn generated_keys_skip_explicit_ones_across_controls() {
        let c = LabelConfig::parse(
            r#"<View><Text name="t" value="$t"/>
            <Choices name="a" toName="t"><Choice value="x" hotkey="2"/><Choice value="y"/><Choice value="z"/></Choices>
            <Labels name="b" toName="t"><Label value="P"/></Labels></View>"#,
        )
        .unwrap();
        let keys: Vec<_> = c
            .controls
            .iter()
            .flat_map(|c| c.labels.iter().map(|l| l.hotkey.clone().unwrap()))
            .collect();
        assert_eq!(keys, vec!["2", "1", "3", "4"]);
    }
}
