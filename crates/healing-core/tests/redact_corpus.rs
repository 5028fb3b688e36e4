//! The redactor against lines real libraries print: each line carries a secret that must not survive,
//! and the text around it must (a human still needs to read the error). Plus properties: the redactor
//! never panics and never makes a line longer.

#![allow(clippy::unwrap_used)]

use healing_core::redact::line_with;
use proptest::prelude::*;

/// Known values, as the supervisor registers them (its secrets, agent env values).
const KNOWN: &[&str] = &["hunter2-agent-env-value", "-1001234567890"];

/// (line, the secret that must disappear, a piece of context that must stay).
const CORPUS: &[(&str, &str, &str)] = &[
    // requests / urllib3 (Telegram through python-telegram-bot or plain requests)
    (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.telegram.org', port=443): Max retries exceeded with url: /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getUpdates (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution'))",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "Max retries exceeded",
    ),
    (
        "requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: https://api.telegram.org/bot987654321:AAF-xyz_0123456789abcdefABCDEF/sendMessage",
        "AAF-xyz_0123456789abcdefABCDEF",
        "401 Client Error",
    ),
    (
        "urllib3.exceptions.MaxRetryError: HTTPSConnectionPool(host='api.example.com', port=443): Max retries exceeded with url: /v1/data?api_key=9f8e7d6c5b4a39281706f5e4&limit=10",
        "9f8e7d6c5b4a39281706f5e4",
        "limit=10",
    ),
    (
        "telegram.error.InvalidToken: Invalid token: bot555666777:AAE_bad-token-value-here",
        "AAE_bad-token-value-here",
        "InvalidToken",
    ),
    (
        "httpx.HTTPStatusError: Client error '403 Forbidden' for url 'https://api.example.com/v2/items?token=ghx8Kq2LmN4pR7sT&page=2'",
        "ghx8Kq2LmN4pR7sT",
        "403 Forbidden",
    ),
    (
        "aiohttp.client_exceptions.ClientResponseError: 401, message='Unauthorized', url=URL('https://hooks.example.com/services/x?secret=s3cr3tValue99')",
        "s3cr3tValue99",
        "Unauthorized",
    ),
    // psycopg2 / SQLAlchemy / asyncpg / redis DSNs
    (
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"db.internal\" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed for user \"app\" (Background on this error at: https://sqlalche.me/e/20/e3q8) [SQL: engine postgresql+psycopg2://app:Pa55w0rd!xyz@db.internal:5432/prod]",
        "Pa55w0rd!xyz",
        "password authentication failed",
    ),
    (
        "psycopg2.OperationalError: invalid dsn: invalid connection option \"sslmod\" in dbname=prod user=app password=TopSecret42 host=db",
        "TopSecret42",
        "invalid dsn",
    ),
    (
        "Could not connect to postgres://neolight:zq8WvR3x@dpg-abc123-a.oregon-postgres.render.com/neolight_db",
        "zq8WvR3x",
        "oregon-postgres.render.com",
    ),
    (
        "redis.exceptions.AuthenticationError: invalid username-password pair, url=rediss://red-abc:KvPassw0rdLong@oregon-redis.render.com:6379",
        "KvPassw0rdLong",
        "invalid username-password pair",
    ),
    (
        "asyncpg.exceptions.InvalidPasswordError: password authentication failed for user \"app\"; dsn=postgresql://app:s3cretpw@localhost/db",
        "s3cretpw",
        "InvalidPasswordError",
    ),
    (
        "pymongo.errors.ServerSelectionTimeoutError: mongodb+srv://admin:M0ngoPass@cluster0.abcde.mongodb.net/?retryWrites=true",
        "M0ngoPass",
        "ServerSelectionTimeoutError",
    ),
    (
        "kombu.exceptions.OperationalError: amqp://guest:rabbitpass1@broker:5672// connection refused",
        "rabbitpass1",
        "connection refused",
    ),
    (
        "SQLALCHEMY_DATABASE_URI=mysql+pymysql://root:r00tPassword@127.0.0.1:3306/app",
        "r00tPassword",
        "SQLALCHEMY_DATABASE_URI",
    ),
    // boto / AWS
    (
        "botocore.exceptions.ClientError: An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: https://bucket.s3.amazonaws.com/key?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101&X-Amz-Signature=abcdef0123456789abcdef0123456789",
        "abcdef0123456789abcdef0123456789",
        "SignatureDoesNotMatch",
    ),
    (
        "botocore.exceptions.NoCredentialsError with AKIAIOSFODNN7EXAMPLE configured",
        "AKIAIOSFODNN7EXAMPLE",
        "NoCredentialsError",
    ),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key",
    ),
    (
        "https://bucket.s3.amazonaws.com/f.csv?AWSAccessKeyId=AKIAABCDEFGHIJKLMNOP&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D&Expires=1700000000",
        "vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
        "Expires=1700000000",
    ),
    // OpenAI / Anthropic / Stripe / Slack / GitHub / Google
    (
        "openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided: sk-proj-AbCdEf0123456789GhIjKlMn. You can find your API key at https://platform.openai.com/account/api-keys.', 'type': 'invalid_request_error'}}",
        "sk-proj-AbCdEf0123456789GhIjKlMn",
        "Incorrect API key provided",
    ),
    (
        "openai.APIConnectionError: sending headers {'Authorization': 'Bearer sk-abcdefghijklmnopqrstuvwx'}",
        "sk-abcdefghijklmnopqrstuvwx",
        "APIConnectionError",
    ),
    (
        "stripe.error.AuthenticationError: Invalid API Key provided: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "Invalid API Key provided",
    ),
    (
        "stripe.error.SignatureVerificationError: No signatures found matching the expected signature for payload, secret whsec_abcdefghijklmnop1234",
        "whsec_abcdefghijklmnop1234",
        "SignatureVerificationError",
    ),
    (
        "slack_sdk.errors.SlackApiError: The request to the Slack API failed. token=xoxb-1234567890-abcdefghij",
        "xoxb-1234567890-abcdefghij",
        "SlackApiError",
    ),
    (
        "github.GithubException.BadCredentialsException: 401 using ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "BadCredentialsException",
    ),
    (
        "google.api_core.exceptions.PermissionDenied: 403 key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvWx invalid",
        "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvWx",
        "PermissionDenied",
    ),
    (
        "anthropic.AuthenticationError: x-api-key: sk-ant-api03-abcdefghijklmnopqrstuv invalid",
        "sk-ant-api03-abcdefghijklmnopqrstuv",
        "AuthenticationError",
    ),
    // Headers and auth schemes
    (
        "DEBUG:urllib3.connectionpool:headers={'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value'}",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value",
        "urllib3.connectionpool",
    ),
    (
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "dXNlcjpwYXNzd29yZA==",
        "Authorization",
    ),
    (
        "> Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        "Authorization",
    ),
    (
        "curl -H 'authorization: bearer abc.def.ghi123' https://api.example.com",
        "abc.def.ghi123",
        "curl -H",
    ),
    // Query values, key=value and JSON
    (
        "GET https://api.weather.example/v1?q=Berlin&appid=0123456789abcdef0123456789abcdef failed",
        "0123456789abcdef0123456789abcdef",
        "q=Berlin",
    ),
    (
        "Request failed: https://example.com/cb?code=xyz&access_token=ya29.a0AfH6SMBx-long-token&state=1",
        "ya29.a0AfH6SMBx-long-token",
        "state=1",
    ),
    (
        "webhook rejected: https://hooks.example.com/x?sig=7f3a9b2c1d&ts=1",
        "7f3a9b2c1d",
        "webhook rejected",
    ),
    (
        "config loaded: {\"api_key\": \"live_abcdef123456\", \"region\": \"eu\"}",
        "live_abcdef123456",
        "\"region\": \"eu\"",
    ),
    (
        "settings: client_secret=Zx9Yw8Vu7Ts6 redirect=https://app/cb",
        "Zx9Yw8Vu7Ts6",
        "redirect=",
    ),
    (
        "ValueError: invalid literal for int() with base 10: password: hunter22secret",
        "hunter22secret",
        "invalid literal",
    ),
    (
        "private_key=-----BEGINKEY-----MIIEvQIBADANBg",
        "-----BEGINKEY-----MIIEvQIBADANBg",
        "private_key=",
    ),
    (
        "session_id=8d2f1c9a7b6e5d4c3b2a1f0e missing",
        "8d2f1c9a7b6e5d4c3b2a1f0e",
        "missing",
    ),
    (
        "Set-Cookie: session=abc; auth=QmFzZTY0U2VjcmV0",
        "QmFzZTY0U2VjcmV0",
        "Set-Cookie",
    ),
    // High-entropy values after '=' with an innocent key
    (
        "upload failed: X-Goog-Data=Zk9xM2pQd0xhN3JUeVZuQmhK and retrying",
        "Zk9xM2pQd0xhN3JUeVZuQmhK",
        "retrying",
    ),
    (
        "env NEOLIGHT_DEPLOY=a8F3kL9qP2xR7vT1mN4bZ6cW0yH5 set",
        "a8F3kL9qP2xR7vT1mN4bZ6cW0yH5",
        "set",
    ),
    // Known values (agent env, chat id)
    (
        "KeyError while using hunter2-agent-env-value in config",
        "hunter2-agent-env-value",
        "KeyError",
    ),
    (
        "telegram.error.BadRequest: Chat not found (chat_id=-1001234567890)",
        "-1001234567890",
        "Chat not found",
    ),
    (
        "Sentry DSN https://abcdef0123456789@o123.ingest.sentry.io/456 unreachable",
        "abcdef0123456789",
        "ingest.sentry.io",
    ),
];

/// Lines that must pass unchanged: ordinary errors must stay readable.
const INNOCENT: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/app/auth.py\", line 42, in login",
    "ModuleNotFoundError: No module named 'requests'",
    "FileNotFoundError: [Errno 2] No such file or directory: '/app/data/cache/x.json'",
    "KeyError: 'user_id'",
    "psycopg2.OperationalError: FATAL:  password authentication failed for user \"app\"",
    "GET https://example.com/health?page=2&limit=50 200",
    "PYTHONPATH=/usr/lib/python3.11/site-packages:/app/src",
    "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
    "MemoryError",
    "INFO worker started in 1.23s, version=2.4.1",
];

#[test]
fn every_corpus_line_loses_its_secret_and_keeps_its_meaning() {
    assert!(CORPUS.len() >= 40, "{}", CORPUS.len());
    for (text, secret, context) in CORPUS {
        let out = line_with(text, KNOWN);
        assert!(
            !out.contains(secret),
            "secret survived:\n  in:  {text}\n  out: {out}"
        );
        assert!(
            out.contains(context),
            "context lost:\n  in:  {text}\n  out: {out}"
        );
        assert!(out.contains("***"), "{out}");
        assert!(out.len() <= text.len(), "grew: {out}");
    }
}

#[test]
fn ordinary_lines_pass_unchanged() {
    for text in INNOCENT {
        assert_eq!(line_with(text, KNOWN), *text);
    }
}

proptest! {
    #[test]
    fn never_panics_and_never_grows(text in ".{0,400}", known in proptest::collection::vec(".{0,12}", 0..3)) {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let out = line_with(&text, &known);
        prop_assert!(out.len() <= text.len());
    }

    #[test]
    fn never_grows_lines_built_from_secret_shapes(
        parts in proptest::collection::vec(prop_oneof![
            Just("token="), Just("bot123:"), Just("://u:p@"), Just("Bearer "), Just("&key="),
            Just("Authorization: "), Just("sk-"), Just("="), Just("a"), Just("Z9"), Just(" "),
            Just("\""), Just("AKIA"), Just("x"),
        ], 0..60)
    ) {
        let text: String = parts.concat();
        let out = line_with(&text, &["secretvalue"]);
        prop_assert!(out.len() <= text.len());
    }
}
