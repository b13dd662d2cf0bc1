//! Policies: each condition and action checked and compiled (policies.yaml).

use super::*;

/// Where a CEL error sits in the file: the expression's line plus its own offset.
pub(super) fn cel_at(s: &Spanned<String>, e: &CheckError) -> (u64, u64) {
    let (l, c) = at(s);
    match e.at {
        Some((el, ec)) if el > 1 => (l + u64::from(el) - 1, u64::from(ec)),
        Some((_, ec)) => (l, c + u64::from(ec).saturating_sub(1)),
        None => (l, c),
    }
}

/// The warning for a constant part of an expression that fails at run time.
pub(super) fn failure_message(condition: bool, f: &ConstantFailure) -> String {
    let what = if condition { "condition" } else { "parameter" };
    let effect = if condition {
        "the policy never fires"
    } else {
        "the action cannot be built"
    };
    if f.always {
        format!(
            "this {what} always fails at run time: {}, so {effect}",
            f.error
        )
    } else {
        format!(
            "a constant part of this {what} fails at run time: {}; only `&&`, `||` or `?:` can skip it",
            f.error
        )
    }
}

pub(super) fn resolve_policy(
    file: &str,
    i: usize,
    sp: &Spanned<PolicyFile>,
    spaces: &HashSet<&str>,
    signs: &HashSet<&str>,
    cx: &mut Ctx,
) -> Option<m::Policy> {
    let p = &sp.value;
    let field = |x: &str| format!("policies[{i}].{x}");
    let errors_before = cx
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if !valid_id(&p.id) {
        cx.error(
            file,
            at(sp),
            field("id"),
            format!("{:?} is not a valid id", p.id),
        );
    }
    if p.on.is_empty() {
        cx.error(
            file,
            at(sp),
            field("on"),
            "a policy needs at least one trigger",
        );
    }
    for (k, t) in p.on.iter().enumerate() {
        if t.value != "minute" && m::SignalType::parse(&t.value).is_none() {
            cx.error(
                file,
                at(t),
                field(&format!("on[{k}]")),
                format!(
                    "unknown trigger {:?}: use a signal type such as space.occupancy, or `minute`",
                    t.value
                ),
            );
        }
    }
    let scope_kind = match p.scope.kind.as_str() {
        "space" => m::ScopeKind::Space,
        "session" => m::ScopeKind::Session,
        other => {
            cx.error(
                file,
                at(sp),
                field("scope.kind"),
                format!("unknown scope kind {other:?}: use space or session"),
            );
            m::ScopeKind::Space
        }
    };
    let mut space_kinds = Vec::new();
    for k in &p.scope.space_kinds {
        match m::SpaceKind::ALL.iter().find(|x| x.as_str() == k) {
            Some(x) => space_kinds.push(*x),
            None => cx.error(
                file,
                at(sp),
                field("scope.space_kinds"),
                format!("unknown space kind {k:?}"),
            ),
        }
    }
    if scope_kind == m::ScopeKind::Space {
        for id in &p.scope.ids {
            if !spaces.contains(id.as_str()) {
                cx.error(
                    file,
                    at(sp),
                    field("scope.ids"),
                    format!("unknown space {id:?}"),
                );
            }
        }
    }
    let check = |s: &Spanned<String>, name: &str, cond: bool, cx: &mut Ctx| {
        let r = if cond {
            Expr::condition(&s.value)
        } else {
            Expr::any(&s.value)
        };
        match r {
            Err(e) => cx.error(file, cel_at(s, &e), field(name), e.to_string()),
            Ok(e) => {
                if let Some(f) = e.constant_failure() {
                    cx.warn(file, at(s), field(name), failure_message(cond, &f));
                }
            }
        }
    };
    check(&p.condition, "condition", true, cx);
    if let Some(r) = &p.rearm {
        check(r, "rearm", true, cx);
    }
    let mode = match p.mode.value.as_str() {
        "auto" => m::Mode::Auto,
        "approve" => m::Mode::Approve,
        "suggest" => m::Mode::Suggest,
        "off" => m::Mode::Off,
        other => {
            cx.error(
                file,
                at(&p.mode),
                field("mode"),
                format!("unknown mode {other:?}: use auto, approve, suggest or off"),
            );
            m::Mode::Off
        }
    };
    let (approval_timeout, on_timeout) = match &p.approval {
        None => (300_000, m::OnTimeout::Drop),
        Some(a) => {
            let t = duration(
                file,
                &field("approval.timeout"),
                &Some(a.timeout.clone_spanned()),
                300_000,
                cx,
            );
            let o = match a.on_timeout.as_str() {
                "drop" => m::OnTimeout::Drop,
                "escalate" => m::OnTimeout::Escalate,
                other => {
                    cx.error(
                        file,
                        at(&a.timeout),
                        field("approval.on_timeout"),
                        format!("unknown {other:?}: use drop or escalate"),
                    );
                    m::OnTimeout::Drop
                }
            };
            (t, o)
        }
    };
    let mut actions = Vec::new();
    for (k, a) in p.actions.iter().enumerate() {
        let af = &a.value;
        let afield = |x: &str| field(&format!("actions[{k}].{x}"));
        let kind = m::ActionKind::parse(&af.kind);
        if kind.is_none() {
            cx.error(
                file,
                at(a),
                afield("kind"),
                format!("unknown action kind {:?}", af.kind),
            );
        }
        let target = match &af.target {
            TargetFile::Ids { ids } => {
                for id in ids {
                    if !id.contains(':')
                        && !spaces.contains(id.as_str())
                        && !signs.contains(id.as_str())
                    {
                        cx.error(
                            file,
                            at(a),
                            afield("target.ids"),
                            format!("{id:?} is neither a space nor a sign"),
                        );
                    }
                }
                m::Target::Ids(ids.clone())
            }
            TargetFile::Named(n) => match n.as_str() {
                "space" => m::Target::Space,
                "session" => m::Target::Session,
                "space_signs" => m::Target::SpaceSigns,
                "zone_signs" => m::Target::ZoneSigns,
                "session_attendees" => m::Target::SessionAttendees,
                "operators" => m::Target::Operators,
                other => {
                    cx.error(file, at(a), afield("target"), format!("unknown target {other:?}: use space, session, space_signs, zone_signs, session_attendees, operators or {{ids: [...]}}"));
                    m::Target::Operators
                }
            },
        };
        for (name, src) in &af.params {
            check(src, &format!("actions[{k}].params.{name}"), false, cx);
        }
        let valid_for = duration(
            file,
            &afield("valid_for"),
            &Some(af.valid_for.clone_spanned()),
            600_000,
            cx,
        );
        if valid_for <= 0 {
            cx.error(
                file,
                at(&af.valid_for),
                afield("valid_for"),
                "must be longer than zero: an action with no validity can never be carried out",
            );
        }
        actions.push(m::ActionSpec {
            kind: kind.unwrap_or(m::ActionKind::Alert),
            target,
            params: af
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            valid_for,
        });
    }
    let hold = duration(file, &field("for"), &p.hold, 0, cx);
    let cooldown = duration(file, &field("cooldown"), &p.cooldown, 0, cx);
    let errors_after = cx
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors_after > errors_before {
        return None;
    }
    let mut pol = m::Policy {
        id: p.id.clone(),
        version: String::new(),
        description: p.description.clone(),
        on: p.on.iter().map(|t| t.value.clone()).collect(),
        scope: m::Scope {
            kind: scope_kind,
            space_kinds,
            zones: p.scope.zones.clone(),
            ids: p.scope.ids.clone(),
        },
        condition: p.condition.value.clone(),
        hold,
        rearm: p.rearm.as_ref().map(|r| r.value.clone()),
        cooldown,
        priority: p.priority,
        mode,
        approval_timeout,
        on_timeout,
        allow_stale: p.allow_stale,
        actions,
    };
    let canonical = serde_json::to_vec(&pol).unwrap_or_default();
    pol.version = hex(&Sha256::digest(&canonical))[..12].to_string();
    Some(pol)
}

pub(super) trait CloneSpanned {
    fn clone_spanned(&self) -> Self;
}

impl CloneSpanned for Spanned<String> {
    fn clone_spanned(&self) -> Self {
        Spanned::new(self.value.clone(), self.referenced, self.defined)
    }
}
