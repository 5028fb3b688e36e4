use super::*;

fn classify(line: &str) -> Option<Classification> {
    let cat = Catalogue::builtin();
    assert!(
        cat.may_match(line.as_bytes()) || cat.classify(line).is_none(),
        "a matching line must pass the prefilter: {line}"
    );
    cat.classify(line)
}

fn kind(line: &str) -> Option<ErrorKind> {
    classify(line).map(|c| c.kind)
}

#[test]
fn python_error_lines_get_their_kind() {
    use ErrorKind::*;
    let cases: &[(&str, ErrorKind)] = &[
        (
            "ModuleNotFoundError: No module named 'yaml'",
            ModuleNotFound,
        ),
        (
            "ModuleNotFoundError: No module named 'os.nosuch'; 'os' is not a package",
            ImportError,
        ),
        (
            "ImportError: cannot import name 'X' from 'Y' (/usr/lib/python3.11/Y/__init__.py)",
            ImportError,
        ),
        (
            "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
            SharedLibraryMissing,
        ),
        (
            "FileNotFoundError: [Errno 2] No such file or directory: 'data/in.csv'",
            FileNotFound,
        ),
        (
            "PermissionError: [Errno 13] Permission denied: '/var/run/x.sock'",
            PermissionDenied,
        ),
        ("KeyError: 'API_TOKEN'", EnvVarMissing),
        ("OSError: [Errno 28] No space left on device", DiskFull),
        ("MemoryError", MemoryError),
        ("SyntaxError: expected ':'", SyntaxError),
        (
            "RecursionError: maximum recursion depth exceeded",
            RecursionError,
        ),
        (
            "ERROR uvicorn.error: [Errno 98] error while attempting to bind on address ('0.0.0.0', 8000): address already in use",
            AddressInUse,
        ),
        (
            "requests.exceptions.SSLError: HTTPSConnectionPool(host='a.example', port=443): Max retries exceeded (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED]')))",
            SslError,
        ),
        (
            "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: Connection refused",
            DatabaseUnavailable,
        ),
        (
            "urllib.error.HTTPError: HTTP Error 429: Too Many Requests",
            RateLimited,
        ),
        (
            "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='a.example', port=443): Read timed out. (read timeout=10)",
            Timeout,
        ),
        (
            "urllib3.exceptions.NewConnectionError: HTTPConnection(host='localhost', port=3000): Failed to establish a new connection: [Errno 111] Connection refused",
            ConnectionRefusedLocal,
        ),
        (
            "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
            ConnectionRefusedLocal,
        ),
        (
            "2024-05-14 ERROR app: ConnectionRefusedError: [Errno 111] Connection refused",
            ConnectionError,
        ),
        (
            "ConnectionResetError: [Errno 104] Connection reset by peer",
            ConnectionError,
        ),
        ("worker-3 (pid 77) exited with code 137", OomKilled),
        ("worker-3 (pid 77) exited with code 1", ProcessExit),
    ];
    for (line, expected) in cases {
        assert_eq!(kind(line), Some(*expected), "{line}");
    }
}

#[test]
fn benign_lines_that_mention_errors_do_not_match() {
    for line in [
        "0 errors, 3 warnings in batch 7",
        "ErrorHandler initialised for queue 'ingest'",
        "retrying GET https://a.example/v1/items after ConnectionError (attempt 2/5)",
        "child process 123 exited with code 0",
        "MemoryError handler registered (threshold 512 MiB)",
        "no module named in plugin manifest 'x', skipping optional plugin",
        "TimeoutError counter reset to 0",
        "KeyError: 'user_id'",
    ] {
        assert_eq!(kind(line), None, "{line}");
    }
}

#[test]
fn details_a_fix_needs_are_extracted() {
    let c = classify("ModuleNotFoundError: No module named 'cv2'").unwrap();
    assert_eq!(c.detail.module.as_deref(), Some("cv2"));
    assert_eq!(c.detail.distribution.as_deref(), Some("opencv-python"));
    assert_eq!(c.action, ActionKind::InstallPackage);

    // `cv2` itself imported (Python names the top level when that is missing): version skew, where
    // reinstalling opencv-python or guessing a look-alike never helps.
    let c = classify("ModuleNotFoundError: No module named 'cv2.aruco'").unwrap();
    assert_eq!(c.kind, ErrorKind::ModuleNotFound);
    assert_eq!(c.detail.module.as_deref(), Some("cv2.aruco"));
    assert_eq!(c.detail.distribution, None);
    assert_eq!(c.action, ActionKind::Alert);

    let c = classify("FileNotFoundError: [Errno 2] No such file or directory: '/srv/data/in.csv'")
        .unwrap();
    assert_eq!(c.detail.path.as_deref(), Some("/srv/data/in.csv"));
    assert_eq!(c.action, ActionKind::CreatePath);

    let c = classify("requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded with url: /api (Caused by NewConnectionError(\"HTTPConnection(host='localhost', port=8000): Failed to establish a new connection: [Errno 111] Connection refused\"))").unwrap();
    assert_eq!(c.kind, ErrorKind::ConnectionRefusedLocal);
    assert_eq!(c.detail.host_port().as_deref(), Some("localhost:8000"));
    assert_eq!(
        c.detail.exception.as_deref(),
        Some("requests.exceptions.ConnectionError")
    );
    assert_eq!(c.action, ActionKind::Alert);

    let c = classify("KeyError: 'API_TOKEN'").unwrap();
    assert_eq!(c.detail.env_var.as_deref(), Some("API_TOKEN"));

    let c = classify(
        "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
    )
    .unwrap();
    assert_eq!(c.action, ActionKind::Alert);
    assert_eq!(c.detail.distribution, None);

    let c = classify("supervisor: worker exited with code 3").unwrap();
    assert_eq!(c.detail.exit_code, Some(3));
}

#[test]
fn defaults_follow_sre_judgement() {
    assert_eq!(
        Catalogue::default_action(ErrorKind::SyntaxError),
        ActionKind::Alert
    );
    assert_eq!(
        Catalogue::default_severity(ErrorKind::MemoryError),
        Severity::Critical
    );
    assert_eq!(
        Catalogue::default_severity(ErrorKind::OomKilled),
        Severity::Critical
    );
    assert_eq!(
        Catalogue::default_action(ErrorKind::SharedLibraryMissing),
        ActionKind::Alert
    );
    assert_eq!(
        Catalogue::default_action(ErrorKind::ProcessExit),
        ActionKind::Restart
    );
    assert_eq!(
        Catalogue::default_action(ErrorKind::Unclassified),
        ActionKind::Alert
    );
    for kind in [
        ErrorKind::ConnectionError,
        ErrorKind::Timeout,
        ErrorKind::RateLimited,
        ErrorKind::DatabaseUnavailable,
    ] {
        assert_eq!(Catalogue::default_action(kind), ActionKind::Retry, "{kind}");
    }
}

#[test]
fn user_patterns_win_over_built_ins_and_keep_their_overrides() {
    let user = vec![PatternConfig {
        name: "vendor-sdk-down".into(),
        regex: r"No module named 'vendor_sdk'".into(),
        kind: ErrorKind::ImportError,
        severity: Some(Severity::Low),
        action: None,
    }];
    let cat = Catalogue::new(&user, &BTreeMap::new()).unwrap();
    let c = cat
        .classify("ModuleNotFoundError: No module named 'vendor_sdk'")
        .unwrap();
    assert_eq!(
        (c.kind, c.severity, c.action),
        (ErrorKind::ImportError, Severity::Low, ActionKind::Alert)
    );
    assert_eq!(c.pattern, "vendor-sdk-down");
    assert_eq!(
        cat.classify("ModuleNotFoundError: No module named 'yaml'")
            .unwrap()
            .pattern,
        "module_not_found"
    );
}

#[test]
fn bad_user_input_is_reported_by_name() {
    let user = vec![PatternConfig {
        name: "broken".into(),
        regex: "(unclosed".into(),
        kind: ErrorKind::Timeout,
        severity: None,
        action: None,
    }];
    let err = Catalogue::new(&user, &BTreeMap::new()).unwrap_err();
    assert!(err.to_string().contains("\"broken\""), "{err}");
    let mut map = BTreeMap::new();
    map.insert("yaml".to_string(), "--index-url=http://evil".to_string());
    let err = Catalogue::new(&[], &map).unwrap_err();
    assert!(
        matches!(err, CatalogueError::InvalidDistribution { .. }),
        "{err}"
    );
}

#[test]
fn the_tuned_prefilter_passes_every_line_the_earlier_needles_passed() {
    // The needle set before it was cut for the SIMD search; a line holding any of them must still
    // pass, or a rule could silently stop matching.
    let earlier = [
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
        // The platform phrasings of #12, as their rules require them.
        "Connection in use: (",
        "gave up: w entered FATAL state",
        "code=H10 desc=\"App crashed\"",
        "Worker failed to boot",
        "ImproperlyConfigured",
        "1 validation error for Settings",
        "insufficient_quota",
        "exceeded your current quota",
        "WORKER TIMEOUT",
    ];
    let cat = Catalogue::builtin();
    for needle in earlier {
        let line = format!("2024-05-14 INFO [w-1] x: {needle} y");
        assert!(
            cat.may_match(line.as_bytes()),
            "{needle:?} no longer passes"
        );
    }
    assert!(builtin::NEEDLES.len() <= 32 && builtin::NEEDLES.iter().all(|n| n.len() >= 3));
    assert!(!cat.may_match(b"2024-05-14 INFO [w-1] app: cache hit for user 42 in 3 ms"));
}

#[test]
fn every_built_in_regex_and_the_built_in_set_compile() {
    // They are compiled on first use at run time, so a broken constant must fail here instead.
    let cat = Catalogue::builtin();
    assert!(
        cat.set.get().is_none(),
        "the built-in set waits for a candidate line"
    );
    for rule in &cat.rules {
        assert!(!rule.regex.get().as_str().is_empty());
    }
    assert!(cat.host_port.get().captures_len() > 1);
    assert!(cat.exception_name.get().captures_len() > 1);
    assert_eq!(cat.set().len(), builtin::RULES.len());
}
