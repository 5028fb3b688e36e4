//! Key paths (`agents[1].command`) and their place in the source file.
//!
//! Every problem names the key it is about, and — when the key was written in the file — its line and
//! column. Serde reports paths relative to what it was deserializing; this module turns them into paths
//! from the document root and looks them up in the span-carrying parse tree.

use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document root, printed the way users write it: `recovery.services[0].url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a key.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_owned()));
        Self(segs)
    }

    /// This path extended by an array index.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Self(segs)
    }

    /// This path extended by a relative path.
    pub(crate) fn join(&self, rel: &KeyPath) -> Self {
        let mut segs = self.0.clone();
        segs.extend(rel.0.iter().cloned());
        Self(segs)
    }

    /// The path of a serde error inside one deserialized value.
    pub(crate) fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        Self(
            path.iter()
                .filter_map(|seg| match seg {
                    Segment::Seq { index } => Some(Seg::Index(*index)),
                    Segment::Map { key } => Some(Seg::Key(key.clone())),
                    Segment::Enum { .. } | Segment::Unknown => None,
                })
                .collect(),
        )
    }

    /// The path of a key serde ignored (an unknown key).
    pub(crate) fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        use serde_ignored::Path;
        fn walk(path: &Path<'_>, out: &mut Vec<Seg>) {
            match path {
                Path::Root => {}
                Path::Seq { parent, index } => {
                    walk(parent, out);
                    out.push(Seg::Index(*index));
                }
                Path::Map { parent, key } => {
                    walk(parent, out);
                    out.push(Seg::Key(key.clone()));
                }
                Path::Some { parent }
                | Path::NewtypeStruct { parent }
                | Path::NewtypeVariant { parent } => walk(parent, out),
            }
        }
        let mut segs = Vec::new();
        walk(path, &mut segs);
        Self(segs)
    }

    /// Where this path is written in the file: the key itself for a `key = value`, the element for an
    /// array index. A path that is not in the file (a default value) falls back to its nearest written
    /// ancestor, so a "missing key" problem points at the table that lacks it; `exact` says which.
    pub(crate) fn locate(&self, root: &Spanned<DeTable<'_>>) -> Option<(Range<usize>, bool)> {
        let mut best = None;
        let mut found = 0;
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
        for seg in &self.0 {
            let value = match seg {
                Seg::Key(k) => {
                    let Some((key, value)) = table.and_then(|t| t.get_key_value(k.as_str())) else {
                        break;
                    };
                    best = Some(key.span());
                    value
                }
                Seg::Index(i) => {
                    let Some(value) = array.and_then(|a| a.get(*i)) else {
                        break;
                    };
                    best = Some(value.span());
                    value
                }
            };
            table = value.get_ref().as_table();
            array = value.get_ref().as_array().map(|a| &a[..]);
            found += 1;
        }
        best.map(|span| (span, found == self.0.len()))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_the_way_users_write_them() {
        let path = KeyPath::root()
            .key("recovery")
            .key("services")
            .index(2)
            .key("url");
        assert_eq!(path.to_string(), "recovery.services[2].url");
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(line_col(src, 12), (2, 6));
        assert_eq!(line_col(src, 10_000), (3, 1));
    }

    #[test]
    fn a_path_is_located_at_its_key_or_nearest_written_ancestor() {
        let src = "[restart]\nmultiplier = 2.0\n\n[[agents]]\nname = \"a\"\n";
        let root = DeTable::parse(src).unwrap();
        let at = |p: KeyPath| p.locate(&root).map(|(r, _)| line_col(src, r.start));
        assert_eq!(
            at(KeyPath::root().key("restart").key("multiplier")),
            Some((2, 1))
        );
        assert_eq!(
            at(KeyPath::root().key("agents").index(0).key("name")),
            Some((5, 1))
        );
        assert_eq!(
            at(KeyPath::root().key("restart").key("jitter")),
            Some((1, 2))
        );
        assert_eq!(at(KeyPath::root().key("breaker")), None);
    }
}
