//! Serve stage, request cache: the facets and total of a search (counting them visits every
//! matching passage, the ranked page does not), keyed by the normalised query, its filters and
//! the index generation, like a search engine's shard request cache. An entry is only ever
//! read for the generation it was counted on, and the whole cache is emptied when the index
//! reloads. Bounded in bytes; evicts the least useful entries first (`quick_cache`).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::facets::Facets;
use crate::search::SearchRequest;

/// Default bound of the cache, in MiB.
pub const DEFAULT_CACHE_MB: u64 = 64;

/// What decides the set of matching passages, normalised: the words of the query (runs of
/// white space are one space), whether every word is required, and the filters (order of
/// repeated filters and repeats do not matter: sections and entities must all match, any
/// value of a keyword field may). Paging, sort order and recency do not change the set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FacetKey {
    generation: u64,
    query: String,
    require_all: bool,
    since: Option<i64>,
    until: Option<i64>,
    sections: Vec<String>,
    entities: Vec<String>,
    /// Each keyword field filtered, with its values.
    keywords: Vec<(crate::model::Keyword, Vec<String>)>,
}

impl FacetKey {
    pub fn new(request: &SearchRequest, generation: u64) -> FacetKey {
        let set = |values: &[String]| {
            let mut values: Vec<String> = values
                .iter()
                .map(|value| value.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            values.sort_unstable();
            values.dedup();
            values
        };
        let filters = &request.filters;
        FacetKey {
            generation,
            query: request
                .query
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            require_all: request.require_all,
            since: filters.since.map(|date| date.timestamp()),
            until: filters.until.map(|date| date.timestamp()),
            sections: set(&filters.sections),
            entities: set(&filters.entities),
            keywords: filters
                .keywords()
                .map(|(keyword, values)| (keyword, set(values)))
                .collect(),
        }
    }
}

/// The generation of a loaded index: its segments and their deletes. Equal for two loads of
/// an unchanged index, different after any commit that changed it.
pub fn index_generation(searcher: &tantivy::Searcher) -> u64 {
    let mut hasher = DefaultHasher::new();
    for (segment, delete_opstamp) in searcher.generation().segments() {
        segment.hash(&mut hasher);
        delete_opstamp.hash(&mut hasher);
    }
    hasher.finish()
}

#[derive(Clone)]
struct FacetWeight;

impl Weighter<FacetKey, Arc<Facets>> for FacetWeight {
    fn weight(&self, key: &FacetKey, facets: &Arc<Facets>) -> u64 {
        let key_bytes: usize = key.query.len()
            + [&key.sections, &key.entities]
                .into_iter()
                .chain(key.keywords.iter().map(|(_, values)| values))
                .flat_map(|values| values.iter())
                .map(|value| value.len() + 24)
                .sum::<usize>();
        let facet_bytes: usize = facets
            .entities
            .iter()
            .map(|entity| entity.name.len() + 48)
            .chain(
                crate::model::Keyword::ALL
                    .into_iter()
                    .flat_map(|keyword| facets.keyword(keyword))
                    .chain(&facets.months)
                    .map(|count| count.value.len() + 32),
            )
            .sum();
        (key_bytes + facet_bytes + 160) as u64
    }
}

/// Facets (and so totals) of recent searches, with hit and miss counts.
pub struct FacetCache {
    entries: Option<Cache<FacetKey, Arc<Facets>, FacetWeight>>,
    generation: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl FacetCache {
    /// A cache of at most `megabytes` MiB; 0 turns caching off.
    pub fn new(megabytes: u64) -> FacetCache {
        let bytes = megabytes.saturating_mul(1 << 20);
        FacetCache {
            // About 1 KiB per entry.
            entries: (bytes > 0)
                .then(|| Cache::with_weighter((bytes / 1024).max(16) as usize, bytes, FacetWeight)),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The facets counted for `key`, if still held.
    pub fn get(&self, key: &FacetKey) -> Option<Arc<Facets>> {
        let found = self.entries.as_ref()?.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn insert(&self, key: FacetKey, facets: Arc<Facets>) {
        if let Some(entries) = &self.entries {
            entries.insert(key, facets);
        }
    }

    /// Forgets every entry when the index generation changed; returns whether it did.
    pub fn index_loaded(&self, generation: u64) -> bool {
        let previous = self.generation.swap(generation, Ordering::AcqRel);
        if previous != generation
            && let Some(entries) = &self.entries
        {
            entries.clear();
            return true;
        }
        false
    }

    /// (hits, misses) since the server started.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Filters;

    fn request(query: &str, entities: &[&str]) -> SearchRequest {
        let mut request = SearchRequest::new(query);
        request.filters = Filters {
            entities: entities.iter().map(|e| e.to_string()).collect(),
            ..Filters::default()
        };
        request
    }

    #[test]
    fn keys_ignore_spacing_filter_order_and_paging_but_not_the_words() {
        let a = FacetKey::new(&request("oil  prices", &["Iran", "Iraq"]), 1);
        let mut paged = request(" oil prices ", &["Iraq", "Iran", "Iran"]);
        paged.offset = 20;
        paged.sort = crate::search::SortOrder::Date;
        assert_eq!(a, FacetKey::new(&paged, 1));
        assert_ne!(a, FacetKey::new(&request("oil prices", &["Iran"]), 1));
        assert_ne!(
            a,
            FacetKey::new(&request("oil price", &["Iran", "Iraq"]), 1)
        );
        assert_ne!(
            a,
            FacetKey::new(&request("oil prices", &["Iran", "Iraq"]), 2)
        );
        let mut all = request("oil prices", &["Iran", "Iraq"]);
        all.require_all = true;
        assert_ne!(a, FacetKey::new(&all, 1));
    }

    #[test]
    fn a_new_generation_empties_the_cache_and_hits_are_counted() {
        let cache = FacetCache::new(1);
        cache.index_loaded(7);
        let key = FacetKey::new(&request("gas", &[]), 7);
        assert!(cache.get(&key).is_none());
        cache.insert(key.clone(), Arc::new(Facets::default()));
        assert!(cache.get(&key).is_some());
        assert_eq!(cache.hits_and_misses(), (1, 1));
        assert!(!cache.index_loaded(7));
        assert_eq!(cache.len(), 1);
        assert!(cache.index_loaded(8));
        assert!(cache.is_empty());
    }

    #[test]
    fn a_cache_of_zero_bytes_is_off() {
        let cache = FacetCache::new(0);
        let key = FacetKey::new(&request("gas", &[]), 1);
        cache.insert(key.clone(), Arc::new(Facets::default()));
        assert!(!cache.is_enabled());
        assert!(cache.get(&key).is_none());
        assert_eq!(cache.hits_and_misses(), (0, 0));
    }
}
