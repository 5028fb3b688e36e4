//! Turning an [`Alert`] into message text: log text escaped, the whole message under the 4096-character
//! limit of Telegram (and Slack's recommended size), truncated on a character boundary.
//!
//! Telegram gets `parse_mode=HTML` (bold title, monospaced log text); the webhook gets Slack-style plain
//! text. Both need exactly `&`, `<`, `>` escaped, so arbitrary log text can never inject markup. In
//! Slack text every backtick of log text is followed by a zero-width space, so a line holding a code
//! fence cannot close the block it is quoted in. Every piece of text is redacted first
//! ([`crate::redact::line`]): alerts leave the process.

use super::Alert;

/// Telegram's limit; counted in UTF-16 code units, which is never less than the character count.
pub const MAX_MESSAGE_UNITS: usize = 4096;
const ELLIPSIS: &str = "\n…(truncated)";

/// Which markup the destination speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Telegram `parse_mode=HTML`.
    TelegramHtml,
    /// Slack-compatible `{"text": ...}` (mrkdwn).
    Slack,
}

/// Escapes the three characters both Telegram HTML and Slack treat as markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The longest prefix of escaped `text` within `budget` UTF-16 units that ends on a character boundary
/// and never inside an `&...;` entity.
fn truncate_escaped(text: &str, budget: usize) -> (String, bool) {
    let escaped = escape(text);
    if units(&escaped) <= budget {
        return (escaped, false);
    }
    let mut used = 0;
    let mut end = 0;
    for (i, c) in escaped.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let mut cut = &escaped[..end];
    if let Some(amp) = cut.rfind('&')
        && !cut[amp..].contains(';')
    {
        cut = &cut[..amp];
    }
    (cut.to_string(), true)
}

/// The message for one destination.
pub(super) fn render(alert: &Alert, style: Style) -> String {
    let (title_open, title_close, pre_open, pre_close) = match style {
        Style::TelegramHtml => ("<b>", "</b>", "<pre>", "</pre>"),
        Style::Slack => ("*", "*", "```\n", "\n```"),
    };
    let clean = |text: &str| {
        let text = crate::redact::line(text);
        match style {
            Style::TelegramHtml => text,
            Style::Slack => text.replace('`', "`\u{200B}"),
        }
    };
    let (title, _) = truncate_escaped(&clean(&alert.title), 300);
    let mut origin = format!("source: {}", escape(&alert.source));
    if let Some(agent) = &alert.agent {
        let (agent, _) = truncate_escaped(&clean(agent), 200);
        origin.push_str(&format!(" · agent: {agent}"));
    }
    let head = format!(
        "{title_open}[{}] {title}{title_close}\n{origin}\n",
        alert.severity.as_str().to_uppercase()
    );
    if alert.body.is_empty() {
        return head;
    }
    let fixed = units(&head) + units(pre_open) + units(pre_close) + units(ELLIPSIS);
    let budget = MAX_MESSAGE_UNITS.saturating_sub(fixed);
    let (body, truncated) = truncate_escaped(&clean(&alert.body), budget);
    let tail = if truncated { ELLIPSIS } else { "" };
    format!("{head}{pre_open}{body}{pre_close}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Severity;

    fn alert(body: &str) -> Alert {
        Alert {
            key: "k".into(),
            severity: Severity::Critical,
            source: "self-healing-agent".into(),
            agent: Some("trader<1>".into()),
            title: "ModuleNotFoundError: No module named 'yaml' & more".into(),
            body: body.into(),
        }
    }

    #[test]
    fn markup_characters_in_log_text_are_escaped() {
        let text = render(&alert("if a < b && c > d: <script>"), Style::TelegramHtml);
        assert!(
            text.starts_with("<b>[CRITICAL] ModuleNotFoundError"),
            "{text}"
        );
        assert!(text.contains("&amp; more</b>"), "{text}");
        assert!(text.contains("agent: trader&lt;1&gt;"), "{text}");
        assert!(text.contains("<pre>if a &lt; b &amp;&amp; c &gt; d: &lt;script&gt;</pre>"));
        let slack = render(&alert("<@channel>"), Style::Slack);
        assert!(slack.contains("```\n&lt;@channel&gt;\n```"), "{slack}");
    }

    #[test]
    fn long_text_is_cut_under_the_limit_on_a_boundary_outside_entities() {
        for filler in ["é", "🚀", "&", "<x>", "a"] {
            let body = filler.repeat(9000);
            let text = render(&alert(&body), Style::TelegramHtml);
            assert!(
                units(&text) <= MAX_MESSAGE_UNITS,
                "{filler}: {}",
                units(&text)
            );
            assert!(text.ends_with("</pre>\n…(truncated)"), "{filler}");
            let inner = &text[text.find("<pre>").unwrap() + 5..text.rfind("</pre>").unwrap()];
            assert!(
                inner.len() > 3000,
                "{filler}: body kept only {}",
                inner.len()
            );
            if let Some(amp) = inner.rfind('&') {
                assert!(inner[amp..].contains(';'), "{filler}: entity cut in half");
            }
        }
    }

    #[test]
    fn short_text_is_not_marked_truncated() {
        let text = render(&alert("short"), Style::TelegramHtml);
        assert!(!text.contains("truncated"));
        let empty = render(&alert(""), Style::Slack);
        assert!(!empty.contains("```"));
    }

    #[test]
    fn a_code_fence_in_log_text_cannot_close_the_block_and_secrets_are_masked() {
        let text = render(
            &alert("x\n```\n*pwned* <!channel>\n```\ntoken=abcdef123456"),
            Style::Slack,
        );
        let inner = &text[text.find("```\n").unwrap() + 4..text.rfind("\n```").unwrap()];
        assert!(!inner.contains("```"), "{text}");
        assert_eq!(text.matches("```").count(), 2, "{text}");
        assert!(!text.contains("abcdef123456"), "{text}");
    }
}
