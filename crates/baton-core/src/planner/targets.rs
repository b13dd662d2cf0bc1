//! Which resources an action addresses: a policy's target (its scope's
//! space or session, their signs, the operators, or ids) made into the
//! resource strings of `baton_model::Resource`.

use super::Planner;
use baton_model::{ActionKind, Resource, Target};

impl Planner<'_> {
    pub(crate) fn resources(
        &self,
        kind: ActionKind,
        target: &Target,
        space: Option<u32>,
        session: Option<u32>,
    ) -> Vec<String> {
        let spec = &self.cfg.spec;
        let sign = |i: &u32| Resource::Sign(&spec.signs[*i as usize].id).to_string();
        match target {
            Target::Space => space
                .map(|s| vec![resource_of(kind, &spec.spaces[s as usize].id)])
                .unwrap_or_default(),
            Target::Session => session
                .map(|s| vec![Resource::Session(&spec.sessions[s as usize].id).to_string()])
                .unwrap_or_default(),
            Target::SpaceSigns => space
                .map(|s| {
                    self.cfg.signs_by_space[s as usize]
                        .iter()
                        .map(sign)
                        .collect()
                })
                .unwrap_or_default(),
            Target::ZoneSigns => space
                .and_then(|s| self.cfg.signs_by_zone.get(&spec.spaces[s as usize].zone))
                .map(|v| v.iter().map(sign).collect())
                .unwrap_or_default(),
            Target::SessionAttendees => session
                .map(|s| {
                    vec![format!(
                        "attendees:session:{}",
                        spec.sessions[s as usize].id
                    )]
                })
                .unwrap_or_default(),
            Target::Operators => vec![format!(
                "operators:{}",
                space
                    .map(|s| spec.spaces[s as usize].id.as_str())
                    .unwrap_or("event")
            )],
            Target::Ids(ids) => ids
                .iter()
                .map(|i| {
                    if i.contains(':') {
                        i.clone()
                    } else {
                        resource_of(kind, i)
                    }
                })
                .collect(),
        }
    }
}

/// The resource an action of `kind` addresses when a target names only an
/// id (a space, a session, a sign…).
fn resource_of(kind: ActionKind, id: &str) -> String {
    match kind {
        ActionKind::Sign => Resource::Sign(id).to_string(),
        ActionKind::OpenSpace | ActionKind::CloseSpace => Resource::Space(id).to_string(),
        ActionKind::DelaySession | ActionKind::Redirect => Resource::Session(id).to_string(),
        ActionKind::Notify => Resource::SpaceAttendees(id).to_string(),
        ActionKind::Dispatch => Resource::Dispatch(id).to_string(),
        // An alert's card group, which is not an action resource.
        ActionKind::Alert => format!("alert:{id}"),
    }
}
