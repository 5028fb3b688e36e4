//! The requirements files the policy trusts: real-world tricky files on disk, and the PEP 440 subset.

// Test helpers outside #[test] fns unwrap too: a failed fixture set-up should fail the test loudly.
#![allow(clippy::unwrap_used)]

use healing_core::requirements::{
    RequirementsError, parse_file, parse_file_with_warnings, version_satisfies,
};
use std::fs;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_tricky_file_yields_exactly_the_installable_requirements() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "requirements.txt",
        "\
# production deps
--index-url https://pypi.example/simple
-i https://mirror.example/simple
--extra-index-url=https://extra.example/simple

PyYAML==6.0.1 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
requests[socks]>=2.31,<3   # inline comment
numpy ; python_version >= \"3.9\"
zope.interface~=6.0
Django (>=4.2, <5)
-e git+https://github.com/x/y.git#egg=y
https://files.example/pkg-1.0.tar.gz
./local/pkg
mypkg @ https://files.example/mypkg-1.0.whl
not a valid line!!
-r sub/extra.txt
\r
",
    );
    write(
        dir.path(),
        "sub/extra.txt",
        "redis==5.0.1\r\n-r ../requirements.txt\n",
    );
    let (reqs, warnings) = parse_file_with_warnings(&main).unwrap();

    let got: Vec<(&str, &str, Option<&str>)> = reqs
        .iter()
        .map(|r| (r.name.as_str(), r.specifier.as_str(), r.pinned.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("PyYAML", "==6.0.1", Some("6.0.1")),
            ("requests", ">=2.31,<3", None),
            ("numpy", "", None),
            ("zope.interface", "~=6.0", None),
            ("Django", ">=4.2,<5", None),
            ("redis", "==5.0.1", Some("5.0.1")),
        ]
    );
    assert_eq!(reqs[0].line, 6);
    assert_eq!(reqs[2].marker.as_deref(), Some("python_version >= \"3.9\""));
    assert_eq!(reqs[3].normalized, "zope-interface");
    assert!(reqs[5].source.ends_with("sub/extra.txt"));

    // Every skipped line is reported with its file and line: -e, URL, path and direct reference are
    // skipped; the invalid line and the include cycle back are reported apart. The three index options
    // are no longer dropped: they go to the installer (tests/install_options.rs).
    let skipped = warnings
        .iter()
        .filter(|w| matches!(w, RequirementsError::Skipped { .. }))
        .count();
    assert_eq!(skipped, 4, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, RequirementsError::Invalid { line: 17, .. }))
    );
    assert!(
        warnings
            .iter()
            .any(|w| matches!(w, RequirementsError::Include { line: 2, .. }))
    );
}

#[test]
fn a_missing_include_is_a_warning_and_a_missing_file_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "req.txt", "--requirement=gone.txt\nflask\n");
    let (reqs, warnings) = parse_file_with_warnings(&main).unwrap();
    assert_eq!(reqs.len(), 1);
    assert!(
        matches!(&warnings[0], RequirementsError::Io { path, .. } if path.ends_with("gone.txt"))
    );
    let err = parse_file(&dir.path().join("absent.txt")).unwrap_err();
    assert!(err.to_string().contains("absent.txt"), "{err}");
}

#[test]
fn a_self_including_file_terminates() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "loop.txt",
        "-r loop.txt\nattrs\n-r ./loop.txt\n",
    );
    let reqs = parse_file(&main).unwrap();
    assert_eq!(reqs.len(), 1);
}

#[test]
fn hostile_input_is_bounded_and_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let junk: String = (0..20_000)
        .map(|i| match i % 7 {
            0 => "[[[[\n",
            1 => "\\\n",
            2 => "x===(\n",
            3 => "é==1\n",
            4 => ";;;;\n",
            5 => "a[b\n",
            _ => "-r\n",
        })
        .collect();
    let path = write(dir.path(), "junk.txt", &junk);
    let (reqs, _) = parse_file_with_warnings(&path).unwrap();
    assert!(reqs.len() < 20_000);
    let huge = dir.path().join("huge.txt");
    fs::write(&huge, vec![b'a'; 5 * 1024 * 1024]).unwrap();
    assert!(matches!(
        parse_file(&huge),
        Err(RequirementsError::TooLarge { .. })
    ));
}

#[test]
fn version_specifiers_follow_pep_440() {
    let cases: &[(&str, &str, Option<bool>)] = &[
        ("6.0.1", "==6.0.1", Some(true)),
        ("6.0.1", "==6.0", Some(false)),
        ("6.0", "==6.0.0", Some(true)),
        ("1.2.7", "==1.2.*", Some(true)),
        ("1.3", "==1.2.*", Some(false)),
        ("1.3", "!=1.2.*", Some(true)),
        ("2.31.0", ">=2.31,<3", Some(true)),
        ("3.0", ">=2.31,<3", Some(false)),
        ("3.0rc1", "<3", Some(false)),
        ("3.0rc1", "<3.0rc2", Some(true)),
        ("1.0.post1", ">1.0", Some(false)),
        ("1.0.post1", ">=1.0", Some(true)),
        ("1.1", ">1.0", Some(true)),
        ("1.4.5", "~=1.4.2", Some(true)),
        ("1.5.0", "~=1.4.2", Some(false)),
        ("2.9", "~=2.2", Some(true)),
        ("3.0", "~=2.2", Some(false)),
        ("1.0", "~=1", None),
        ("1.0", "<=1.0", Some(true)),
        ("1.0", "!=1.0", Some(false)),
        ("1.0.dev0", "<1.0", Some(false)),
        ("1.0", "", Some(true)),
        ("1.0+local", ">=0.1", None),
        ("weird", "==1.0", None),
        ("1.0", "=>1.0", None),
        ("1.0", "==1.0a1.*", None),
        // A definite "no" wins over a clause it cannot evaluate.
        ("1.0", "<0.5,~=1", Some(false)),
        ("2!1.0", ">=5.0", Some(true)),
        ("1.0", "===1.0", Some(true)),
    ];
    for (version, spec, want) in cases {
        assert_eq!(version_satisfies(version, spec), *want, "{version} {spec}");
    }
}
