//! `baton load` fails loudly when the server does not take its signals: a
//! run where most requests fail, or the token is refused, exits non-zero.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn load(url: &str, token: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["load", "--url", url, "--token", token])
        .args(["--signals", "200", "--concurrency", "2"])
        .output()
        .expect("run baton load")
}

#[test]
fn a_run_where_every_request_fails_exits_non_zero() {
    // Nothing listens on this port: every request is refused.
    let out = load(&format!("http://127.0.0.1:{}", free_port()), "bt_x");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exit {:?}: {err}", out.status);
    assert!(err.contains("200 of 200 requests failed"), "{err}");
}

#[test]
fn a_refused_token_stops_the_run_at_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let data = tempfile::tempdir().expect("tempdir");
    let mut cfg = baton_server::Config::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rustconf-lisbon"),
        data.path().join("d"),
    );
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    let running = rt.block_on(baton_server::start(cfg)).expect("server");
    let out = load(&format!("http://{}", running.addr), "bt_not-a-token");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("refused the token"), "{err}");
    // It stopped early: far fewer than 200 requests were answered 401.
    let n: u64 = err
        .split("HTTP 401: ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok())
        .expect("a count of 401s");
    assert!(n <= 4, "{n} requests after the first 401: {err}");
    let _ = running.shutdown.send(());
    let _ = rt.block_on(running.done);
}
