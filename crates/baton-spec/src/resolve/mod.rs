//! Loading, checking and resolving an event directory: reading the files
//! and collecting diagnostics here; `event` (the day, clock, governance),
//! `venue` (spaces, links, sessions, staff, signs) and `policy` (each
//! policy checked and compiled) resolve their parts.

use crate::diagnostic::{Diagnostic, Severity};
use crate::files::*;
use crate::source::read_text;
use baton_model as m;
use baton_policy::{CheckError, ConstantFailure, Expr};
use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

mod event;
mod policy;
mod venue;

use event::*;
use policy::*;
use venue::*;

/// A space's outline is drawn on every console page that shows the map:
/// a bound keeps one space from holding megabytes of points.
const MAX_OUTLINE_POINTS: usize = 1_000;

/// A checked event: the resolved spec, the policy set, and warnings worth reading.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub spec: m::Spec,
    pub policies: m::PolicySet,
    pub warnings: Vec<Diagnostic>,
}

struct Ctx {
    diags: Vec<Diagnostic>,
}

impl Ctx {
    fn push(
        &mut self,
        severity: Severity,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diags.push(Diagnostic {
            severity,
            file: file.to_string(),
            line: at.0,
            column: at.1,
            field: field.into(),
            message: message.into(),
        });
    }
    fn error(
        &mut self,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, file, at, field, message);
    }
    fn warn(
        &mut self,
        file: &str,
        at: (u64, u64),
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, file, at, field, message);
    }
}

fn at<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn read<T: DeserializeOwned + Default>(
    dir: &Path,
    name: &str,
    required: bool,
    cx: &mut Ctx,
) -> Option<T> {
    match read_text(&dir.join(name)) {
        Ok(text) => parse_yaml(name, &text, cx),
        Err(e) if e.not_found && !required => Some(T::default()),
        Err(e) => {
            cx.error(name, e.at, "", e.message);
            None
        }
    }
}

fn parse_yaml<T: DeserializeOwned>(name: &str, text: &str, cx: &mut Ctx) -> Option<T> {
    // serde_path_to_error records where in the document a type error
    // happened (`spaces[3].capacity`), which the YAML error alone does not say.
    let mut path = String::new();
    let r = serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
            path = e.path().to_string();
            e.into_inner()
        })
    });
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let loc = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            let msg = e.without_snippet().to_string();
            // `Spanned` wraps items as `{value, span}`: not part of the file.
            let path = path.replace("].value.", "].").replace("].value", "]");
            let field = if path == "." { "" } else { path.as_str() };
            cx.error(
                name,
                loc,
                field,
                msg.lines().next().unwrap_or("invalid YAML").to_string(),
            );
            None
        }
    }
}

/// Reads, checks and resolves `dir`. Returns every error found, not just the first.
pub fn load(dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let mut cx = Ctx { diags: Vec::new() };
    if !dir.is_dir() {
        cx.error(&dir.display().to_string(), (0, 0), "", "not a directory");
        return Err(cx.diags);
    }
    let event = read_required::<EventFile>(dir, "event.yaml", &mut cx);
    let venue = read_required::<VenueFile>(dir, "venue.yaml", &mut cx);
    let sessions = read_required::<SessionsFile>(dir, "sessions.yaml", &mut cx);
    let staff = read::<StaffFile>(dir, "staff.yaml", false, &mut cx);
    let signs = read::<SignsFile>(dir, "signs.yaml", false, &mut cx);
    let mut policy_files: Vec<(String, PoliciesFile)> = Vec::new();
    let has_policies_yaml = std::fs::symlink_metadata(dir.join("policies.yaml")).is_ok();
    if has_policies_yaml && let Some(p) = read::<PoliciesFile>(dir, "policies.yaml", true, &mut cx)
    {
        policy_files.push(("policies.yaml".into(), p));
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("policies")) {
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect();
        names.sort();
        for n in names {
            let rel = format!("policies/{n}");
            if let Some(p) = read::<PoliciesFile>(dir, &rel, true, &mut cx) {
                policy_files.push((rel, p));
            }
        }
    }
    // Without policies the engine watches but never acts: legal (a first
    // draft, an import), but rarely what was meant.
    if !has_policies_yaml && policy_files.is_empty() {
        cx.warn(
            "policies.yaml",
            (0, 0),
            "",
            "no policies: neither policies.yaml nor policies/*.yaml exists, so Baton will watch but never act",
        );
    }
    let (Some(event), Some(venue), Some(sessions), Some(staff), Some(signs)) =
        (event, venue, sessions, staff, signs)
    else {
        return Err(finish(cx.diags));
    };
    let info = resolve_event(&event, &mut cx);
    let governance = resolve_governance(event.governance.as_ref(), &mut cx);
    let (spaces, links) = resolve_venue(&venue, &mut cx);
    let space_ids: HashSet<&str> = spaces.iter().map(|s| s.id.as_str()).collect();
    let sessions = resolve_sessions(
        &sessions,
        info.as_ref().map(|i| i.1.clone()),
        &space_ids,
        &mut cx,
    );
    let staff = resolve_staff(&staff, &spaces, &mut cx);
    let signs = resolve_signs(&signs, &space_ids, &mut cx);
    let sign_ids: HashSet<&str> = signs.iter().map(|s| s.id.as_str()).collect();
    let policies = resolve_policies(&policy_files, &space_ids, &sign_ids, &mut cx);
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(finish(cx.diags));
    }
    let Some((info, _)) = info else {
        return Err(finish(cx.diags));
    };
    let hash = set_hash(&policies);
    let spec = m::Spec {
        event: info,
        spaces,
        links,
        sessions,
        staff,
        signs,
        governance,
    };
    let warnings = finish(cx.diags);
    Ok(Loaded {
        spec,
        policies: m::PolicySet { hash, policies },
        warnings,
    })
}

/// The policy set's content hash: its policies' versions, in file order.
fn set_hash(policies: &[m::Policy]) -> String {
    hex(&Sha256::digest(
        policies
            .iter()
            .map(|p: &m::Policy| p.version.as_str())
            .collect::<Vec<_>>()
            .join(",")
            .as_bytes(),
    ))[..16]
        .to_string()
}

/// Every policy of every policy file, with duplicate ids named across files.
fn resolve_policies(
    files: &[(String, PoliciesFile)],
    spaces: &HashSet<&str>,
    signs: &HashSet<&str>,
    cx: &mut Ctx,
) -> Vec<m::Policy> {
    let mut policies = Vec::new();
    let mut seen = BTreeMap::new();
    for (file, pf) in files {
        for (i, p) in pf.policies.iter().enumerate() {
            if let Some(prev) = seen.insert(p.value.id.clone(), file.clone()) {
                cx.error(
                    file,
                    at(p),
                    format!("policies[{i}].id"),
                    format!("duplicate policy id {:?} (also in {prev})", p.value.id),
                );
            }
            if let Some(pol) = resolve_policy(file, i, p, spaces, signs, cx) {
                policies.push(pol);
            }
        }
    }
    policies
}

/// Checks a new `policies.yaml` text against a running spec, for a live
/// policy change: the whole set or nothing, with every error named.
pub fn policies_from_yaml(
    name: &str,
    text: &str,
    spec: &m::Spec,
) -> Result<m::PolicySet, Vec<Diagnostic>> {
    let mut cx = Ctx { diags: Vec::new() };
    let Some(file) = parse_yaml::<PoliciesFile>(name, text, &mut cx) else {
        return Err(finish(cx.diags));
    };
    let spaces: HashSet<&str> = spec.spaces.iter().map(|s| s.id.as_str()).collect();
    let signs: HashSet<&str> = spec.signs.iter().map(|s| s.id.as_str()).collect();
    let files = vec![(name.to_string(), file)];
    let policies = resolve_policies(&files, &spaces, &signs, &mut cx);
    if cx.diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(finish(cx.diags));
    }
    let hash = set_hash(&policies);
    Ok(m::PolicySet { hash, policies })
}

fn finish(mut d: Vec<Diagnostic>) -> Vec<Diagnostic> {
    d.sort();
    d.dedup();
    d
}

fn read_required<T: DeserializeOwned>(dir: &Path, name: &str, cx: &mut Ctx) -> Option<T> {
    match read_text(&dir.join(name)) {
        Ok(text) => parse_yaml(name, &text, cx),
        Err(e) => {
            cx.error(name, e.at, "", e.message);
            None
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn duration(
    file: &str,
    field: &str,
    v: &Option<Spanned<String>>,
    default: i64,
    cx: &mut Ctx,
) -> i64 {
    match v {
        None => default,
        Some(s) => match m::parse_duration(&s.value) {
            Ok(ms) => ms,
            Err(e) => {
                cx.error(file, at(s), field, e.to_string());
                default
            }
        },
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
