//! Distribution names as PyPA defines them: PEP 503 normalisation (the comparison key) and PEP 508
//! validity (anything else is refused before it can reach an installer's argv).

// TODO(core-a): replace with `package_map::normalize` / `is_valid_distribution_name` at merge.
/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub(crate) fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

/// PEP 508 name: ASCII letters/digits, with `.`, `_`, `-` inside (not at the ends).
pub(crate) fn pep508_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && b.len() <= 200
        && b.first().is_some_and(edge)
        && b.last().is_some_and(edge)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_as_pep_503_says() {
        assert_eq!(pep503_normalize("PyYAML"), "pyyaml");
        assert_eq!(pep503_normalize("Foo.._-Bar"), "foo-bar");
        assert_eq!(pep503_normalize("zope.interface"), "zope-interface");
    }

    #[test]
    fn only_pep_508_names_are_valid() {
        for ok in ["a", "PyYAML", "zope.interface", "typing_extensions", "x-1"] {
            assert!(pep508_valid_name(ok), "{ok}");
        }
        for bad in ["", "-x", "x-", "x; rm -rf ~", "../x", "x y", "é", "x==1"] {
            assert!(!pep508_valid_name(bad), "{bad}");
        }
    }
}
