//! `scan --summary`: one row per fingerprint instead of one JSON object per incident — the "what keeps
//! going wrong here?" view. Memory is bounded by [`MAX_GROUPS`] whatever the size of the logs.

use healing_core::fingerprint;
use healing_core::incident::Incident;
use healing_core::kind::ErrorKind;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

/// Distinct fingerprints kept; later new ones are only counted (and said so under the table).
pub const MAX_GROUPS: usize = 10_000;
/// Characters of the masked message shown per row.
const MESSAGE_WIDTH: usize = 72;

/// One fingerprint's occurrences.
#[derive(Debug)]
struct Group {
    fingerprint: String,
    kind: ErrorKind,
    count: u64,
    first: String,
    last: String,
    action: &'static str,
    message: String,
    order: usize,
}

/// The groups seen so far.
#[derive(Debug, Default)]
pub struct Table {
    groups: Vec<Group>,
    index: HashMap<String, usize>,
    /// Incidents whose fingerprint arrived after [`MAX_GROUPS`] were full.
    overflow: u64,
}

impl Table {
    /// Counts one incident (with the action the policy planned for it).
    pub fn add(&mut self, file: &Path, incident: &Incident, action: &'static str) {
        let at = format!("{}:{}", file.display(), incident.line_no);
        if let Some(&i) = self.index.get(&incident.fingerprint) {
            let g = &mut self.groups[i];
            g.count += 1;
            g.last = at;
            return;
        }
        if self.groups.len() >= MAX_GROUPS {
            self.overflow += 1;
            return;
        }
        let order = self.groups.len();
        self.index.insert(incident.fingerprint.clone(), order);
        self.groups.push(Group {
            fingerprint: incident.fingerprint.clone(),
            kind: incident.kind,
            count: 1,
            first: at.clone(),
            last: at,
            action,
            message: fingerprint::mask(&healing_core::redact::line(&incident.line)),
            order,
        });
    }

    /// The table, most frequent first (first seen first among equals).
    pub fn write(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.groups.is_empty() {
            return writeln!(out, "no incidents");
        }
        self.groups
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.order.cmp(&b.order)));
        let width = |f: &dyn Fn(&Group) -> usize, title: &str| {
            self.groups
                .iter()
                .map(f)
                .max()
                .unwrap_or(0)
                .max(title.len())
        };
        let wk = width(&|g| g.kind.as_str().len(), "KIND");
        let wf = width(&|g| g.first.chars().count(), "FIRST");
        let wl = width(&|g| g.last.chars().count(), "LAST");
        let wa = width(&|g| g.action.len(), "ACTION");
        writeln!(
            out,
            "{:<16}  {:<wk$}  {:>5}  {:<wf$}  {:<wl$}  {:<wa$}  MESSAGE",
            "FINGERPRINT", "KIND", "COUNT", "FIRST", "LAST", "ACTION"
        )?;
        for g in &self.groups {
            let message: String = g.message.chars().take(MESSAGE_WIDTH).collect();
            writeln!(
                out,
                "{:<16}  {:<wk$}  {:>5}  {:<wf$}  {:<wl$}  {:<wa$}  {message}",
                g.fingerprint,
                g.kind.as_str(),
                g.count,
                g.first,
                g.last,
                g.action
            )?;
        }
        if self.overflow > 0 {
            writeln!(
                out,
                "… and {} more incidents with fingerprints beyond the first {MAX_GROUPS}",
                self.overflow
            )?;
        }
        Ok(())
    }
}
