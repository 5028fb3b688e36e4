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
        // The kernel's, the container runtime's and the platform's words for an OOM kill. Exit 137 is
        // what a shell or runtime reports for a SIGKILL, which at a memory limit is the OOM killer.
        // `OOMKilled:false` (Docker's own verdict that it was not) is excluded.
        RuleKind::Fixed(ErrorKind::OomKilled),
        concat!(
            r"(?i:exit(?:ed)?(?: with)?[ _]?(?:code|status))[ :=(]*(?P<exit_code>137)\b",
            r"|signal (?P<signal>9) \(SIGKILL\)|code=killed, status=(?P<signal2>9)/KILL|exitcode:? ?-(?P<signal3>9)\b",
            r"|(?i:out of memory): Killed process|OOMKilled(?:$|[^:A-Za-z])|Error R15 \(Memory quota vastly exceeded\)",
        ),
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
        // Settings the app cannot start with: Django's check, pydantic-settings' validation of the
        // environment, a database that rejects the configured password.
        RuleKind::Fixed(ErrorKind::ConfigError),
        r"(?P<exception>ImproperlyConfigured)(?:: |:?\s*$)|validation errors? for [A-Za-z_]*(?:Settings|Config)\b|password authentication failed for user",
    ),
    (
        RuleKind::Fixed(ErrorKind::DiskFull),
        r"No space left on device(?:: '(?P<path>[^']*)')?",
    ),
    (
        RuleKind::Fixed(ErrorKind::TooManyOpenFiles),
        r"Too many open files|\[Errno 24\]",
    ),
    (
        RuleKind::Fixed(ErrorKind::MemoryError),
        r"MemoryError(?:: |:?$)|Cannot allocate memory|Error R14 \(Memory quota exceeded\)",
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
        // Python's wording, gunicorn's (`Connection in use: ('0.0.0.0', 8000)`) and uvicorn's (`error while
        // attempting to bind on address`, also for Windows' WSAEADDRINUSE 10048).
        RuleKind::Fixed(ErrorKind::AddressInUse),
        r"[Aa]ddress already in use|Connection in use: \(|\[Errno (?:98|48|10048)\] error while attempting to bind",
    ),
    (
        RuleKind::Fixed(ErrorKind::SslError),
        r"\[SSL: (?P<exception>[A-Z_]+)\]|SSLError|SSLCertVerificationError",
    ),
    (
        RuleKind::Fixed(ErrorKind::DatabaseUnavailable),
        r"could not connect to server|connection to server (?:at|on socket)|Can't connect to MySQL server|ServerSelectionTimeoutError|the database system is (?:starting up|shutting down)|server closed the connection unexpectedly",
    ),
    (
        // A used-up quota or billing limit is not a rate limit: waiting does not end it.
        RuleKind::Fixed(ErrorKind::QuotaExceeded),
        r"insufficient_quota|exceeded your current quota",
    ),
    (
        RuleKind::Fixed(ErrorKind::RateLimited),
        r"429 Client Error|HTTP Error 429|Too Many Requests|RateLimitError|Error code: 429\b",
    ),
    (
        // A server's watchdog killing a hung worker, or a platform giving up on a boot.
        RuleKind::Fixed(ErrorKind::WorkerTimeout),
        r"\bWORKER TIMEOUT\b|Error R10 \(Boot timeout\)",
    ),
    (
        RuleKind::Fixed(ErrorKind::Timeout),
        r"(?:TimeoutError|ReadTimeout|ConnectTimeout|WriteTimeout|PoolTimeout|TimeoutExpired|ReadTimeoutError|ConnectTimeoutError)(?:: |:?$)|Err.*Connection timed out|socket\.timeout: timed out|Timeout connecting to server",
    ),
    (
        RuleKind::RefusedByHost,
        r"Connection refused|ConnectionRefusedError|actively refused",
    ),
    (
        RuleKind::Fixed(ErrorKind::ConnectionError),
        r"(?:ConnectionError|ConnectionResetError|ConnectionAbortedError|RemoteDisconnected|BrokenPipeError|MaxRetryError|ProtocolError|ServerDisconnectedError|ClientConnectorError)(?:: |:?$)|Err.*(?:Connection reset by peer|Name or service not known|Temporary failure in name resolution|Cannot assign requested address)",
    ),
    (
        // Exit codes as shells, supervisord (`exited: w (exit status 0; not expected)`, `gave up: w entered
        // FATAL state`), systemd (`code=killed, status=15/TERM`), Heroku (`code=H10 desc="App crashed"`) and
        // gunicorn (`Worker failed to boot`) report them.
        RuleKind::Fixed(ErrorKind::ProcessExit),
        concat!(
            r"(?i:exit(?:ed)?(?: with)?[ _]?(?:code|status))[ :=(]*(?P<exit_code>-?[1-9][0-9]*)",
            r"|exit status (?P<exit_code3>[0-9]+); not expected|gave up: \S+ entered FATAL state",
            r"|code=killed, status=(?P<signal2>[0-9]+)/|SystemExit: (?P<exit_code2>[1-9][0-9]*)",
            r"|[Kk]illed by signal (?P<signal>[0-9]+)|code=H10 desc=.App crashed.|Worker failed to boot",
        ),
    ),
];

/// Literals of which every built-in rule's match contains at least one, plus the traceback header.
/// A line containing none of them cannot match a built-in rule, so it is skipped without further work.
/// At most 32, all at least three bytes long, so the search stays on the fastest SIMD (slim Teddy) path.
///
/// The order is part of the tuning. `regex` cuts this many literals to their first four bytes
/// (deduplicated, in this order) and hands them to Teddy, which puts literal `i` into bucket `7 - i % 8`
/// and reports a candidate wherever a position matches the nibble masks of a bucket's first three
/// bytes; every candidate costs a verification. So the needles are cut where their first bytes are
/// rare in logs (`moteDisconnected`, `e=H10 desc=` for Heroku's `code=H10 desc="App crashed"`) and
/// ordered so that the needles of a bucket share nibbles (`scripts/bench/needle_order.py` searches the
/// order against a corpus; `scripts/bench/logscan-callgrind.sh` measures the result). Appending the
/// platform phrasings of #12 unordered made the search 4.6× dearer (1.1 → 5.0 instructions per byte of
/// corpus) for the same candidate lines; these cuts in this order cost 1.2 (docs/benchmarks.md).
/// Cutting only a needle's start never loses a line (the cut needle is inside the whole one), and
/// `o server` already covers `n to server`. `Err` covers both `…Error` and `[Errno N]`, which Python
/// prints with almost every OS-level failure; `xit` covers `exit`, `Exit Code`, `ExitCode` and
/// `SystemExit`. Colour codes sit around words (Python 3.13 colours the exception type and the message
/// separately), so a coloured error line still carries an intact needle such as `Error`.
pub(crate) const NEEDLES: &[&str] = &[
    "t recent call last)",
    "Err",
    "efused",
    "No such file or directory",
    "socket.timeout",
    "ImproperlyConfigured",
    "o server",
    "No space left",
    "dation error",
    "TIMEOUT",
    "already in use",
    "Cannot allocate memory",
    "SSL",
    "IGKILL",
    "quota",
    "OOMKilled",
    "Too Many Requests",
    "Timeout",
    "ermission denied",
    "bject file",
    "moteDisconnected",
    "d by signal",
    "xit",
    "n in use: (",
    "FATAL state",
    "No module named",
    "Worker failed to boot",
    "e=H10 desc=",
    "of memory",
    "abase system",
    "MySQL",
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
