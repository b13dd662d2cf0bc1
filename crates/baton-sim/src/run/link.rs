//! The twin's two modes: with the engine in the loop (`run`), or in
//! accelerated wall time against a server (`Live`).

use super::*;

/// Where the twin's entries go. In process, the engine runs in the loop
/// and every entry (signals, ticks, the twin's operator's commands, action
/// results) is applied at once; live, a server runs the engine, so only
/// the signals leave (its own clock, executor and operators make the rest)
/// and its outputs come back through [`Live::apply`].
pub(super) enum Link {
    InProcess(Box<Engine>),
    Live(Vec<Signal>),
}

impl Link {
    pub(super) fn in_process(&self) -> bool {
        matches!(self, Link::InProcess(_))
    }
}

/// The twin in accelerated wall time, for the live demo: the caller posts
/// its signals to a server's ingest and hands back the actions the server
/// streams, so the engine in the loop is the real service. Ticks, action
/// results and approvals are the server's own business in this mode.
pub struct Live<'w> {
    sim: Sim<'w>,
}

impl<'w> Live<'w> {
    pub fn new(world: &'w World, twin: &'w Twin, seed: u64) -> Live<'w> {
        let opts = RunOptions {
            seed,
            compliance: None,
            series: false,
            // The demo shows Baton alone on the board.
            practice: false,
            oracle: false,
            recommendations: false,
        };
        Live {
            sim: Sim::new(
                world,
                twin,
                None,
                opts,
                crate::agents::population(world, twin, opts.seed),
            ),
        }
    }

    /// Journal time the simulated day starts at.
    pub fn start(&self) -> Millis {
        self.sim.start
    }

    /// Runs every twin event up to `t`; returns the signals they produced, in order.
    pub fn advance_to(&mut self, t: Millis) -> Vec<Signal> {
        while let Some(Reverse((next, _, _))) = self.sim.heap.peek() {
            if *next > t || self.sim.finished {
                break;
            }
            let Some(Reverse((at, _, ev))) = self.sim.heap.pop() else {
                break;
            };
            self.sim.advance(at);
            self.sim.events += 1;
            self.sim.handle(ev);
        }
        match &mut self.sim.link {
            Link::Live(out) => std::mem::take(out),
            Link::InProcess(_) => Vec::new(),
        }
    }

    /// An engine output that reached the twin (from the server's stream).
    pub fn apply(&mut self, at: Millis, o: &Output) {
        self.sim.advance(at.max(self.sim.now));
        self.sim.on_output(o);
    }

    pub fn finished(&self) -> bool {
        self.sim.finished || self.sim.heap.is_empty()
    }

    /// People in the venue now, and how many of them are in a space over capacity.
    pub fn headcount(&self) -> (u32, u32) {
        let inside: u32 = self.sim.occ.iter().sum();
        let over: u32 = self
            .sim
            .occ
            .iter()
            .zip(&self.sim.w.spaces)
            .filter(|(o, s)| **o > s.capacity)
            .map(|(o, _)| *o)
            .sum();
        (inside, over)
    }
}
