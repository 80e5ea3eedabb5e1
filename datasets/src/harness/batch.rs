//! Batches of functions and the journal of their outcomes.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Rejection;
use crate::IoPairs;
use crate::signature::Signature;

/// One function to evaluate in a batch.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The name the outcome is recorded under (e.g. `file.c:function`).
    pub name: &'a str,
    /// The function's C source (it may hold helper functions too).
    pub source: &'a str,
    /// The function's signature.
    pub signature: &'a Signature,
    /// Inputs, row-major, `k * n_in` values.
    pub inputs: &'a [f32],
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The job's name.
    pub name: String,
    /// Its pairs, or why it was dropped.
    pub result: Result<IoPairs, Rejection>,
}

impl Outcome {
    /// The journal line for this outcome.
    pub fn journal_entry(&self) -> JournalEntry {
        match &self.result {
            Ok(pairs) => JournalEntry {
                name: self.name.clone(),
                accepted: true,
                reason: None,
                message: None,
                pairs: pairs.len(),
            },
            Err(r) => JournalEntry {
                name: self.name.clone(),
                accepted: false,
                reason: Some(r.reason().to_string()),
                message: Some(r.to_string()),
                pairs: 0,
            },
        }
    }
}

/// One line of a journal: `{"name":…,"accepted":…,"reason":…,"message":…,"pairs":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The job's name.
    pub name: String,
    /// True when the function gave pairs.
    pub accepted: bool,
    /// [`Rejection::reason`] when dropped.
    pub reason: Option<String>,
    /// The rejection's message when dropped.
    pub message: Option<String>,
    /// Pairs produced (0 when dropped).
    pub pairs: usize,
}

/// An append-only JSON-lines file of outcomes ([`crate::journal`]): each line is written as it
/// is recorded, so a killed batch leaves a journal of what it finished.
#[derive(Debug)]
pub struct Journal(crate::journal::Journal);

impl Journal {
    /// Opens (creating if needed) a journal for appending.
    pub fn open(path: &Path) -> io::Result<Journal> {
        crate::journal::Journal::open(path).map(Journal)
    }

    /// Appends one outcome as one line.
    pub fn record(&mut self, outcome: &Outcome) -> io::Result<()> {
        self.0.append(&outcome.journal_entry())
    }

    /// Reads every entry of a journal (e.g. to skip finished jobs when resuming); a torn last
    /// line is skipped.
    pub fn read(path: &Path) -> io::Result<Vec<JournalEntry>> {
        crate::journal::read(path)
    }
}

/// Appends outcomes (name, reason, message) as JSON lines to the journal at `path`.
pub fn append_journal(path: &Path, outcomes: &[Outcome]) -> io::Result<()> {
    let mut journal = Journal::open(path)?;
    outcomes.iter().try_for_each(|o| journal.record(o))
}
