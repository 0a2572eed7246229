//! The annotator's layout against label configs that push it: many panes, thousands of
//! controls and labels, huge ranges, long and wide names, deep nesting, tiny terminals.
//! Every config is built here in code; each is drawn into ratatui's TestBackend.

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// A frame takes a few milliseconds even in a debug build on a busy machine; a layout
/// whose cost grows with a number in the config takes far longer.
const FRAME_BUDGET: Duration = Duration::from_millis(1000);

/// Sizes whose frames show the panes; at `SMALL` only the markers are asserted.
const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];
const SMALL: (u16, u16) = (30, 8);
const TINY: [(u16, u16); 6] = [(1, 1), (0, 0), (200, 0), (20, 4), (19, 40), (100, 3)];

/// Runs a test body on its own thread and fails if it does not finish in time, so that a
/// hanging layout fails the test instead of hanging the run.
fn within<T: Send + 'static>(secs: u64, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(body());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(RecvTimeoutError::Timeout) => panic!("did not finish within {secs} s"),
        Err(RecvTimeoutError::Disconnected) => panic!("the test body panicked (see above)"),
    }
}

/// One frame, which must come within the budget.
fn draw(d: &mut Driver, w: u16, h: u16) -> String {
    let (s, took) = d.frame(w, h);
    assert!(took < FRAME_BUDGET, "a {w}x{h} frame took {took:?}:\n{s}");
    s
}

fn tiny_sizes_draw(d: &mut Driver) {
    for (w, h) in TINY {
        draw(d, w, h);
    }
}

/// `<Repeater>` over 100 items, each a heading, a Text and its Choices.
fn repeater_100() -> Fixture {
    let items: Vec<Value> = (0..100)
        .map(|i| json!({"text": format!("text #{i} end")}))
        .collect();
    project(
        r#"<View><Repeater on="$items" indexFlag="{{idx}}">
          <Header value="Item {{idx}}:"/>
          <Text name="text_{{idx}}" value="$items[{{idx}}].text"/>
          <Choices name="choice_{{idx}}" toName="text_{{idx}}"><Choice value="yes"/><Choice value="no"/></Choices>
        </Repeater></View>"#,
        &json!([{ "items": items }]).to_string(),
    )
}

/// 32 plain Text tags and nothing else.
fn texts_32() -> Fixture {
    let config: String = (0..32)
        .map(|i| format!(r#"<Text name="t{i}" value="$t{i}"/>"#))
        .collect();
    let task: serde_json::Map<String, Value> = (0..32)
        .map(|i| (format!("t{i}"), json!(format!("body of text {i}."))))
        .collect();
    project(
        &format!("<View>{config}</View>"),
        &json!([Value::Object(task)]).to_string(),
    )
}

fn huge_rating() -> Fixture {
    project(
        r#"<View><Text name="t" value="$text"/><Rating name="r" toName="t" maxRating="1000000000"/></View>"#,
        r#"[{"text": "rate this"}]"#,
    )
}

fn choices_10k() -> Fixture {
    let choices: String = (0..10_000)
        .map(|i| format!(r#"<Choice value="option {i}"/>"#))
        .collect();
    project(
        &format!(
            r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t" choice="multiple">{choices}</Choices></View>"#
        ),
        r#"[{"text": "pick some"}]"#,
    )
}

/// One Text and 1,000 controls of every panel kind.
fn controls_1000() -> Fixture {
    let controls: String = (0..1000)
        .map(|i| match i % 5 {
            0 => format!(
                r#"<Choices name="c{i}" toName="t"><Choice value="a{i}"/><Choice value="b{i}"/></Choices>"#
            ),
            1 => format!(r#"<Rating name="c{i}" toName="t"/>"#),
            2 => format!(r#"<Number name="c{i}" toName="t"/>"#),
            3 => format!(r#"<TextArea name="c{i}" toName="t"/>"#),
            _ => format!(r#"<DateTime name="c{i}" toName="t"/>"#),
        })
        .collect();
    project(
        &format!(r#"<View><Text name="t" value="$text"/>{controls}</View>"#),
        r#"[{"text": "many questions"}]"#,
    )
}

#[test]
fn repeater_of_100_panes_scrolls_to_the_focused_pane() {
    within(120, || {
        let f = repeater_100();
        let mut d = open(&f, ".");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("text #0 end"), "{w}x{h}:\n{s}");
            assert!(s.contains("pane 1/100"), "{w}x{h}:\n{s}");
            assert!(s.contains("more below"), "{w}x{h}:\n{s}");
            assert!(!s.contains("text #99 end"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("1/100"), "{s}");
        d.keys("J J J");
        let s = draw(&mut d, 120, 40);
        assert!(s.contains("pane 4/100"), "{s}");
        assert!(s.contains("Item 3:") && s.contains("text #3 end"), "{s}");
        // From the first pane, K wraps around to the last.
        d.keys("K K K K");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("text #99 end"), "{w}x{h}:\n{s}");
            assert!(s.contains("Item 99:"), "{w}x{h}: with its heading:\n{s}");
            assert!(s.contains("pane 100/100"), "{w}x{h}:\n{s}");
            assert!(s.contains("more above"), "{w}x{h}:\n{s}");
            assert!(
                s.contains("choice_99"),
                "{w}x{h}: its control is shown:\n{s}"
            );
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("100/100"), "{s}");
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn thirty_two_texts_draw_and_scroll() {
    within(120, || {
        let f = texts_32();
        let mut d = open(&f, ".");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("body of text 0."), "{w}x{h}:\n{s}");
            assert!(s.contains("pane 1/32"), "{w}x{h}:\n{s}");
            assert!(s.contains("more below"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("1/32"), "{s}");
        d.keys("K");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("body of text 31."), "{w}x{h}:\n{s}");
            assert!(s.contains("pane 32/32"), "{w}x{h}:\n{s}");
            assert!(s.contains("more above"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("32/32"), "{s}");
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn huge_rating_draws_only_the_stars_that_fit() {
    within(120, || {
        let f = huge_rating();
        let mut d = open(&f, ".");
        d.keys("l l l l l l l");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("★★★★★★★"), "{w}x{h}:\n{s}");
            assert!(s.contains("… 7/1000000000"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("★…"), "{s}");
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn ten_thousand_choices_draw_a_window_around_the_cursor() {
    within(120, || {
        let f = choices_10k();
        let mut d = open(&f, ".");
        for (w, h) in SIZES.into_iter().chain([SMALL]) {
            let s = draw(&mut d, w, h);
            assert!(s.contains("option 0"), "{w}x{h}:\n{s}");
            assert!(s.contains("more below"), "{w}x{h}:\n{s}");
        }
        d.keys(&["j"; 40].join(" "));
        d.keys("space");
        assert_eq!(d.result()[0]["value"]["choices"], json!(["option 40"]));
        for (w, h) in SIZES.into_iter().chain([SMALL]) {
            let s = draw(&mut d, w, h);
            assert!(s.contains("[x] option 40"), "{w}x{h}:\n{s}");
            assert!(s.contains("more above"), "{w}x{h}:\n{s}");
        }
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn thousand_controls_scroll_in_the_side_panel() {
    within(120, || {
        let f = controls_1000();
        let mut d = open(&f, ".");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("c0 (Choices"), "{w}x{h}:\n{s}");
            assert!(s.contains("panel 1/1000"), "{w}x{h}:\n{s}");
            assert!(s.contains("more below"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("1/1000"), "{s}");
        d.keys("K");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("c999 (DateTime)"), "{w}x{h}:\n{s}");
            assert!(s.contains("panel 1000/1000"), "{w}x{h}:\n{s}");
            assert!(s.contains("more above"), "{w}x{h}:\n{s}");
        }
        let s = draw(&mut d, SMALL.0, SMALL.1);
        assert!(s.contains("1000/1000"), "{s}");
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn taxonomy_of_10000_choices_opens_its_picker() {
    within(120, || {
        // 100 groups of 99 leaves: the picker works out which rows have children.
        let tree: String = (0..100)
            .map(|g| {
                let leaves: String = (0..99)
                    .map(|l| format!(r#"<Choice value="leaf {g}.{l}"/>"#))
                    .collect();
                format!(r#"<Choice value="group {g}">{leaves}</Choice>"#)
            })
            .collect();
        let f = project(
            &format!(
                r#"<View><Text name="t" value="$text"/><Taxonomy name="tx" toName="t">{tree}</Taxonomy></View>"#
            ),
            r#"[{"text": "sort me"}]"#,
        );
        let mut d = open(&f, ".");
        d.keys("enter");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            assert!(s.contains("▸ [ ] group 0"), "{w}x{h}:\n{s}");
        }
        d.keys("l j space");
        let s = draw(&mut d, 120, 40);
        assert!(s.contains("[x] leaf 0.0"), "{s}");
        tiny_sizes_draw(&mut d);
    });
}

#[test]
fn configs_with_only_controls_or_only_objects_use_the_whole_screen() {
    within(120, || {
        // Controls that point at each other: no object pane at all.
        let controls: String = (0..5)
            .map(|i| {
                format!(
                    r#"<Choices name="q{i}" toName="q0"><Choice value="answer {i}"/></Choices>"#
                )
            })
            .collect();
        let f = project(&format!("<View>{controls}</View>"), r#"[{"text": "x"}]"#);
        let mut d = open(&f, ".");
        for (w, h) in SIZES {
            let s = draw(&mut d, w, h);
            for i in 0..5 {
                assert!(s.contains(&format!("answer {i}")), "{w}x{h}:\n{s}");
            }
            assert!(!s.contains("more below"), "{w}x{h}:\n{s}");
        }
        tiny_sizes_draw(&mut d);
        // Objects only: the panes take the full width.
        let f = texts_32();
        let mut d = open(&f, ".");
        let s = draw(&mut d, 120, 40);
        let top = s.lines().next().unwrap();
        assert!(top.starts_with("┌ t0 (Text)") && top.ends_with('┐'), "{s}");
        // Nothing at all.
        let f = project("<View></View>", r#"[{"text": "x"}]"#);
        let mut d = open(&f, ".");
        for (w, h) in SIZES {
            draw(&mut d, w, h);
        }
        tiny_sizes_draw(&mut d);
    });
}

// ----------------------------------------------------------------- generated configs

/// xorshift: the same configs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    /// Mostly small, sometimes very large.
    fn count(&mut self, small: u64, large: u64) -> u64 {
        if self.below(5) == 0 {
            self.below(large)
        } else {
            self.below(small)
        }
    }
}

fn word(r: &mut Rng) -> String {
    let base = r.pick(&["a", "名前", "🙂🙃", "ｗｉｄｅ", "e\u{301}", "x y", "ﷺ"]);
    match r.below(6) {
        0 => base.repeat(1 + r.below(400) as usize),
        _ => base.repeat(1 + r.below(4) as usize),
    }
}

/// A config and a matching task: nested Views, many objects of several kinds, controls
/// with many labels, huge ranges, long and wide names.
fn hostile(r: &mut Rng) -> (String, Value) {
    let mut cfg = String::new();
    let mut data = serde_json::Map::new();
    let depth = r.count(4, 150);
    for _ in 0..depth {
        cfg.push_str("<View>");
    }
    let n_obj = 1 + r.count(4, 120);
    let mut texts = Vec::new();
    let mut images = Vec::new();
    let mut all = Vec::new();
    for i in 0..n_obj {
        let name = format!("o{i}{}", word(r));
        let key = format!("d{i}");
        match r.below(7) {
            0 | 1 => {
                cfg.push_str(&format!(r#"<Text name="{name}" value="${key}"/>"#));
                data.insert(key, json!(word(r).repeat(1 + r.below(50) as usize)));
                texts.push(name.clone());
            }
            2 => {
                cfg.push_str(&format!(r#"<HyperText name="{name}" value="${key}"/>"#));
                data.insert(key, json!(format!("<p>{}</p>", word(r))));
                texts.push(name.clone());
            }
            3 => {
                cfg.push_str(&format!(r#"<Image name="{name}" value="${key}"/>"#));
                data.insert(key, json!(format!("missing/{i}.png")));
                images.push(name.clone());
            }
            4 => {
                cfg.push_str(&format!(r#"<Table name="{name}" value="${key}"/>"#));
                let rows: serde_json::Map<String, Value> = (0..r.count(5, 500))
                    .map(|j| (format!("k{j}"), json!(word(r))))
                    .collect();
                data.insert(key, Value::Object(rows));
            }
            5 => {
                cfg.push_str(&format!(r#"<Audio name="{name}" value="${key}"/>"#));
                data.insert(key, json!("missing.wav"));
            }
            _ => {
                let lines = "line\n".repeat(r.count(3, 400) as usize);
                cfg.push_str(&format!(r#"<Header value="{} {lines}"/>"#, word(r)));
                continue;
            }
        }
        all.push(name);
    }
    if all.is_empty() {
        cfg.push_str(r#"<Text name="only" value="$only"/>"#);
        data.insert("only".into(), json!(word(r)));
        all.push("only".into());
    }
    let n_ctrl = r.count(5, 400);
    for i in 0..n_ctrl {
        let to = all[r.below(all.len() as u64) as usize].clone();
        let name = format!("c{i}{}", word(r));
        let labels = |r: &mut Rng, tag: &str| -> String {
            (0..1 + r.count(6, 1500))
                .map(|j| format!(r#"<{tag} value="{j} {}"/>"#, word(r)))
                .collect()
        };
        let c = match r.below(8) {
            0 => format!(
                r#"<Choices name="{name}" toName="{to}" choice="{}">{}</Choices>"#,
                r.pick(&["single", "multiple", "single-radio"]),
                labels(r, "Choice")
            ),
            1 if !texts.is_empty() => {
                let to = texts[r.below(texts.len() as u64) as usize].clone();
                format!(
                    r#"<Labels name="{name}" toName="{to}">{}</Labels>"#,
                    labels(r, "Label")
                )
            }
            2 if !images.is_empty() => {
                let to = images[r.below(images.len() as u64) as usize].clone();
                format!(
                    r#"<RectangleLabels name="{name}" toName="{to}">{}</RectangleLabels>"#,
                    labels(r, "Label")
                )
            }
            3 => format!(
                r#"<Rating name="{name}" toName="{to}" maxRating="{}"/>"#,
                r.pick(&["1", "5", "100", "1000000000", "4294967295", "0"])
            ),
            4 => format!(
                r#"<Number name="{name}" toName="{to}" min="{}" max="{}" step="{}"/>"#,
                r.pick(&["-1e308", "0", "-9007199254740993"]),
                r.pick(&["1e308", "10", "9007199254740993"]),
                r.pick(&["1", "0.000001", "1e300"])
            ),
            5 => format!(
                r#"<TextArea name="{name}" toName="{to}" maxSubmissions="{}"/>"#,
                r.below(1000)
            ),
            6 => format!(
                r#"<Taxonomy name="{name}" toName="{to}"><Choice value="{}">{}</Choice></Taxonomy>"#,
                word(r),
                labels(r, "Choice")
            ),
            _ => format!(r#"<DateTime name="{name}" toName="{to}"/>"#),
        };
        cfg.push_str(&c);
    }
    for _ in 0..depth {
        cfg.push_str("</View>");
    }
    (format!("<View>{cfg}</View>"), Value::Object(data))
}

#[test]
fn generated_hostile_configs_draw_at_every_size() {
    within(900, || {
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let sizes = [
            (120, 40),
            (80, 24),
            (100, 30),
            (30, 8),
            (20, 4),
            (1, 1),
            (300, 0),
        ];
        for case in 0..40 {
            let (cfg, task) = hostile(&mut r);
            let f = project(&cfg, &json!([task]).to_string());
            let mut d = open(&f, ".");
            for keys in [
                "",
                "J",
                "J J j j space",
                "K K l l l",
                "enter esc K",
                "tab j",
            ] {
                d.keys(keys);
                for (w, h) in sizes {
                    let (s, took) = d.frame(w, h);
                    assert!(
                        took < FRAME_BUDGET,
                        "case {case} {w}x{h} after {keys:?}: {took:?}\n{cfg:.2000}\n{s}"
                    );
                }
            }
        }
    });
}
