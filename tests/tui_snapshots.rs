//! Screens drawn into ratatui's TestBackend, one snapshot per object and control type and
//! per screen (review changes with `cargo insta review`, or `INSTA_UPDATE=always`).

#[path = "annotator/mod.rs"]
mod common;

use common::*;
use insta::assert_snapshot;

#[test]
fn text_choices_header_sentiment() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.keys("2");
    assert_snapshot!(d.screen(100, 24));
}

#[test]
fn small_terminal_80x24() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    assert_snapshot!(d.screen(80, 24));
}

#[test]
fn text_spans_and_prediction_regions_ner() {
    let f = sample_project("ner");
    let mut d = open(&f, ".");
    d.keys("v w 1");
    assert_snapshot!(d.screen(100, 20));
}

#[test]
fn image_with_boxes_and_predictions() {
    let f = sample_project("image_bbox");
    let mut d = open(&f, "samples/image_bbox");
    d.screen(100, 30);
    d.keys("v L L J J 1");
    assert_snapshot!(d.screen(100, 30));
}

#[test]
fn missing_image_placeholder() {
    let f = project(
        r#"<View><Image name="img" value="$image"/><RectangleLabels name="b" toName="img"><Label value="Cat"/></RectangleLabels></View>"#,
        r#"[{"image": "no/such/picture.png"}, {"image": "/data/upload/3/x.png"}]"#,
    );
    let mut d = open(&f, "samples");
    let a = d.screen(80, 16);
    d.keys("]");
    let b = d.screen(80, 16);
    assert_snapshot!(format!("{a}\n{b}"));
}

#[test]
fn audio_and_textarea() {
    let f = sample_project("audio_transcription");
    let mut d = open(&f, "samples/audio_transcription");
    d.keys("enter");
    d.type_text("Guten Morgen");
    let editing = d.screen(90, 20);
    d.keys("enter");
    assert_snapshot!(format!("{editing}\n{}", d.screen(90, 20)));
}

#[test]
fn paragraphs_dialogue() {
    let f = sample_project("dialogue");
    let mut d = open(&f, ".");
    d.keys("j w 2");
    assert_snapshot!(d.screen(100, 22));
}

#[test]
fn multi_controls_taxonomy_rating_number() {
    let f = sample_project("multi_control");
    let mut d = open(&f, ".");
    d.keys("o J enter l");
    let picker = d.screen(100, 30);
    d.keys("j space esc J l l l J enter");
    d.type_text("2");
    d.keys("enter");
    assert_snapshot!(format!("{picker}\n{}", d.screen(100, 30)));
}

#[test]
fn timeseries_chart() {
    let f = sample_project("timeseries");
    let mut d = open(&f, ".");
    assert_snapshot!(d.screen(100, 24));
}

#[test]
fn hypertext_table_and_header_object() {
    let f = project(
        r#"<View><Header name="title" value="$title"/><HyperText name="h" value="$html"/>
        <Labels name="l" toName="h"><Label value="Name" background="orange"/></Labels>
        <Table name="meta" value="$meta"/><Choices name="ok" toName="h"><Choice value="Fine"/></Choices></View>"#,
        r#"[{"title": "Page 1", "html": "<h1>Hi &amp; welcome</h1><p>Meet <b>Ada</b> here.</p>", "meta": {"source": "web", "lang": "en"}}]"#,
    );
    let mut d = open(&f, ".");
    d.keys("w w w 1");
    assert_snapshot!(d.screen(100, 24));
}

#[test]
fn task_list_screen() {
    let f = sample_project("ner");
    let mut d = open(&f, ".");
    d.keys("1 s S t");
    assert_snapshot!(d.screen(100, 14));
}

#[test]
fn help_screen() {
    let f = sample_project("sentiment");
    let mut d = open(&f, ".");
    d.keys("?");
    assert_snapshot!(d.screen(100, 40));
}

#[test]
fn diff_view() {
    let f = sample_project("ner");
    let mut d = open(&f, ".");
    d.keys("A tab 4 D");
    assert_snapshot!(d.screen(100, 20));
}

#[test]
fn escape_sequences_in_task_data_are_not_drawn() {
    let f = project(
        r#"<View><Text name="t" value="$text"/><Choices name="c" toName="t"><Choice value="ok"/></Choices></View>"#,
        r#"[{"text": "evil \u001b]0;pwned\u0007 \u001b[2J text \u202e reversed"}]"#,
    );
    let mut d = open(&f, ".");
    let s = d.screen(80, 12);
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}') && !s.contains('\u{202e}'));
    assert_snapshot!(s);
}

#[test]
fn no_color_mode_draws_without_colours() {
    let f = sample_project("image_bbox");
    let mut d = open_with(&f, "samples/image_bbox", "ann", true);
    let s = d.screen(80, 24);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    term.draw(|fr| {
        labelterm::tui::view::draw(fr, &d.s.app);
    })
    .unwrap();
    for c in term.backend().buffer().content() {
        assert_eq!(
            c.fg,
            ratatui::style::Color::Reset,
            "no colour at all under NO_COLOR"
        );
        assert_eq!(c.bg, ratatui::style::Color::Reset);
    }
    assert_snapshot!(s);
}
