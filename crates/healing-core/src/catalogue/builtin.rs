//! The built-in rules for Python workers, in priority order, and the literal needles that gate them.
//!
//! Order matters: the first rule that matches a line classifies it. Specific phrasings come before the
//! generic ones they contain (a database's "connection to server ... failed: Connection refused" before
//! "Connection refused"; a TLS failure wrapped in `Max retries exceeded` before connection errors; an
//! `ImportError` on a `.so` before "No such file or directory").
//!
//! Named groups carry the detail: `module`, `path`, `env_var`, `exit_code`, `signal`, `host`, `port`,
//! `exception`; a trailing digit (`path2`) lets one rule capture the same field in several alternatives.

use crate::kind::ErrorKind;

/// What a rule reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    /// Always this kind.
    Fixed(ErrorKind),
    /// A refused connection: `connection_refused_local` when the host is local, else
    /// `connection_error`. Decided after the whole traceback chain has been seen, because the host is
    /// often printed on another line of the chain than the `ConnectionRefusedError`.
    RefusedByHost,
}

/// Built-in rules, first match wins.
pub(crate) const RULES: &[(RuleKind, &str)] = &[
    (
        RuleKind::Fixed(ErrorKind::OomKilled),
        r"(?:exited with code|exit status|exit code) (?P<exit_code>137)\b|signal (?P<signal>9) \(SIGKILL\)|Out of memory: Killed process|OOMKilled",
    ),
    (
        RuleKind::Fixed(ErrorKind::SharedLibraryMissing),
        r#"(?P<path>[^\s:'"]+\.so(?:\.[0-9A-Za-z_.]+)?): cannot open shared object file"#,
    ),
    (
        // `'os' is not a package`: the parent exists and is a plain module, so installing cannot help.
        RuleKind::Fixed(ErrorKind::ImportError),
        r"No module named '(?P<module>[^']+)'; '[^']+' is not a package",
    ),
    (
        RuleKind::Fixed(ErrorKind::ModuleNotFound),
        r"No module named '?(?P<module>[A-Za-z_][A-Za-z0-9_.]*)",
    ),
    (
        RuleKind::Fixed(ErrorKind::ImportError),
        r"ImportError: cannot import name '?[^' ]+'? from (?:partially initialized module )?'(?P<module>[^']+)'|ImportError(?:: |:?$)",
    ),
    (
        RuleKind::Fixed(ErrorKind::DiskFull),
        r"No space left on device(?:: '(?P<path>[^']*)')?",
    ),
    (
        RuleKind::Fixed(ErrorKind::MemoryError),
        r"MemoryError(?:: |:?$)|Cannot allocate memory",
    ),
    (
        RuleKind::Fixed(ErrorKind::SyntaxError),
        r"(?:^|[\s.])(?P<exception>SyntaxError|IndentationError|TabError)(?:: |:?$)",
    ),
    (
        RuleKind::Fixed(ErrorKind::RecursionError),
        r"RecursionError(?:: |:?$)",
    ),
    (
        RuleKind::Fixed(ErrorKind::FileNotFound),
        r"can't open file '(?P<path>[^']+)': \[Errno 2\]|No such file or directory: '(?P<path2>[^']+)'|FileNotFoundError(?:: (?:\[Errno 2\] No such file or directory: '(?P<path3>[^']+)')?|:?$)",
    ),
    (
        RuleKind::Fixed(ErrorKind::PermissionDenied),
        r"PermissionError(?:: (?:\[Errno 13\] Permission denied: '(?P<path>[^']+)')?|:?$)|Permission denied(?:: '(?P<path2>[^']+)')?",
    ),
    (
        RuleKind::Fixed(ErrorKind::EnvVarMissing),
        r#"KeyError: '(?P<env_var>[A-Z][A-Z0-9_]*)'|KeyError: "(?P<env_var2>[A-Z][A-Z0-9_]*)""#,
    ),
    (
        RuleKind::Fixed(ErrorKind::AddressInUse),
        r"[Aa]ddress already in use",
    ),
    (
        RuleKind::Fixed(ErrorKind::SslError),
        r"\[SSL: (?P<exception>[A-Z_]+)\]|SSLError|SSLCertVerificationError",
    ),
    (
        RuleKind::Fixed(ErrorKind::DatabaseUnavailable),
        r"could not connect to server|connection to server (?:at|on socket)|Can't connect to MySQL server|ServerSelectionTimeoutError|the database system is (?:starting up|shutting down)",
    ),
    (
        RuleKind::Fixed(ErrorKind::RateLimited),
        r"429 Client Error|HTTP Error 429|Too Many Requests|RateLimitError",
    ),
    (
        RuleKind::Fixed(ErrorKind::Timeout),
        r"(?:TimeoutError|ReadTimeout|ConnectTimeout|WriteTimeout|PoolTimeout|TimeoutExpired|ReadTimeoutError|ConnectTimeoutError)(?:: |:?$)|Err.*Connection timed out|socket\.timeout: timed out",
    ),
    (
        RuleKind::RefusedByHost,
        r"Connection refused|ConnectionRefusedError|actively refused",
    ),
    (
        RuleKind::Fixed(ErrorKind::ConnectionError),
        r"(?:ConnectionError|ConnectionResetError|ConnectionAbortedError|RemoteDisconnected|BrokenPipeError|MaxRetryError|ProtocolError|ServerDisconnectedError|ClientConnectorError)(?:: |:?$)|Err.*(?:Connection reset by peer|Name or service not known|Temporary failure in name resolution)",
    ),
    (
        RuleKind::Fixed(ErrorKind::ProcessExit),
        r"(?:exited with code|exit status|exit code)[ :=]+(?P<exit_code>-?[1-9][0-9]*)|SystemExit: (?P<exit_code2>[1-9][0-9]*)|[Kk]illed by signal (?P<signal>[0-9]+)",
    ),
];

/// Literals of which every built-in rule's match contains at least one, plus the traceback header.
/// A line containing none of them cannot match a built-in rule, so it is skipped without further work.
/// At most 32, all at least three bytes long, so the search stays on the fastest SIMD (slim Teddy) path,
/// and cut to start at rare bytes (`efused`, not `refused`): the SIMD search matches on the first three
/// bytes, so a common prefix means many false candidates to verify. `Err` covers both `…Error` and
/// `[Errno N]`, which Python prints with almost every OS-level failure. Colour codes sit
/// around words (Python 3.13 colours the exception type and the message separately), so a coloured
/// error line still carries an intact needle such as `Error`.
pub(crate) const NEEDLES: &[&str] = &[
    "Traceback (most recent call last)",
    "Err",
    "exit",
    "SIGKILL",
    "Out of memory",
    "OOMKilled",
    "object file",
    "No module named",
    "No space left",
    "No such file or directory",
    "ermission denied",
    "ddress already in use",
    "Cannot allocate memory",
    "SSL",
    "nnect to server",
    "nection to server",
    "MySQL",
    "abase system",
    "Too Many Requests",
    "Timeout",
    "socket.timeout",
    "efused",
    "RemoteDisconnected",
    "SystemExit",
    "illed by signal",
];

/// One alternation extracting a host and port from the usual Python phrasings; tried leftmost-first.
pub(crate) const HOST_PORT: &str = concat!(
    r"host='(?P<host>[^']+)', port=(?P<port>[0-9]+)",
    r#"|connection to server at "(?P<host2>[^"]+)" \([^)]*\), port (?P<port2>[0-9]+)"#,
    r"|\('(?P<host3>[^']*)', (?P<port3>[0-9]+)\)",
    r"|connecting to (?P<host4>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port4>[0-9]+)",
    r"|[a-z]+://(?:[^@/\s]*@)?(?P<host5>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port5>[0-9]+)",
    r"|(?P<host6>localhost|127\.0\.0\.1|\[::1\]|0\.0\.0\.0):(?P<port6>[0-9]+)",
    r"|Can't connect to MySQL server on '(?P<host7>[^':]+)(?::(?P<port7>[0-9]+))?'",
);

/// The exception type named on a line (`requests.exceptions.ConnectionError`, `socket.timeout`).
pub(crate) const EXCEPTION_NAME: &str = r"(?:^|[\s(])(?P<exception>(?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Exit|Timeout|Expired|Disconnected|timeout|Interrupt))(?::|$)";

/// Whether `host` is this machine: a refused connection to it means a local sidecar is down.
pub(crate) fn is_local_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.eq_ignore_ascii_case("ip6-localhost")
        || h == "::1"
        || h == "0.0.0.0"
        || h.starts_with("127.")
}
