//! The tagger's weights: parsed from `data/ner_weights.tsv` (the training's output, the source
//! of truth) and laid out as the flat table the tagger looks features up in. `build.rs` includes
//! this file too and packs the shipped weights' table at compile time (`pack`), so that a process
//! only copies it in (`unpack`) instead of parsing 55,600 lines of decimals: the parse was most
//! of a one-file `newsdex inspect`. Hence: the standard library only, nothing from the crate.
//!
//! The same goes for the word classes (`data/word_classes.tsv`, made by
//! `scripts/gen_word_classes.py` from unlabelled text): `WordClasses` is their table, keyed by
//! `hash_lower`, which lives here so that the build script hashes words as the tagger does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, so that words hash without allocating and the same on every platform.
#[derive(Clone, Copy)]
pub struct Fnv(pub u64);

impl Fnv {
    pub fn new(template: u64) -> Fnv {
        let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
        hash.byte(template as u8);
        hash
    }

    #[inline]
    pub fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}

/// The hash of a word's lowercase form (the tagger's word feature, the gazetteer's first words,
/// the word classes' key).
pub fn hash_lower(text: &str) -> u64 {
    let mut hash = Fnv::new(0);
    if text.is_ascii() {
        for byte in text.bytes() {
            hash.byte(byte.to_ascii_lowercase());
        }
        return hash.0;
    }
    for c in text.chars().flat_map(char::to_lowercase) {
        let mut buffer = [0; 4];
        for byte in c.encode_utf8(&mut buffer).bytes() {
            hash.byte(byte);
        }
    }
    hash.0
}

/// What the unlabelled text says of a word: its case class (how often it is written in
/// lowercase where case tells, 0 for unknown) and three clusters of words seen in the same
/// contexts, coarse to fine (0 for none, else the cluster + 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordClass {
    pub case: u8,
    pub clusters: [u16; 3],
}

impl WordClass {
    fn pack(self) -> u32 {
        u32::from(self.case & 7)
            | (u32::from(self.clusters[0] & 0x3f) << 3)
            | (u32::from(self.clusters[1] & 0xff) << 9)
            | (u32::from(self.clusters[2] & 0x7ff) << 17)
    }

    fn unpack(value: u32) -> WordClass {
        WordClass {
            case: (value & 7) as u8,
            clusters: [
                ((value >> 3) & 0x3f) as u16,
                ((value >> 9) & 0xff) as u16,
                ((value >> 17) & 0x7ff) as u16,
            ],
        }
    }
}

/// The word classes as an open-addressing table of `u64`s: a word's fingerprint (the high half
/// of its `hash_lower`, never 0) above its packed class. Linear probing, at most half full.
#[derive(Default)]
pub struct WordClasses {
    slots: Vec<u64>,
}

const CLASSES_MAGIC: u64 = u64::from_le_bytes(*b"ndxwcl01");

impl WordClasses {
    /// The table of the TSV `scripts/gen_word_classes.py` writes: word, case class, three
    /// clusters (-1 for none). Lines that do not parse are skipped.
    pub fn from_tsv(text: &str) -> WordClasses {
        let mut rows = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            if cells.len() != 5 {
                continue;
            }
            let number = |cell: &str| cell.parse::<i32>().ok();
            let (Some(case), Some(a), Some(b), Some(c)) = (
                number(cells[1]),
                number(cells[2]),
                number(cells[3]),
                number(cells[4]),
            ) else {
                continue;
            };
            let cluster = |n: i32| (n + 1).clamp(0, 0x7ff) as u16;
            rows.push((
                hash_lower(cells[0]),
                WordClass {
                    case: case.clamp(0, 7) as u8,
                    clusters: [cluster(a), cluster(b), cluster(c)],
                },
            ));
        }
        let capacity = (rows.len() * 2).next_power_of_two().max(16);
        let mut table = WordClasses {
            slots: vec![0; capacity],
        };
        for (hash, class) in rows {
            let fingerprint = u64::from(fingerprint(hash));
            let mut slot = table.slot(hash);
            let mut taken = false;
            while table.slots[slot] != 0 {
                taken |= table.slots[slot] >> 32 == fingerprint;
                slot = (slot + 1) & (capacity - 1);
            }
            // A word whose fingerprint another in its run has (one in billions) is left out.
            if !taken {
                table.slots[slot] = (fingerprint << 32) | u64::from(class.pack());
            }
        }
        table
    }

    #[inline]
    fn slot(&self, hash: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    /// The class of the word whose `hash_lower` is `hash`; the default for an unknown word.
    #[inline]
    pub fn get(&self, hash: u64) -> WordClass {
        if self.slots.is_empty() {
            return WordClass::default();
        }
        let wanted = u64::from(fingerprint(hash));
        let mask = self.slots.len() - 1;
        let mut slot = self.slot(hash);
        loop {
            let found = self.slots[slot];
            if found == 0 {
                return WordClass::default();
            }
            if found >> 32 == wanted {
                return WordClass::unpack(found as u32);
            }
            slot = (slot + 1) & mask;
        }
    }

    pub fn len(&self) -> usize {
        self.slots.iter().filter(|slot| **slot != 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Magic, slot count, then the slots, little-endian.
    pub fn pack(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(16 + self.slots.len() * 8);
        bytes.extend_from_slice(&CLASSES_MAGIC.to_le_bytes());
        bytes.extend_from_slice(&(self.slots.len() as u64).to_le_bytes());
        for slot in &self.slots {
            bytes.extend_from_slice(&slot.to_le_bytes());
        }
        bytes
    }

    /// The table `pack` made these bytes from; `None` if they are not one.
    pub fn unpack(bytes: &[u8]) -> Option<WordClasses> {
        let word = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        };
        let (magic, n_slots) = (word(0)?, usize::try_from(word(8)?).ok()?);
        if magic != CLASSES_MAGIC
            || (n_slots != 0 && !n_slots.is_power_of_two())
            || bytes.len() != 16 + n_slots.checked_mul(8)?
        {
            return None;
        }
        Some(WordClasses {
            slots: bytes[16..]
                .chunks_exact(8)
                .map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap_or_default()))
                .collect(),
        })
    }
}

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

/// One slot of the table: a feature's fingerprint and its weights, in one 16-byte cell, so
/// that a lookup reads one cache line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct Slot {
    /// `fingerprint(key)`; 0 marks an empty slot.
    pub fingerprint: u32,
    /// The weights times `FeatureTable::scale`, rounded.
    pub weights: [i16; N_TAGS],
}

/// What a slot keeps of a feature's 64-bit hash: its high half (the slot index comes from the
/// whole hash), never 0.
#[inline]
pub fn fingerprint(key: u64) -> u32 {
    ((key >> 32) as u32).max(1)
}

/// The weights as a flat open-addressing table: a feature is looked up for every candidate
/// token and template, and most of the time goes to waiting for memory. So a slot holds the
/// feature's weights next to its fingerprint (one cache line a lookup, 2 MB for the shipped
/// 55,600 features where keys and `f32` rows apart took 3.7 MB and two lines), and `scores`
/// first loads the slots of all of a token's features (independent loads the processor
/// overlaps) and only then compares. Linear probing, at most half full; a miss reads one slot.
///
/// Weights are 16-bit integers: the training's weights times `scale`, which maps the largest
/// to `i16::MAX` (a step of about 0.6 on weights of hundreds to thousands). A feature absent
/// from the table whose fingerprint equals a present one's in the same probe run adds that
/// one's weights: one lookup in about four billion.
#[derive(Default)]
pub struct FeatureTable {
    /// A power of two of them (or none).
    pub slots: Vec<Slot>,
    /// The weights of the feature whose hash is 0, if it has any.
    pub zero: Option<[i16; N_TAGS]>,
    /// Integer weight = weight * scale.
    pub scale: f32,
    pub len: usize,
}

impl FeatureTable {
    /// The table of `map`.
    ///
    /// # Panics
    /// If two features of `map` share a fingerprint and a probe run, so that one would read the
    /// other's weights (the build script's check of the shipped weights).
    pub fn from_map(map: &WeightMap) -> FeatureTable {
        let max = map
            .values()
            .flatten()
            .fold(0.0f32, |max, weight| max.max(weight.abs()));
        let scale = if max > 0.0 {
            f32::from(i16::MAX) / max
        } else {
            1.0
        };
        let quantise = |row: &[f32; N_TAGS]| row.map(|weight| (weight * scale).round() as i16);
        let capacity = (map.len() * 2).next_power_of_two().max(16);
        let mut table = FeatureTable {
            slots: vec![Slot::default(); capacity],
            zero: None,
            scale,
            len: map.len(),
        };
        for (&key, row) in map {
            if key == 0 {
                table.zero = Some(quantise(row));
                continue;
            }
            let mut slot = table.slot(key);
            while table.slots[slot].fingerprint != 0 {
                slot = (slot + 1) & (capacity - 1);
            }
            table.slots[slot] = Slot {
                fingerprint: fingerprint(key),
                weights: quantise(row),
            };
        }
        for (&key, row) in map {
            assert_eq!(
                table.get(key),
                Some(quantise(row)),
                "feature {key:x} shares its fingerprint with another in its probe run"
            );
        }
        table
    }

    #[inline]
    pub fn slot(&self, key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product index a power-of-two table.
        let bits = self.slots.len().trailing_zeros();
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    /// The weights of `key`, probing on from `slot` whose content `found` is already loaded;
    /// zeros for a feature the table does not hold.
    #[inline]
    pub fn weights_from(&self, key: u64, slot: usize, found: Slot) -> [i16; N_TAGS] {
        self.probe(key, slot, found).unwrap_or_default()
    }

    /// The integer weights of `key`, if the table holds it.
    pub fn get(&self, key: u64) -> Option<[i16; N_TAGS]> {
        if key == 0 {
            return self.zero;
        }
        if self.slots.is_empty() {
            return None;
        }
        let slot = self.slot(key);
        self.probe(key, slot, self.slots[slot])
    }

    /// Linear probing from `slot`, whose content `found` is already loaded.
    #[inline]
    fn probe(&self, key: u64, mut slot: usize, mut found: Slot) -> Option<[i16; N_TAGS]> {
        if key == 0 {
            return self.zero;
        }
        let wanted = fingerprint(key);
        let mask = self.slots.len() - 1;
        loop {
            if found.fingerprint == wanted {
                return Some(found.weights);
            }
            if found.fingerprint == 0 {
                return None;
            }
            slot = (slot + 1) & mask;
            found = self.slots[slot];
        }
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

/// The TSV that `parse_tsv` reads: one line a feature, sorted by hash, weights to three decimals.
pub fn weights_tsv(map: &WeightMap) -> String {
    let mut rows: Vec<(&u64, &[f32; N_TAGS])> = map.iter().collect();
    rows.sort_by_key(|(key, _)| **key);
    let mut out = String::new();
    for (key, row) in rows {
        out.push_str(&format!("{key:x}"));
        for weight in row {
            if *weight == 0.0 {
                out.push_str("\t0");
            } else {
                out.push_str(&format!("\t{weight:.3}"));
            }
        }
        out.push('\n');
    }
    out
}

/// First bytes of a packed table; a change of layout changes them.
const PACKED_MAGIC: u64 = u64::from_le_bytes(*b"ndxtbl02");

/// Bytes of a slot, packed: the fingerprint, the weights, two bytes of padding.
const SLOT_BYTES: usize = 16;
/// Bytes before the slots: magic, number of features, slot count, scale, the feature 0's
/// presence and weights.
const HEADER_BYTES: usize = 48;

impl Slot {
    fn pack(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.fingerprint.to_le_bytes());
        for weight in self.weights {
            out.extend_from_slice(&weight.to_le_bytes());
        }
        out.extend_from_slice(&[0; 2]);
    }

    fn unpack(bytes: &[u8]) -> Slot {
        let half = |at: usize| i16::from_le_bytes([bytes[at], bytes[at + 1]]);
        Slot {
            fingerprint: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            weights: std::array::from_fn(|tag| half(4 + 2 * tag)),
        }
    }
}

impl FeatureTable {
    /// The table as bytes, little-endian: magic, number of features, slot count, scale, then
    /// the feature 0 (a slot whose fingerprint says whether it has weights), then the slots.
    pub fn pack(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + self.slots.len() * SLOT_BYTES);
        for word in [
            PACKED_MAGIC,
            self.len as u64,
            self.slots.len() as u64,
            u64::from(self.scale.to_bits()),
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        let zero = Slot {
            fingerprint: u32::from(self.zero.is_some()),
            weights: self.zero.unwrap_or_default(),
        };
        zero.pack(&mut bytes);
        for slot in &self.slots {
            slot.pack(&mut bytes);
        }
        bytes
    }

    /// The table `pack` made these bytes from; `None` if they are not one.
    pub fn unpack(bytes: &[u8]) -> Option<FeatureTable> {
        let word = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        };
        let (magic, len, n_slots, scale) = (word(0)?, word(8)?, word(16)?, word(24)?);
        let n_slots = usize::try_from(n_slots).ok()?;
        let expected = n_slots.checked_mul(SLOT_BYTES)?.checked_add(HEADER_BYTES)?;
        if magic != PACKED_MAGIC
            || (n_slots != 0 && !n_slots.is_power_of_two())
            || bytes.len() != expected
        {
            return None;
        }
        let zero = Slot::unpack(&bytes[32..HEADER_BYTES]);
        Some(FeatureTable {
            slots: bytes[HEADER_BYTES..]
                .chunks_exact(SLOT_BYTES)
                .map(Slot::unpack)
                .collect(),
            zero: (zero.fingerprint != 0).then_some(zero.weights),
            scale: f32::from_bits(u32::try_from(scale).ok()?),
            len: usize::try_from(len).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `row` as the table holds it.
    fn quantised(table: &FeatureTable, row: &[f32; N_TAGS]) -> [i16; N_TAGS] {
        row.map(|weight| (weight * table.scale).round() as i16)
    }

    #[test]
    fn feature_table_finds_every_key_and_only_those() {
        let mut map = WeightMap::default();
        // Enough keys to collide in a 2x table, and the feature 0.
        for key in 0..5_000u64 {
            let key = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            map.insert(key, [key as f32, 1.0, 2.0, 3.0, 4.0]);
        }
        let table = FeatureTable::from_map(&map);
        assert_eq!(table.len, map.len());
        for (key, row) in &map {
            assert_eq!(table.get(*key), Some(quantised(&table, row)), "{key:x}");
            let slot = table.slot(*key);
            let probed = table.weights_from(*key, slot, table.slots[slot]);
            assert_eq!(probed, quantised(&table, row), "{key:x}");
        }
        assert_eq!(table.get(0x5eed_0000_0001), None);
        let slot = table.slot(0x5eed_0000_0001);
        assert_eq!(
            table.weights_from(0x5eed_0000_0001, slot, table.slots[slot]),
            [0; N_TAGS]
        );
        map.remove(&0);
        let without_zero = FeatureTable::from_map(&map);
        assert_eq!(without_zero.get(0), None);
    }

    #[test]
    fn quantised_weights_keep_the_largest_and_the_order_of_scores() {
        let map: WeightMap = [
            (1, [20_000.0, -20_000.0, 0.0, 0.6, -0.6]),
            (2, [882.941, -882.941, 0.0, 0.0, 1.0]),
        ]
        .into_iter()
        .collect();
        let table = FeatureTable::from_map(&map);
        assert_eq!(table.get(1).map(|row| row[0]), Some(i16::MAX));
        assert_eq!(table.get(1).map(|row| row[1]), Some(-i16::MAX));
        // A step is 20,000 / 32,767: 0.6 rounds to one step, 882.941 to 1,447 steps.
        assert_eq!(table.get(1).map(|row| row[3]), Some(1));
        assert_eq!(table.get(2), Some([1447, -1447, 0, 0, 2]));
    }

    #[test]
    fn a_packed_table_unpacks_to_itself() {
        let map: WeightMap = [(0, [1.0; N_TAGS]), (7, [0.5, -2.0, 0.0, 3.25, 1e-3])]
            .into_iter()
            .collect();
        let mut without_zero = map.clone();
        without_zero.remove(&0);
        for table in [
            FeatureTable::from_map(&map),
            FeatureTable::from_map(&without_zero),
            FeatureTable::default(),
        ] {
            let bytes = table.pack();
            let unpacked = FeatureTable::unpack(&bytes).expect("a packed table");
            assert_eq!(unpacked.slots, table.slots);
            assert_eq!(
                (unpacked.len, unpacked.zero, unpacked.scale.to_bits()),
                (table.len, table.zero, table.scale.to_bits())
            );
            assert!(FeatureTable::unpack(&bytes[..bytes.len() - 1]).is_none());
            let mut other_magic = bytes.clone();
            other_magic[0] ^= 1;
            assert!(FeatureTable::unpack(&other_magic).is_none());
        }
        let table = FeatureTable::from_map(&map);
        assert_eq!(table.get(7), Some(quantised(&table, &map[&7])));
        assert_eq!(table.get(0), Some(quantised(&table, &[1.0; N_TAGS])));
    }

    #[test]
    fn word_classes_pack_unpack_and_find_their_words() {
        let tsv = "# comment\nthe\t1\t0\t5\t700\nparis\t5\t47\t191\t-1\nbad line\n";
        let table = WordClasses::from_tsv(tsv);
        assert_eq!(table.len(), 2);
        let unpacked = WordClasses::unpack(&table.pack()).expect("a packed table");
        for classes in [&table, &unpacked] {
            assert_eq!(
                classes.get(hash_lower("The")),
                WordClass {
                    case: 1,
                    clusters: [1, 6, 701]
                }
            );
            assert_eq!(
                classes.get(hash_lower("PARIS")),
                WordClass {
                    case: 5,
                    clusters: [48, 192, 0]
                }
            );
            assert_eq!(classes.get(hash_lower("London")), WordClass::default());
        }
        assert!(WordClasses::unpack(&table.pack()[1..]).is_none());
        assert_eq!(WordClasses::default().get(1), WordClass::default());
    }

    #[test]
    fn weights_written_as_tsv_parse_back() {
        let map: WeightMap = [(0xab, [1.5, -2.25, 0.0, 3.0, 0.001]), (1, [0.0; N_TAGS])]
            .into_iter()
            .collect();
        let tsv = weights_tsv(&map);
        assert_eq!(
            tsv,
            "1\t0\t0\t0\t0\t0\nab\t1.500\t-2.250\t0\t3.000\t0.001\n"
        );
        assert_eq!(parse_tsv(&tsv), map);
    }
}
