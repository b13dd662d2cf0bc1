//! Delivery state, the only thing execution persists (`DATA/deliveries.sqlite`).
//! Actions themselves derive from the journal; a row holds the action as it
//! was derived so a restart can resume it, and the delivery's progress.

use super::state::DeliveryState;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    /// The idempotency key: `DECISION.ACTION` (journal position, output
    /// index, action index). The same on every retry and across restarts.
    pub key: String,
    pub connector: String,
    pub resource: String,
    /// The action as JSON (what is sent).
    pub payload: String,
    pub valid_until: i64,
    pub attempts: u32,
    pub state: DeliveryState,
    pub last_error: Option<String>,
    pub last_try: Option<i64>,
}

pub struct Store {
    conn: Connection,
}

impl Store {
    pub fn open(data: &Path) -> Result<Store> {
        let conn = Connection::open(data.join("deliveries.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS deliveries(
               key TEXT PRIMARY KEY, connector TEXT NOT NULL, resource TEXT NOT NULL,
               payload TEXT NOT NULL, valid_until INTEGER NOT NULL, attempts INTEGER NOT NULL,
               state TEXT NOT NULL, last_error TEXT, last_try INTEGER);
             CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state);",
        )?;
        Ok(Store { conn })
    }

    /// Records new deliveries; ones already known (a replayed tail) are kept as they are.
    pub fn insert_new(&mut self, ds: &[Delivery]) -> Result<Vec<Delivery>> {
        let tx = self.conn.transaction()?;
        let mut fresh = Vec::new();
        for d in ds {
            let n = tx.execute(
                "INSERT OR IGNORE INTO deliveries(key, connector, resource, payload, valid_until, attempts, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, 'pending')",
                params![d.key, d.connector, d.resource, d.payload, d.valid_until],
            )?;
            if n == 1 {
                fresh.push(d.clone());
            }
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// Marks rows still pending whose outcome the journal already holds.
    pub fn settle(&mut self, outcomes: &[(String, DeliveryState)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (key, state) in outcomes {
            tx.execute(
                "UPDATE deliveries SET state = ?2 WHERE key = ?1 AND state = 'pending'",
                params![key, state.as_str()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn update(
        &self,
        key: &str,
        attempts: u32,
        state: DeliveryState,
        error: Option<&str>,
        at: i64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE deliveries SET attempts = ?2, state = ?3, last_error = ?4, last_try = ?5 WHERE key = ?1",
            params![key, attempts, state.as_str(), error, at],
        )?;
        Ok(())
    }

    pub fn by_state(&self, state: DeliveryState, limit: usize) -> Result<Vec<Delivery>> {
        let mut st = self.conn.prepare(
            "SELECT key, connector, resource, payload, valid_until, attempts, state, last_error, last_try
             FROM deliveries WHERE state = ?1 ORDER BY rowid LIMIT ?2",
        )?;
        let rows = st.query_map(params![state.as_str(), limit as i64], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Pending rows per connector, counted in SQLite.
    pub fn pending_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT connector, COUNT(*) FROM deliveries WHERE state = 'pending' GROUP BY connector",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Pending rows of one connector, oldest first.
    pub fn pending_for(&self, connector: &str, limit: usize) -> Result<Vec<Delivery>> {
        let mut st = self.conn.prepare_cached(
            "SELECT key, connector, resource, payload, valid_until, attempts, state, last_error, last_try
             FROM deliveries WHERE state = 'pending' AND connector = ?1 ORDER BY rowid LIMIT ?2",
        )?;
        let rows = st.query_map(params![connector, limit as i64], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The rows of one decision's actions (keys `DECISION.N`), by key range.
    pub fn for_decision(&self, decision: &str) -> Result<Vec<Delivery>> {
        let mut st = self.conn.prepare_cached(
            "SELECT key, connector, resource, payload, valid_until, attempts, state, last_error, last_try
             FROM deliveries WHERE key > ?1 AND key < ?2 ORDER BY key LIMIT 10000",
        )?;
        let rows = st.query_map(params![format!("{decision}."), format!("{decision}/")], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn get(&self, key: &str) -> Result<Option<Delivery>> {
        Ok(self
            .conn
            .query_row(
                "SELECT key, connector, resource, payload, valid_until, attempts, state, last_error, last_try
                 FROM deliveries WHERE key = ?1",
                params![key],
                row,
            )
            .optional()?)
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        key: r.get(0)?,
        connector: r.get(1)?,
        resource: r.get(2)?,
        payload: r.get(3)?,
        valid_until: r.get(4)?,
        attempts: r.get(5)?,
        state: r.get::<_, String>(6)?.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
        })?,
        last_error: r.get(7)?,
        last_try: r.get(8)?,
    })
}
