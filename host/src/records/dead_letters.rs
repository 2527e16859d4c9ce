//! Dead letters: vendor payloads the host could not store, kept whole
//! with their reasons until a replay resolves them.

use super::*;

impl DeadLetters {
    /// Keep a dead letter, or count another delivery of an open one with the
    /// same source and body. Durable on return.
    pub async fn put_dead_letter(&self, d: DeadLetter) -> Result<DeadLetter> {
        Ok(self.write(&self.store.dead_letters, d).await?.1)
    }

    /// Update a dead letter after a replay. Staged, not flushed.
    pub fn stage_dead_letter(&self, d: DeadLetter) -> Result<DeadLetter> {
        Ok(self.store.dead_letters.update(d)?.1)
    }

    /// The open dead letter of `source` holding exactly `digest`'s body.
    pub fn open_dead_letter_with(&self, digest: &str) -> Result<Option<DeadLetter>> {
        Ok(self
            .store
            .dead_letters
            .last::<DeadLetter>(&Term::Digest(digest.to_string()))?
            .filter(|d| d.state == DeadLetterState::Open))
    }

    /// One dead letter.
    pub fn dead_letter(&self, id: &str) -> Result<DeadLetter> {
        self.get(&self.store.dead_letters, id)
    }

    /// A page of dead letters.
    pub fn dead_letters(&self, f: Filter) -> Result<Page<DeadLetter>> {
        self.list(&self.store.dead_letters, f)
    }
}
