//! The operator console: hand-written HTML, CSS and JavaScript compiled
//! into the binary (`include_bytes!`), so `cargo build` needs no Node
//! toolchain and there is nothing to deploy beside `baton`.
//!
//! `/` serves `index.html` with `Cache-Control: no-cache` and the asset
//! URLs stamped `?v=BUILD`, a hash of every asset. An asset asked for
//! with the current `?v=` is cached for a year (`immutable`): a new build
//! changes the stamp, so a browser never runs a stale script against a
//! new API. Without it (or with an old one), assets revalidate by `ETag`.
//! A strict Content-Security-Policy allows only these same-origin files
//! and `data:` images (the simulation charts), so nothing inline runs.

use crate::problem::Problem;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file: its name under `/assets/`, content type and bytes.
struct Asset {
    name: &'static str,
    ctype: &'static str,
    body: &'static [u8],
}

const INDEX: &str = include_str!("../console/index.html");

/// An embedded file of the console directory, by name and content type.
macro_rules! asset {
    ($name:literal, $ctype:literal) => {
        Asset {
            name: $name,
            ctype: $ctype,
            body: include_bytes!(concat!("../console/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("api.js", "text/javascript; charset=utf-8"),
    asset!("board.js", "text/javascript; charset=utf-8"),
    asset!("history.js", "text/javascript; charset=utf-8"),
    asset!("map.js", "text/javascript; charset=utf-8"),
    asset!("staff.js", "text/javascript; charset=utf-8"),
    asset!("public.js", "text/javascript; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

/// The build stamp (a hash of every asset) and the index with it filled in.
fn built() -> &'static (String, String) {
    static B: OnceLock<(String, String)> = OnceLock::new();
    B.get_or_init(|| {
        let mut h = Sha256::new();
        for a in ASSETS {
            h.update(a.name.as_bytes());
            h.update(a.body);
        }
        let stamp: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let index = INDEX.replace("{{v}}", &stamp);
        (stamp, index)
    })
}

fn security(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

pub(crate) async fn index() -> Response {
    let mut r = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        built().1.clone(),
    )
        .into_response();
    security(r.headers_mut());
    r
}

#[derive(Deserialize)]
pub(crate) struct Stamp {
    v: Option<String>,
}

pub(crate) async fn asset(
    Path(name): Path<String>,
    Query(q): Query<Stamp>,
    req: HeaderMap,
) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return Problem::not_found(format!("no console asset {name:?}")).into_response();
    };
    let stamp = &built().0;
    let etag = format!("\"{stamp}-{}\"", a.name);
    let cache = if q.v.as_deref() == Some(stamp.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, a.ctype)], a.body).into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    security(h);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_names_every_script_and_style_with_the_build_stamp() {
        let (stamp, index) = built();
        assert!(!index.contains("{{v}}"));
        for a in ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".js") || a.name.ends_with(".css"))
        {
            let url = format!("/assets/{}?v={stamp}", a.name);
            assert!(index.contains(&url), "index.html does not load {url}");
        }
    }
}
