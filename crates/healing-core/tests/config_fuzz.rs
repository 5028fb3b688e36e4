//! Hostile or garbled config text gets problems back, never a panic.

mod config_support;

use config_support::no_env;
use healing_core::config_load::load_from_str;
use proptest::prelude::*;
use std::path::Path;

const VALID: &str = include_str!("fixtures/config/relative_paths.toml");

fn load(src: &str) {
    let _ = load_from_str(src, None, Path::new("/srv"), &no_env).map(|l| l.effective_toml());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(src in ".{0,300}") {
        load(&src);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        load(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn toml_shaped_noise_never_panics(src in r#"(\[{1,2}[a-z_.]{1,12}\]{1,2}\n|[a-z_]{1,12} = ("[a-z0-9 :/.]{0,12}"|[0-9.e+-]{1,6}|true|\[\]|\{\})\n|[\[\]{}=",.#\n ]){0,40}"#) {
        load(&src);
    }

    #[test]
    fn a_valid_config_with_one_edit_never_panics(pos in 0usize..400, cut in 0usize..40, insert in ".{0,8}") {
        let mut src = VALID.to_string();
        let mut at = pos.min(src.len());
        while !src.is_char_boundary(at) { at -= 1; }
        let mut end = (at + cut).min(src.len());
        while !src.is_char_boundary(end) { end -= 1; }
        src.replace_range(at..end, &insert);
        load(&src);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    load(&format!("a = {}", "[".repeat(100_000)));
    load(&format!("a = {}", "{b=".repeat(100_000)));
    load(&format!("{}b = 1", "a.".repeat(100_000)));
    load(&format!("[agents]\n{}", "x = 1\n".repeat(20_000)));
}
