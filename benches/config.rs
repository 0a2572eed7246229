//! Label config parsing benchmark: one Choices control with N choices, on separate lines
//! and all on one line (columns are counted from the line start). Every command parses
//! the config, so this must stay linear. `cargo bench --bench config -- 10000 100000`
//! (default: 10000 100000 1000000).

mod common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use labelterm::config::LabelConfig;
use std::time::Instant;

fn config(n: usize, sep: &str) -> String {
    let mut s =
        String::from(r#"<View><Text name="text" value="$text"/><Choices name="c" toName="text">"#);
    for i in 0..n {
        s.push_str(sep);
        s.push_str(&format!(r#"<Choice value="c{i}"/>"#));
    }
    s.push_str("</Choices></View>");
    s
}

fn main() {
    for n in common::sizes(&[10_000, 100_000, 1_000_000]) {
        for (layout, sep) in [("lines", "\n  "), ("one line", "")] {
            let text = config(n, sep);
            let start = Instant::now();
            let c = LabelConfig::parse(&text).expect("config parses");
            let secs = start.elapsed().as_secs_f64();
            assert_eq!(c.controls[0].labels.len(), n);
            println!(
                "parse {n:>9} choices ({layout:<8}) {:>6.1} MB  {secs:>7.3} s",
                text.len() as f64 / 1e6
            );
        }
    }
}
