//! `baton demo` end to end: the server on the example event with the twin
//! as its crowd, through the real HTTP ingest and SSE stream. Run fast
//! (2,000×) and watched over the API until the twin's crowd has made the
//! engine act and the engine's actions have reached the twin.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn the_demo_serves_the_example_with_the_twin_as_its_crowd() {
    let port = free_port();
    let data = tempfile::tempdir().expect("tempdir");
    let child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["demo", "--speed", "2000", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data")
        .arg(data.path().join("d"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start baton demo");
    let mut demo = Demo(child);
    let stderr = demo.0.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // The admin token is printed with the console line.
    let mut token = None;
    let mut lines = Vec::new();
    while token.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no token printed; got {lines:?}"));
        if let Some(t) = line.split("admin token ").nth(1) {
            token = t.split(')').next().map(str::to_string);
        }
        lines.push(line);
    }
    let token = token.expect("token");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let req = http.get(format!("{base}{path}")).bearer_auth(&token).send();
        rt.block_on(async {
            match req.await {
                Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            }
        })
    };
    // Bounded polling: the crowd arrives, the surge fires, actions flow back.
    let mut seen_surge = false;
    let mut busiest = 0;
    for _ in 0..600 {
        let decisions = get("/v1/decisions");
        seen_surge = decisions["items"].as_array().is_some_and(|items| {
            items.iter().any(|d| {
                d["decision"]["policy"] == "entrance-surge" || d["policy"] == "entrance-surge"
            })
        });
        let spaces = get("/v1/spaces");
        busiest = spaces["items"]
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|x| x["occupancy"].as_u64())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        if seen_surge && busiest > 50 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(busiest > 50, "nobody came: busiest space holds {busiest}");
    assert!(seen_surge, "the coach surge made no decision");
    // The twin reports what reached it back from the stream.
    let mut received = 0u64;
    for _ in 0..600 {
        while let Ok(line) = rx.try_recv() {
            if let Some(n) = line
                .split("signals posted, ")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
            {
                received = received.max(n);
            }
            lines.push(line);
        }
        if received > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        received > 0,
        "no action came back to the twin: {:?}",
        lines.iter().rev().take(5).collect::<Vec<_>>()
    );
    // SIGTERM stops it cleanly, and it says where its data is.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &demo.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut said = None;
    for _ in 0..300 {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("the journal and tokens are in") => {
                said = Some(line);
                break;
            }
            Ok(line) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let said = said.unwrap_or_else(|| panic!("no word on the data folder: {lines:?}"));
    assert!(
        said.contains(&data.path().join("d").display().to_string()),
        "{said}"
    );
    let exit = demo.0.wait().expect("the demo exits");
    assert!(exit.success(), "{exit}");
}
