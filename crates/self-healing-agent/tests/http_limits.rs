//! The HTTP surface under abuse: slowloris connections cannot starve `/health` or the supervisor, are
//! closed when their headers time out, and a full table drops the oldest half-open connection first;
//! beyond loopback only `/health` and `/metrics` answer without the bearer token.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Binary, Project, fast, wait_for};
use self_healing_agent::http::{HttpOptions, serve_with};
use self_healing_agent::http_access::Access;
use self_healing_agent::http_conn::Limits;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Opens `n` connections that send half a request head and then nothing.
async fn slowloris(addr: &str, n: usize) -> Vec<TcpStream> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        conns.push(s);
    }
    conns
}

/// How many of `conns` the server has closed (a read returns EOF or an error at once).
async fn closed(conns: &mut [TcpStream]) -> usize {
    let mut n = 0;
    for c in conns.iter_mut() {
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(5), c.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => n += 1,
            Ok(Ok(_)) => n += 1, // an error response (408) and then close
            Err(_) => {}
        }
    }
    n
}

/// Polls until every connection is closed, for at most `limit`.
async fn all_closed_within(conns: &mut [TcpStream], limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if closed(conns).await == conns.len() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

async fn timed_health(base: &str) -> (u16, Duration) {
    let start = Instant::now();
    let resp = reqwest::Client::new()
        .get(format!("{base}/health"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("/health answers");
    (resp.status().as_u16(), start.elapsed())
}

#[tokio::test]
async fn a_full_table_drops_the_oldest_half_open_connection_and_headers_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut options = HttpOptions::new(dir.path().to_path_buf());
    options.limits = Limits {
        header_read_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(5),
        max_connections: 64,
    };
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve_with(listener, options, stop.clone()));
    let mut conns = slowloris(&addr, 300).await;
    let (code, took) = timed_health(&format!("http://{addr}")).await;
    assert_eq!(code, 503, "no status document yet, but an answer");
    assert!(took < Duration::from_secs(1), "/health took {took:?}");
    // Over the cap of 64: the oldest half-open ones were dropped to admit the newer ones.
    assert!(
        closed(&mut conns[..200]).await >= 200,
        "old connections still open"
    );
    assert!(
        all_closed_within(&mut conns, Duration::from_secs(10)).await,
        "slow connections outlived the 2 s header timeout"
    );
    stop.cancel();
    task.await.unwrap().unwrap();
}

const CRASHER: &str = "import time\nopen('spawns.txt', 'a').write(f'{time.time_ns()}\\n')\ntime.sleep(0.3)\nraise SystemExit(1)\n";

#[tokio::test]
async fn three_hundred_slowloris_connections_starve_neither_health_nor_restarts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = Project::new();
    p.write("crasher.py", CRASHER);
    p.config(&fast(
        "[[agents]]\nname = \"crasher\"\ncommand = [\"python3\", \"crasher.py\"]\n",
    ));
    let cfg = std::fs::read_to_string(p.path().join("healing.toml")).unwrap();
    let cfg = cfg.replacen(
        "[self_healing]\n",
        &format!("[self_healing]\nlisten = \"127.0.0.1:{port}\"\n"),
        1,
    );
    std::fs::write(p.path().join("healing.toml"), cfg).unwrap();
    let sup = Binary::start(&p, &[]);
    let addr = format!("127.0.0.1:{port}");
    assert!(
        wait_for(Duration::from_secs(15), || std::net::TcpStream::connect(
            &addr
        )
        .is_ok())
        .await,
        "supervisor did not listen"
    );
    let mut conns = slowloris(&addr, 300).await;
    let before = p.lines("spawns.txt").len();
    let (_, took) = timed_health(&format!("http://{addr}")).await;
    assert!(took < Duration::from_secs(1), "/health took {took:?}");
    assert!(
        wait_for(Duration::from_secs(10), || p.lines("spawns.txt").len()
            >= before + 2)
        .await,
        "the agent was not restarted while the connections were held"
    );
    // The default header timeout is 10 s; give the loaded machine a margin (hyper's own is 30 s).
    assert!(
        all_closed_within(&mut conns, Duration::from_secs(25)).await,
        "slow connections were not closed after the header timeout"
    );
    let (_, took) = timed_health(&format!("http://{addr}")).await;
    assert!(took < Duration::from_secs(1), "/health took {took:?}");
    assert!(sup.stop().success());
}

#[tokio::test]
async fn beyond_loopback_only_health_and_metrics_answer_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let public: std::net::SocketAddr = "0.0.0.0:1".parse().unwrap();
    let token = "a-long-enough-test-token";
    let mut options = HttpOptions::new(dir.path().to_path_buf());
    // The rule a 0.0.0.0 listener gets; served on loopback because tests never bind elsewhere.
    options.access = Access::for_listener(public, Some(token.into()));
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve_with(listener, options, stop.clone()));
    let client = reqwest::Client::new();
    let get = |path: &str, auth: Option<&str>| {
        let mut req = client.get(format!("{base}{path}"));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/health", None).await, 503);
    assert_eq!(get("/metrics", None).await, 200);
    assert_eq!(get("/health/self-healing", None).await, 401);
    assert_eq!(get("/health/self-healing", Some("wrong")).await, 401);
    assert_eq!(get("/health/self-healing", Some(token)).await, 200);
    assert_eq!(get("/health/recovery", None).await, 401);
    stop.cancel();
    task.await.unwrap().unwrap();
}
