//! The tagger's weights: parsed from `data/ner_weights.tsv` (the training's output, the source
//! of truth) and laid out as the flat table the tagger looks features up in. `build.rs` includes
//! this file too and packs the shipped weights' table at compile time (`pack`), so that a process
//! only copies it in (`unpack`) instead of parsing 57,000 lines of decimals: the parse was most
//! of a one-file `newsdex inspect`. Hence: the standard library only, nothing from the crate.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Weights a feature: one a tag.
pub const N_TAGS: usize = 5;

/// Keys are already hashes: pass them through.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

pub type WeightMap = HashMap<u64, [f32; N_TAGS], BuildHasherDefault<IdentityHasher>>;

/// The weights as a flat open-addressing table: a feature is looked up for every candidate
/// token and template, and most of the time goes to waiting for memory, so `scores` first
/// loads the key slots of all of a token's features (independent loads the processor overlaps)
/// and only then compares. Linear probing, at most half full; a miss reads one key slot.
#[derive(Default)]
pub struct FeatureTable {
    /// 0 marks an empty slot; a feature whose hash is 0 has its row at `zero_idx()`.
    pub keys: Vec<u64>,
    /// One row a slot, then a row of zeros (any miss), then the row of the feature 0.
    pub rows: Vec<[f32; N_TAGS]>,
    /// The feature whose hash is 0 has weights.
    has_zero: bool,
    pub len: usize,
}

impl FeatureTable {
    pub fn from_map(map: &WeightMap) -> FeatureTable {
        let capacity = (map.len() * 2).next_power_of_two().max(16);
        let mut table = FeatureTable {
            keys: vec![0; capacity],
            rows: vec![[0.0; N_TAGS]; capacity + 2],
            has_zero: false,
            len: map.len(),
        };
        for (&key, row) in map {
            if key == 0 {
                table.rows[capacity + 1] = *row;
                table.has_zero = true;
                continue;
            }
            let mut slot = table.slot(key);
            while table.keys[slot] != 0 {
                slot = (slot + 1) & (capacity - 1);
            }
            table.keys[slot] = key;
            table.rows[slot] = *row;
        }
        table
    }

    #[inline]
    pub fn slot(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product index a power-of-two table.
        let bits = self.keys.len().trailing_zeros();
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    pub fn miss_idx(&self) -> usize {
        self.keys.len()
    }

    /// The row index of `key`, probing on from `slot` whose key `found` is already loaded.
    #[inline]
    pub fn row_idx(&self, key: u64, mut slot: usize, mut found: u64) -> usize {
        if key == 0 {
            return if self.has_zero {
                self.keys.len() + 1
            } else {
                self.miss_idx()
            };
        }
        let mask = self.keys.len() - 1;
        loop {
            if found == key {
                return slot;
            }
            if found == 0 {
                return self.miss_idx();
            }
            slot = (slot + 1) & mask;
            found = self.keys[slot];
        }
    }

    pub fn get(&self, key: u64) -> Option<&[f32; N_TAGS]> {
        if self.keys.is_empty() {
            return None;
        }
        let slot = self.slot(key);
        let idx = self.row_idx(key, slot, self.keys[slot]);
        (idx != self.miss_idx()).then(|| &self.rows[idx])
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, &[f32; N_TAGS])> {
        let zero = self.get(0).map(|row| (0, row));
        zero.into_iter().chain(
            self.keys
                .iter()
                .zip(&self.rows)
                .filter(|(key, _)| **key != 0)
                .map(|(key, row)| (*key, row)),
        )
    }
}

/// The weights a TSV file holds: a feature a line, its hash in hex, then one weight a tag. Lines
/// that do not parse are skipped (the shipped file is checked by a unit test).
pub fn parse_tsv(text: &str) -> WeightMap {
    let mut weights = WeightMap::default();
    for line in text.lines() {
        let mut cells = line.split('\t');
        let Some(key) = cells
            .next()
            .and_then(|key| u64::from_str_radix(key, 16).ok())
        else {
            continue;
        };
        let mut row = [0.0; N_TAGS];
        let mut n_cells = 0;
        for (slot, cell) in row.iter_mut().zip(cells) {
            *slot = cell.parse().unwrap_or(0.0);
            n_cells += 1;
        }
        if n_cells == N_TAGS {
            weights.insert(key, row);
        }
    }
    weights
}

/// First bytes of a packed table; a change of layout changes them.
const PACKED_MAGIC: u64 = u64::from_le_bytes(*b"ndxtbl01");

impl FeatureTable {
    /// The table as bytes, little-endian: magic, number of features, whether the feature 0 has
    /// weights, the slot count; then the keys, then the rows.
    pub fn pack(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(32 + self.keys.len() * 8 + self.rows.len() * N_TAGS * 4);
        for word in [
            PACKED_MAGIC,
            self.len as u64,
            u64::from(self.has_zero),
            self.keys.len() as u64,
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        for key in &self.keys {
            bytes.extend_from_slice(&key.to_le_bytes());
        }
        for weight in self.rows.iter().flatten() {
            bytes.extend_from_slice(&weight.to_le_bytes());
        }
        bytes
    }

    /// The table `pack` made these bytes from; `None` if they are not one.
    pub fn unpack(bytes: &[u8]) -> Option<FeatureTable> {
        let word = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        };
        let (magic, len, has_zero, n_slots) = (word(0)?, word(8)?, word(16)?, word(24)?);
        let n_slots = usize::try_from(n_slots).ok()?;
        let keys_end = n_slots.checked_mul(8)?.checked_add(32)?;
        let expected = match n_slots {
            0 => 32,
            _ => keys_end.checked_add((n_slots + 2).checked_mul(N_TAGS * 4)?)?,
        };
        if magic != PACKED_MAGIC
            || (n_slots != 0 && !n_slots.is_power_of_two())
            || bytes.len() != expected
        {
            return None;
        }
        let keys = bytes[32..keys_end]
            .chunks_exact(8)
            .map(|key| u64::from_le_bytes(key.try_into().expect("8 bytes")))
            .collect();
        let rows = bytes[keys_end..]
            .chunks_exact(N_TAGS * 4)
            .map(|row| {
                std::array::from_fn(|tag| {
                    f32::from_le_bytes(row[tag * 4..tag * 4 + 4].try_into().expect("4 bytes"))
                })
            })
            .collect();
        Some(FeatureTable {
            keys,
            rows,
            has_zero: has_zero != 0,
            len: usize::try_from(len).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_table_finds_every_key_and_only_those() {
        let mut map = WeightMap::default();
        // Enough keys to collide in a 2x table, and the feature 0.
        for key in 0..5_000u64 {
            let key = key.wrapping_mul(0x0100_0000_01b3);
            map.insert(key, [key as f32, 1.0, 2.0, 3.0, 4.0]);
        }
        let table = FeatureTable::from_map(&map);
        for (key, row) in &map {
            assert_eq!(table.get(*key), Some(row), "{key:x}");
        }
        assert_eq!(table.get(0x5eed_0000_0001), None);
        assert_eq!(table.iter().count(), map.len());
        map.remove(&0);
        let without_zero = FeatureTable::from_map(&map);
        assert_eq!(without_zero.get(0), None);
        assert_eq!(without_zero.iter().count(), map.len());
    }

    #[test]
    fn a_packed_table_unpacks_to_itself() {
        let map: WeightMap = [(0, [1.0; N_TAGS]), (7, [0.5, -2.0, 0.0, 3.25, 1e-3])]
            .into_iter()
            .collect();
        for table in [FeatureTable::from_map(&map), FeatureTable::default()] {
            let bytes = table.pack();
            let unpacked = FeatureTable::unpack(&bytes).expect("a packed table");
            assert_eq!(unpacked.keys, table.keys);
            assert_eq!(unpacked.rows, table.rows);
            assert_eq!(
                (unpacked.len, unpacked.has_zero),
                (table.len, table.has_zero)
            );
            assert!(FeatureTable::unpack(&bytes[..bytes.len() - 1]).is_none());
            let mut other_magic = bytes.clone();
            other_magic[0] ^= 1;
            assert!(FeatureTable::unpack(&other_magic).is_none());
        }
        assert_eq!(
            FeatureTable::from_map(&map).get(7),
            Some(&[0.5, -2.0, 0.0, 3.25, 1e-3])
        );
    }
}
