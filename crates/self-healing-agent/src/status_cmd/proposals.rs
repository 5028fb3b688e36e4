//! Open fix proposals (`fixes.mode = "propose"`) in `status`, with the command that applies each.

use super::format::cell;
use serde_json::Value;
use std::io::Write;

/// One line per open proposal; nothing when there is none.
pub(super) fn lines(state: &Value, out: &mut dyn Write) -> anyhow::Result<()> {
    let Some(list) = state
        .get("proposals")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return Ok(());
    };
    writeln!(
        out,
        "\nproposed fixes (apply with `self-healing-agent apply ID`, or `skip ID`):"
    )?;
    for p in list {
        let field = |k: &str| {
            p.get(k).map_or("-".to_string(), |v| match v {
                Value::String(s) => cell(s),
                other => cell(&other.to_string()),
            })
        };
        writeln!(
            out,
            "  {}  {}: {} {} (expires {})",
            field("id"),
            field("agent"),
            field("action"),
            field("target"),
            field("expires_at")
        )?;
    }
    Ok(())
}
