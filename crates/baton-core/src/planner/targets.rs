//! Which resources an action addresses: a policy's target (its scope's
//! space or session, their signs, the operators, or ids) made into the
//! resource strings of `baton_model::Resource`.

use super::Planner;
use baton_model::{ActionKind, Resource, ResourceBuf, Target};

impl Planner<'_> {
    pub(crate) fn resources(
        &self,
        kind: ActionKind,
        target: &Target,
        space: Option<u32>,
        session: Option<u32>,
    ) -> Vec<ResourceBuf> {
        let spec = &self.cfg.spec;
        let sign = |i: &u32| ResourceBuf::from(Resource::Sign(&spec.signs[*i as usize].id));
        match target {
            Target::Space => space
                .map(|s| vec![resource_of(kind, &spec.spaces[s as usize].id)])
                .unwrap_or_default(),
            Target::Session => session
                .map(|s| vec![Resource::Session(&spec.sessions[s as usize].id).into()])
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
                .map(|s| vec![Resource::SessionAttendees(&spec.sessions[s as usize].id).into()])
                .unwrap_or_default(),
            Target::Operators => vec![
                Resource::Operators(
                    space
                        .map(|s| spec.spaces[s as usize].id.as_str())
                        .unwrap_or("event"),
                )
                .into(),
            ],
            Target::Ids(ids) => ids
                .iter()
                .map(|i| {
                    if i.contains(':') {
                        ResourceBuf::new(i.as_str())
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
fn resource_of(kind: ActionKind, id: &str) -> ResourceBuf {
    ResourceBuf::from(match kind {
        ActionKind::Sign => Resource::Sign(id),
        ActionKind::OpenSpace | ActionKind::CloseSpace => Resource::Space(id),
        ActionKind::DelaySession
        | ActionKind::Redirect
        | ActionKind::MoveSession
        | ActionKind::Recommend => Resource::Session(id),
        ActionKind::Notify => Resource::SpaceAttendees(id),
        ActionKind::Dispatch => Resource::Dispatch(id),
        // An alert's card group, which is not an action resource.
        ActionKind::Alert => Resource::Alert(id),
    })
}
