//! The options a requirements file gives the installer: where packages come from (`--index-url`,
//! `--extra-index-url`, `--find-links`, `--no-index`), what constrains them (`-c`), and whether they are
//! hash-pinned (`--hash`, `--require-hashes`).
//!
//! Dropping them and installing the bare name from the public index is dependency confusion: a private
//! package name registered on PyPI by somebody else gets installed instead. So they are kept, exactly
//! as the file has them (paths made absolute against the file's directory), and an option that cannot
//! be honoured is recorded so that installs are refused with the reason instead.

use std::path::Path;

/// What the installer must be told for requirements from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallOptions {
    /// Global options as argv elements, in file order (`["--index-url", "https://…", "-c", "/abs/c.txt"]`).
    pub args: Vec<String>,
    /// Some requirement carries `--hash` (or the file says `--require-hashes`): install only with
    /// hash checking, from the file itself.
    pub hashed: bool,
    /// Options that cannot be passed on (`file:line: option`); installs from this file are refused.
    pub unsupported: Vec<String>,
}

/// Options that take a value, with their short forms; values naming files are made absolute.
const WITH_VALUE: &[(&str, Option<&str>, bool)] = &[
    ("--index-url", Some("-i"), false),
    ("--extra-index-url", None, false),
    ("--find-links", Some("-f"), true),
    ("--constraint", Some("-c"), true),
    ("--trusted-host", None, false),
    ("--only-binary", None, false),
    ("--no-binary", None, false),
];
/// Options without a value that are passed on as they are.
const FLAGS: &[&str] = &["--no-index", "--pre", "--prefer-binary"];

impl InstallOptions {
    /// Records one option line `text` (already stripped of comments) of the file `source`.
    pub(crate) fn add_line(&mut self, text: &str, source: &Path, line: usize) {
        let (word, inline_value) = split_option(text);
        if word == "--require-hashes" {
            self.hashed = true;
            return;
        }
        if FLAGS.contains(&word) {
            self.args.push(word.to_string());
            return;
        }
        let known = WITH_VALUE
            .iter()
            .find(|(long, short, _)| word == *long || Some(word) == *short);
        let Some((long, _, is_path)) = known else {
            self.unsupported
                .push(format!("{}:{line}: `{word}`", source.display()));
            return;
        };
        let Some(value) = inline_value.filter(|v| !v.is_empty()) else {
            self.unsupported.push(format!(
                "{}:{line}: `{word}` without a value",
                source.display()
            ));
            return;
        };
        let value = if *is_path && !value.contains("://") && !Path::new(value).is_absolute() {
            let base = source.parent().unwrap_or(Path::new(""));
            base.join(value).display().to_string()
        } else {
            value.to_string()
        };
        self.args.push((*long).to_string());
        self.args.push(value);
    }
}

/// `--opt=value`, `--opt value`, `-i value` or `-ivalue` → (option, value).
fn split_option(text: &str) -> (&str, Option<&str>) {
    let text = text.trim();
    if let Some((word, value)) = text.split_once('=')
        && word.starts_with("--")
        && !word.contains(char::is_whitespace)
    {
        return (word, Some(value.trim()));
    }
    match text.split_once(char::is_whitespace) {
        Some((word, value)) => (word, Some(value.trim())),
        None if !text.starts_with("--") && text.len() > 2 => (&text[..2], Some(&text[2..])),
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_kept_in_file_order_with_paths_made_absolute() {
        let mut o = InstallOptions::default();
        let src = Path::new("/srv/app/requirements.txt");
        for (i, line) in [
            "--index-url https://pypi.internal/simple",
            "--extra-index-url=https://mirror/simple",
            "-f wheels",
            "-c constraints.txt",
            "--no-index",
        ]
        .iter()
        .enumerate()
        {
            o.add_line(line, src, i + 1);
        }
        assert_eq!(
            o.args,
            [
                "--index-url",
                "https://pypi.internal/simple",
                "--extra-index-url",
                "https://mirror/simple",
                "--find-links",
                "/srv/app/wheels",
                "--constraint",
                "/srv/app/constraints.txt",
                "--no-index"
            ]
        );
        assert!(o.unsupported.is_empty() && !o.hashed);
        o.add_line("--use-feature=truststore", src, 9);
        o.add_line("-e .", src, 10);
        assert_eq!(o.unsupported.len(), 2, "{:?}", o.unsupported);
    }
}
