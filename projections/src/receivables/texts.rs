//! Strings of the receivables state, kept once: customer names, regions and
//! salespeople interned (few, and repeated across customers and versions),
//! invoice numbers in one append-only arena (one per invoice, never
//! repeated), so that no record holds a `String` of its own.

use rustc_hash::FxHashMap;

/// Interned strings: each distinct string once, named by its index.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Interner {
    strings: Vec<Box<str>>,
    index: FxHashMap<Box<str>, u32>,
}

impl Interner {
    /// The index of `s`, interning it if new; `None` past `u32::MAX`
    /// strings.
    pub fn intern(&mut self, s: &str) -> Option<u32> {
        if let Some(&i) = self.index.get(s) {
            return Some(i);
        }
        let i = u32::try_from(self.strings.len()).ok()?;
        self.strings.push(s.into());
        self.index.insert(s.into(), i);
        Some(i)
    }

    /// The string of an index `intern` returned.
    pub fn get(&self, i: u32) -> &str {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.strings.get(i))
            .map_or("", |s| s)
    }
}

/// Strings appended one after the other, named by their order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Arena {
    bytes: String,
    ends: Vec<usize>,
}

impl Arena {
    /// Appends `s`; it is string number `len()` before the call.
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
    }

    /// String number `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or("")
    }
}
