//! The one table of routes: the role each needs and what it does. The
//! OpenAPI document is built from it, so it lists exactly what the router
//! serves (a test checks every entry is routed).

use super::*;

/// One entry a route: method, path, the role it needs, what it does, and
/// its handler. The macro makes both [`ROUTES`] (the OpenAPI document and
/// the tests read it) and the handler list the router is built from, so
/// the two cannot disagree.
macro_rules! routes {
    ($( $method:ident $path:literal, $role:ident, $summary:literal => $handler:expr; )*) => {
        /// The routes with their roles, in the table's order.
        pub const ROUTES: &[(&str, &str, &str, &str)] = &[
            $( (stringify!($method), $path, stringify!($role), $summary), )*
        ];

        /// Every route's path with its handler, in the table's order.
        pub(super) fn handlers() -> Vec<(&'static str, axum::routing::MethodRouter<AppState>)> {
            vec![ $( ($path, axum::routing::$method($handler)), )* ]
        }
    };
}

routes! {
    get "/healthz", none, "liveness" => healthz;
    get "/readyz", none, "readiness: the core answers" => ready;
    get "/metrics", viewer, "Prometheus metrics, prefixed baton_" => metrics_text;
    post "/v1/signals", ingest, "one CloudEvent, or a batch as application/cloudevents-batch+json; answers once durable" => ingest;
    get "/v1/spaces", viewer, "live state of every space (filters: zone, kind)" => spaces;
    get "/v1/spaces/{id}", viewer, "one space" => space;
    get "/v1/spaces/{id}/history", viewer, "one space's samples a journal minute (up to 180), live state and forecast" => space_history;
    post "/v1/spaces/{id}/full", operator, "a door volunteer's FULL ({\"full\": true}) or its clearing ({\"full\": false}), journaled as space.full; it wins over the sensors in the public feed" => mark_full;
    get "/v1/attendees/{id}/recommendations", app, "where this attendee should go next (at=RFC 3339, limit=N): ranked by interest, chance of a seat on arrival and walk, each with why" => recommend_one;
    post "/v1/recommendations", app, "recommendations for many attendees in one request ({\"attendees\": [ids], \"at\"?, \"limit\"?}; at most 20,000)" => recommend_bulk;
    get "/v1/public/rooms", public, "public room status: state (open, filling, full, closed, unknown), seats free (rounded), current and next session; no personal data; ETag, rate-limited" => public_rooms;
    get "/v1/public/rooms/stream", public, "the public room status as Server-Sent Events (event: rooms) whenever it changes" => public_stream;
    get "/v1/public/fosdem/listrooms", public, "the public room status in FOSDEM's shape: [{\"roomname\", \"state\": \"1\" full or \"0\"}]" => public_fosdem;
    get "/roomstatus/v1/listrooms", public, "the FOSDEM-shaped feed at FOSDEM's own path (api.fosdem.org/roomstatus/v1/listrooms), so its apps can point here unchanged" => public_fosdem;
    get "/v1/tasks", viewer, "open staff tasks, who has them and where" => tasks::list;
    post "/v1/tasks/{id}/reassign", operator, "move a task to a staff member ({\"to\": ID}) or to the best other person free ({})" => tasks::reassign;
    get "/v1/me/tasks", staff, "a staff token's own open tasks" => tasks::mine;
    post "/v1/me/tasks/{id}", staff, "acknowledge, arrive at, finish or decline one of your tasks" => tasks::update;
    get "/v1/history", viewer, "every space's occupancy a journal minute on one grid (sparklines)" => history_all;
    get "/v1/sessions", viewer, "sessions (filters: status, space)" => sessions;
    get "/v1/sessions/{id}", viewer, "one session" => session;
    get "/v1/staff", viewer, "staff with location, status and tasks (filters: zone, role)" => staff;
    get "/v1/staff/{id}", viewer, "one staff member" => staff_one;
    get "/v1/signs", viewer, "signs: showing, desired, override, claim (filter: space)" => signs;
    get "/v1/signs/{id}", viewer, "one sign" => sign;
    get "/v1/decisions", viewer, "decisions with explanations (filters: status, policy, limit)" => decisions;
    get "/v1/decisions/{id}", viewer, "one decision" => decision;
    post "/v1/decisions/{id}/approve", operator, "approve a pending decision" => approve;
    post "/v1/decisions/{id}/reject", operator, "reject a pending decision, with a comment" => reject;
    get "/v1/alerts", viewer, "alert cards, grouped per space" => alerts;
    get "/v1/situations", viewer, "what needs a person now, grouped per space (filter: min = low, medium, high)" => situations;
    post "/v1/alerts/{id}/ack", operator, "acknowledge an alert card" => ack_alert;
    get "/v1/policies", viewer, "the running policy set and its version" => policies;
    put "/v1/policies", admin, "replace the policy set (policies.yaml body); refused whole if invalid" => put_policies;
    post "/v1/policies/{id}/mode", operator, "set a policy's mode" => set_mode;
    post "/v1/control/pause", operator, "pause automation" => pause;
    post "/v1/control/resume", operator, "resume automation and reconcile signs" => resume;
    post "/v1/control/emergency", operator, "emergency hold on ({\"on\": false} lifts it)" => emergency;
    post "/v1/actions", operator, "a manual action" => manual_action;
    get "/v1/overrides", viewer, "active overrides" => overrides;
    post "/v1/overrides", operator, "place an override" => add_override;
    delete "/v1/overrides/{resource}", operator, "release an override" => release_override;
    get "/v1/audit", viewer, "the audit timeline (filters: since, until, space, policy, decision)" => audit;
    get "/v1/connectors", viewer, "connectors: breaker state, recent failures, queue depth" => connectors;
    get "/v1/deadletters", viewer, "deliveries that gave up" => deadletters;
    post "/v1/deadletters/{key}/retry", operator, "put a dead letter back in the queue" => retry_deadletter;
    post "/v1/simulations", operator, "start a what-if: the twin runs policy set a against b (\"live\", \"none\" or policies.yaml text) over N seeds; one at a time (409)" => start_simulation;
    get "/v1/simulations", viewer, "what-if runs, newest first" => list_simulations;
    get "/v1/simulations/{id}", viewer, "a what-if's progress, KPI table (a, b, paired difference) and SVG charts" => get_simulation;
    get "/v1/stream", viewer, "Server-Sent Events (topics=decisions,actions,tasks,spaces,control,...; last_event_id= or Last-Event-ID to resume)" => stream;
    post "/v1/session", none, "trade a token for a console session cookie (returns the CSRF token)" => open_session;
    delete "/v1/session", none, "end the console session" => close_session;
    get "/v1/session", staff, "who the console is signed in as: role, name and CSRF token (any role but ingest)" => whoami;
    get "/v1/venue", viewer, "the venue for the console: spaces with zones and coordinates, links, signs, sessions" => venue;
    get "/v1/control", viewer, "pause, emergency hold, journal time, clock mode, policy modes, overrides" => control;
    post "/v1/clock/advance", admin, "advance a manual clock ({\"seconds\": N}); 409 unless serve --clock manual" => advance_clock;
    get "/", none, "the operator console" => crate::console::index;
    get "/assets/{name}", none, "the console's embedded scripts, styles and icons" => crate::console::asset;
    get "/v1/openapi.json", none, "this document" => openapi;
}

/// Liveness: the process answers.
pub(super) async fn healthz() -> &'static str {
    "ok"
}

pub(super) async fn openapi() -> Response {
    ok(crate::openapi::document(ROUTES))
}
