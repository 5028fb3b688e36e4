//! Evaluating PEP 508 environment markers against the interpreter's own environment.
//!
//! `pywin32; sys_platform == "win32"` must not count as missing on Linux. The environment comes from the
//! agents' interpreter itself (not from this process), so the answer is the one pip would give.
//! A marker this evaluator cannot read yields `None`, and callers then check the requirement anyway:
//! a spurious "missing" is safer than a silently skipped dependency.

use crate::requirements::version_satisfies;
use std::collections::BTreeMap;

/// Variables compared as versions rather than strings.
const VERSION_VARS: [&str; 3] = [
    "python_version",
    "python_full_version",
    "implementation_version",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Var(String),
    Str(String),
    Op(String),
    And,
    Or,
    Open,
    Close,
}

/// Whether `marker` holds in `env`; `None` when it cannot be evaluated.
pub fn evaluate(marker: &str, env: &BTreeMap<String, String>) -> Option<bool> {
    let tokens = tokenize(marker)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        env,
    };
    let value = parser.or_expr()?;
    (parser.pos == parser.tokens.len()).then_some(value)
}

fn tokenize(src: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            '"' | '\'' => {
                let end = chars[i + 1..].iter().position(|&d| d == c)? + i + 1;
                out.push(Token::Str(chars[i + 1..end].iter().collect()));
                i = end + 1;
            }
            '=' | '!' | '<' | '>' | '~' => {
                let start = i;
                while i < chars.len() && "=!<>~".contains(chars[i]) {
                    i += 1;
                }
                out.push(Token::Op(chars[start..i].iter().collect()));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(match word.as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "in" => Token::Op("in".into()),
                    "not" => Token::Op("not".into()),
                    _ => Token::Var(word),
                });
            }
            _ => return None,
        }
    }
    // `not in` is one operator.
    let mut merged = Vec::with_capacity(out.len());
    let mut it = out.into_iter().peekable();
    while let Some(t) = it.next() {
        if t == Token::Op("not".into()) {
            match it.next() {
                Some(Token::Op(op)) if op == "in" => merged.push(Token::Op("not in".into())),
                _ => return None,
            }
        } else {
            merged.push(t);
        }
    }
    Some(merged)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    env: &'a BTreeMap<String, String>,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or_expr(&mut self) -> Option<bool> {
        let mut value = self.and_expr()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            value |= self.and_expr()?;
        }
        Some(value)
    }

    fn and_expr(&mut self) -> Option<bool> {
        let mut value = self.atom()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            value &= self.atom()?;
        }
        Some(value)
    }

    fn atom(&mut self) -> Option<bool> {
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let value = self.or_expr()?;
            return (self.next()? == Token::Close).then_some(value);
        }
        let lhs = self.next()?;
        let Token::Op(op) = self.next()? else {
            return None;
        };
        let rhs = self.next()?;
        self.compare(lhs, &op, rhs)
    }

    fn compare(&self, lhs: Token, op: &str, rhs: Token) -> Option<bool> {
        let is_version = [&lhs, &rhs]
            .iter()
            .any(|t| matches!(t, Token::Var(v) if VERSION_VARS.contains(&v.as_str())));
        let (l, r) = (self.value(&lhs)?, self.value(&rhs)?);
        match op {
            "in" => Some(r.contains(&l)),
            "not in" => Some(!r.contains(&l)),
            _ if is_version && matches!(lhs, Token::Var(_)) => {
                version_satisfies(&l, &format!("{op}{r}"))
            }
            _ if is_version => version_satisfies(&r, &format!("{}{l}", flip(op)?)),
            "==" | "===" => Some(l == r),
            "!=" => Some(l != r),
            _ => None,
        }
    }

    fn value(&self, token: &Token) -> Option<String> {
        match token {
            Token::Str(s) => Some(s.clone()),
            // We never install extras, so an `extra == "x"` clause is false.
            Token::Var(v) if v == "extra" => Some(String::new()),
            Token::Var(v) => self.env.get(v).cloned(),
            _ => None,
        }
    }
}

/// `"3.8" > python_version` is `python_version < "3.8"`.
fn flip(op: &str) -> Option<&'static str> {
    Some(match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        "==" => "==",
        "!=" => "!=",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux_311() -> BTreeMap<String, String> {
        [
            ("python_version", "3.11"),
            ("python_full_version", "3.11.7"),
            ("sys_platform", "linux"),
            ("platform_system", "Linux"),
            ("platform_machine", "x86_64"),
            ("os_name", "posix"),
            ("implementation_name", "cpython"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn markers_evaluate_like_pip_on_linux_cpython_311() {
        let env = linux_311();
        let table = [
            (r#"sys_platform == "win32""#, Some(false)),
            (r#"sys_platform != 'win32'"#, Some(true)),
            (r#"python_version < "3.8""#, Some(false)),
            (r#"python_version >= "3.10""#, Some(true)),
            (r#""3.12" > python_version"#, Some(true)),
            (
                r#"python_version >= "3.8" and sys_platform == "linux""#,
                Some(true),
            ),
            (
                r#"os_name == "nt" or (platform_machine == "x86_64" and python_full_version >= "3.11.1")"#,
                Some(true),
            ),
            (r#"extra == "dev""#, Some(false)),
            (r#""linux" in sys_platform"#, Some(true)),
            (r#"platform_system not in "Windows Darwin""#, Some(true)),
            (r#"python_version <"#, None),
            (r#"sys_platform == "linux" garbage"#, None),
            (r#"unknown_var == "x""#, None),
        ];
        for (marker, expected) in table {
            assert_eq!(evaluate(marker, &env), expected, "{marker}");
        }
    }
}
