//! Bearer tokens with roles. A token is 256 random bits, shown once; only
//! its SHA-256 is stored (`DATA/auth.sqlite`), and the check is a hash
//! lookup plus a constant-time compare: no slow password hash per request.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Posts signals and nothing else.
    Ingest,
    /// A floor lead or steward: sees and updates their own tasks and
    /// nothing else. The token's name is their staff id in the event.
    Staff,
    /// Reads the public room-status feed (when it needs a token) and
    /// nothing else.
    Public,
    /// The attendee app's backend: recommendations and the public feed,
    /// nothing else (docs/RECOMMENDATIONS.md).
    App,
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "ingest" => Some(Role::Ingest),
            "staff" => Some(Role::Staff),
            "public" => Some(Role::Public),
            "app" => Some(Role::App),
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Staff => "staff",
            Role::Public => "public",
            Role::App => "app",
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Reading state: everyone but an ingest-only token.
    pub fn can_read(self) -> bool {
        self >= Role::Viewer
    }

    /// Using the console: every reader, and staff for their own tasks.
    pub fn can_sign_in(self) -> bool {
        self == Role::Staff || self.can_read()
    }

    /// Reading the public room-status feed when it needs a token.
    pub fn can_read_public(self) -> bool {
        matches!(self, Role::Public | Role::App) || self.can_read()
    }

    /// Reading one attendee's recommendations: the app backend, and an
    /// admin; not viewers or operators, who have no need of them.
    pub fn can_recommend(self) -> bool {
        matches!(self, Role::App | Role::Admin)
    }

    /// Changing anything an operator controls.
    pub fn can_operate(self) -> bool {
        self >= Role::Operator
    }
}

/// Who is calling, for authorisation and for the journal's `actor`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub name: String,
}

pub struct Tokens {
    conn: Mutex<Connection>,
    cache: Mutex<HashMap<[u8; 32], Caller>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    pub fn open(data: &Path) -> Result<Tokens> {
        std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
        let path = data.join("auth.sqlite");
        let conn =
            Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS tokens(
                 hash BLOB PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, created INTEGER NOT NULL);",
        )?;
        Ok(Tokens {
            conn: Mutex::new(conn),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Creates a token and returns it; only its hash is kept.
    pub fn create(&self, role: Role, name: &str) -> Result<String> {
        let mut raw = [0u8; 32];
        rand::fill(&mut raw);
        let token = format!(
            "bt_{}",
            raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let conn = self
            .conn
            .lock()
            .map_err(|_| anyhow::anyhow!("token store poisoned"))?;
        conn.execute(
            "INSERT INTO tokens(hash, role, name, created) VALUES (?1, ?2, ?3, ?4)",
            params![digest(&token).to_vec(), role.as_str(), name, created],
        )?;
        Ok(token)
    }

    /// The caller a token belongs to; tokens created while the server runs
    /// are found on first use.
    pub fn check(&self, token: &str) -> Option<Caller> {
        let h = digest(token);
        if let Ok(cache) = self.cache.lock()
            && let Some((k, c)) = cache.get_key_value(&h)
            && bool::from(k.ct_eq(&h))
        {
            return Some(c.clone());
        }
        let conn = self.conn.lock().ok()?;
        let row: Option<(Vec<u8>, String, String)> = conn
            .query_row(
                "SELECT hash, role, name FROM tokens WHERE hash = ?1",
                params![h.to_vec()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .ok()?;
        let (stored, role, name) = row?;
        if !bool::from(stored.as_slice().ct_eq(&h)) {
            return None;
        }
        let caller = Caller {
            role: Role::parse(&role)?,
            name,
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(h, caller.clone());
        }
        Some(caller)
    }
}

/// Browser sessions: the console trades a token for an HttpOnly cookie
/// (`EventSource` cannot send headers). Mutating calls made with the cookie
/// must echo the session's CSRF token in `X-CSRF-Token`.
///
/// Sessions are kept, like tokens, as the SHA-256 of their id in
/// `DATA/auth.sqlite` (table `sessions`, with role, name, CSRF token and
/// expiry in wall seconds), so a restart mid-event does not sign every
/// operator out. The session id itself is never stored. Without a data
/// directory (`Sessions::default`) they live in memory only.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], (Caller, String, i64)>>,
    conn: Option<Mutex<Connection>>,
}

/// How long a console session lasts.
pub const SESSION_HOURS: u64 = 12;

fn random_hex() -> String {
    let mut raw = [0u8; 32];
    rand::fill(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn wall_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Sessions {
    /// Sessions kept in `DATA/auth.sqlite`; expired ones are deleted.
    pub fn open(data: &Path) -> Result<Sessions> {
        std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
        let path = data.join("auth.sqlite");
        let conn =
            Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS sessions(
                 hash BLOB PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL,
                 csrf TEXT NOT NULL, expires INTEGER NOT NULL);",
        )?;
        conn.execute(
            "DELETE FROM sessions WHERE expires <= ?1",
            params![wall_secs()],
        )?;
        Ok(Sessions {
            map: Mutex::new(HashMap::new()),
            conn: Some(Mutex::new(conn)),
        })
    }

    /// Returns (session id, CSRF token).
    pub fn create(&self, caller: Caller) -> Result<(String, String)> {
        let (sid, csrf) = (random_hex(), random_hex());
        let now = wall_secs();
        let expires = now + (SESSION_HOURS * 3600) as i64;
        let h = digest(&sid);
        if let Some(conn) = &self.conn {
            let conn = conn
                .lock()
                .map_err(|_| anyhow::anyhow!("session store poisoned"))?;
            conn.execute("DELETE FROM sessions WHERE expires <= ?1", params![now])?;
            conn.execute(
                "INSERT INTO sessions(hash, role, name, csrf, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![h.to_vec(), caller.role.as_str(), caller.name, csrf, expires],
            )?;
        }
        if let Ok(mut m) = self.map.lock() {
            m.retain(|_, v| v.2 > now);
            m.insert(h, (caller, csrf.clone(), expires));
        }
        Ok((sid, csrf))
    }

    pub fn check(&self, sid: &str) -> Option<(Caller, String)> {
        let h = digest(sid);
        let now = wall_secs();
        if let Ok(m) = self.map.lock()
            && let Some((c, csrf, expires)) = m.get(&h)
        {
            return (*expires > now).then(|| (c.clone(), csrf.clone()));
        }
        // Not seen since this process started: a session from before a restart.
        let conn = self.conn.as_ref()?.lock().ok()?;
        let (role, name, csrf, expires): (String, String, String, i64) = conn
            .query_row(
                "SELECT role, name, csrf, expires FROM sessions WHERE hash = ?1",
                params![h.to_vec()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .ok()??;
        drop(conn);
        if expires <= now {
            return None;
        }
        let caller = Caller {
            role: Role::parse(&role)?,
            name,
        };
        if let Ok(mut m) = self.map.lock() {
            m.insert(h, (caller.clone(), csrf.clone(), expires));
        }
        Some((caller, csrf))
    }

    pub fn remove(&self, sid: &str) {
        let h = digest(sid);
        if let Ok(mut m) = self.map.lock() {
            m.remove(&h);
        }
        if let Some(conn) = &self.conn
            && let Ok(conn) = conn.lock()
        {
            let _ = conn.execute("DELETE FROM sessions WHERE hash = ?1", params![h.to_vec()]);
        }
    }
}

/// Constant-time string equality, for CSRF tokens.
pub fn same(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
