//! Near-duplicate fingerprints: an article's words -> a 64-bit SimHash over its word
//! 3-shingles, and the near-duplicate relation (Hamming distance at most
//! `NEAR_DUPLICATE_DISTANCE`). Pure: the index stores the value (`index::passage_document`),
//! searches fold near-copies (`search::dedup`), `index stats` counts them (`count_near_copies`).
//!
//! The words are those of the English analyser (`analysis`: lower case, folded, stop words
//! dropped, stemmed) over the article's lead and paragraphs (not its title, which outlets
//! rewrite), so case, punctuation and small function-word edits change nothing. Each shingle of
//! three consecutive words is hashed; bit `i` of the fingerprint is set when most shingles'
//! hashes have it. A copy that changes a few shingles of many moves few bits; an unrelated text
//! is about 32 bits away. An article with fewer than `MIN_SHINGLES` shingles (a brief) gets a
//! hash of its exact word sequence instead: two different briefs are then ~32 bits apart, and
//! only briefs with the same words collapse.

use std::cell::RefCell;
use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use crate::analysis::analyse_english_on_thread;
use crate::model::Article;

/// Two fingerprints at most this many bits apart are near-duplicates. Chosen by measurement on
/// Reuters-21578 (`examples/dup_pairs.rs`, docs/dedup.md): every inspected pair up to 7 bits
/// apart was one story (a repeat, a corrected or retitled copy); at 8 bits, different stories
/// built on one template (two days' Fed repurchases) and an unrelated pair appear.
pub const NEAR_DUPLICATE_DISTANCE: u32 = 6;

/// Fewer shingles than this and the fingerprint is an exact hash of the words (a brief).
pub const MIN_SHINGLES: usize = 20;

/// Bits between two fingerprints.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Whether two fingerprints are near-duplicates.
pub fn is_near(a: u64, b: u64) -> bool {
    distance(a, b) <= NEAR_DUPLICATE_DISTANCE
}

/// SplitMix64's finaliser: spreads a combined hash over all 64 bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The fingerprint of a sequence of analysed terms, or `None` when there are none.
pub fn terms_fingerprint(terms: &[u64]) -> Option<u64> {
    if terms.is_empty() {
        return None;
    }
    if terms.len() < MIN_SHINGLES + 2 {
        // A brief: the exact sequence of its words.
        let mut hash = 0x9e37_79b9_7f4a_7c15_u64;
        for &term in terms {
            hash = mix(hash.rotate_left(5) ^ term);
        }
        return Some(hash);
    }
    // Bit `i` is set when more shingles' hashes have it than not: counted without branches,
    // so that the loop over the 64 bits is vectorised.
    let mut ones = [0u32; 64];
    let mut shingles = 0u32;
    for shingle in terms.windows(3) {
        let hash = mix(shingle[0] ^ shingle[1].rotate_left(21) ^ shingle[2].rotate_left(42));
        for (bit, count) in ones.iter_mut().enumerate() {
            *count += (hash >> bit & 1) as u32;
        }
        shingles += 1;
    }
    Some(
        ones.iter()
            .enumerate()
            .filter(|(_, count)| 2 * **count > shingles)
            .fold(0u64, |bits, (bit, _)| bits | 1 << bit),
    )
}

/// Appends the hashes of the terms of an English analysis (`analyse_english_on_thread`).
fn push_term_hashes(analysed: &str, terms: &mut Vec<u64>) {
    terms.extend(
        analysed
            .split(' ')
            .filter(|term| !term.is_empty())
            .map(|term| xxh3_64(term.as_bytes())),
    );
}

/// The text without a wire dateline at its start (`LONDON, March 3 - `, `PARIS (AP) -- `),
/// which copies of one story change more often than any other words.
pub fn strip_dateline(text: &str) -> &str {
    let text = text.trim_start();
    let end = (0..=text.len().min(60))
        .rev()
        .find(|at| text.is_char_boundary(*at))
        .unwrap_or(0);
    let head = &text[..end];
    let Some(dash) = head.find(" - ").or_else(|| head.find(" -- ")) else {
        return text;
    };
    let place = &head[..dash];
    let upper_start = place
        .split(|c: char| !c.is_alphabetic())
        .next()
        .is_some_and(|word| word.len() > 1 && word.chars().all(char::is_uppercase));
    if upper_start {
        text[dash..].trim_start_matches([' ', '-'])
    } else {
        text
    }
}

/// The fingerprint of a text's words (a dateline at its start left out).
pub fn text_fingerprint(text: &str) -> Option<u64> {
    let mut analysed = String::new();
    analyse_english_on_thread(strip_dateline(text), &mut analysed);
    let mut terms = Vec::new();
    push_term_hashes(&analysed, &mut terms);
    terms_fingerprint(&terms)
}

struct Cache {
    /// The last article's id and text size, and its fingerprint.
    last: Option<(String, usize, Option<u64>)>,
    /// The texts the last fingerprint was made of (trimmed) and their English analysis
    /// (`analysis::analyse_english_into`), the first `analysed` of them current: a passage
    /// that is one of these texts, as most are, takes its analysis for `all` from here
    /// (`analysed_passage`) instead of analysing its words a second time.
    texts: Vec<(String, String)>,
    analysed: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache {
        last: None,
        texts: Vec::new(),
        analysed: 0,
    }) };
}

impl Cache {
    /// Analyses `texts`, keeping each with its analysis, and returns their terms' hashes.
    fn analyse<'a>(&mut self, texts: impl Iterator<Item = &'a str>) -> Vec<u64> {
        let mut terms = Vec::new();
        self.analysed = 0;
        for text in texts {
            if self.analysed == self.texts.len() {
                self.texts.push(Default::default());
            }
            let (kept, analysed) = &mut self.texts[self.analysed];
            kept.clear();
            kept.push_str(text.trim());
            analyse_english_on_thread(text, analysed);
            push_term_hashes(analysed, &mut terms);
            self.analysed += 1;
        }
        terms
    }
}

/// Writes the English analysis of `text` into `out` when `text` is one of the texts (trimmed)
/// of the last article this thread fingerprinted (`article_fingerprint`), and says whether it
/// was: the same value `analysis::analyse_english_on_thread` writes, since the analysis of a
/// text does not depend on the spaces around it.
pub fn analysed_passage(text: &str, out: &mut String) -> bool {
    CACHE.with_borrow(|cache| {
        let found = cache.texts[..cache.analysed]
            .iter()
            .find(|(kept, _)| kept.len() == text.len() && kept == text);
        if let Some((_, analysed)) = found {
            out.clear();
            out.push_str(analysed);
        }
        found.is_some()
    })
}

/// The texts an article's fingerprint is made of: its lead and paragraphs (the first without
/// a dateline). An article of a title alone has none: titles repeat across different stories
/// ("U.S. TREASURY BALANCE"), so such an article is never anyone's copy.
fn article_texts(article: &Article) -> Vec<&str> {
    let no_paragraphs = article.sections.iter().all(|s| s.paragraphs.is_empty());
    if no_paragraphs && article.lead.trim() == article.title.trim() {
        // The reader made the lead of the title: a title alone.
        return Vec::new();
    }
    let mut texts: Vec<&str> = std::iter::once(article.lead.as_str())
        .chain(
            article
                .sections
                .iter()
                .flat_map(|section| section.paragraphs.iter().map(String::as_str)),
        )
        .filter(|text| !text.is_empty())
        .collect();
    // The first text: the lead, or the first paragraph when the title was the lead.
    if let Some(first) = texts.first_mut() {
        *first = strip_dateline(first);
    }
    texts
}

/// The article's fingerprint, `None` when its lead and paragraphs have no words. Computed once per article on each
/// thread: the documents of its passages are made one after another, and each asks.
pub fn article_fingerprint(article: &Article) -> Option<u64> {
    let texts = article_texts(article);
    let size: usize = texts.iter().map(|text| text.len()).sum();
    CACHE.with_borrow_mut(|cache| {
        if let Some((id, last_size, fingerprint)) = &cache.last
            && *id == article.id
            && *last_size == size
        {
            return *fingerprint;
        }
        let terms = cache.analyse(texts.into_iter());
        let fingerprint = terms_fingerprint(&terms);
        cache.last = Some((article.id.clone(), size, fingerprint));
        fingerprint
    })
}

/// How many of these articles' fingerprints are near-copies of another one's: the articles
/// minus the groups they form, where a group joins fingerprints within
/// `NEAR_DUPLICATE_DISTANCE` (transitively). Exact copies are grouped first; distinct values
/// are compared only within buckets of an equal chunk: cut into `k + 1` chunks, two
/// fingerprints at most `k` bits apart are equal in at least one (pigeonhole).
pub fn count_near_copies(fingerprints: &[u64]) -> u64 {
    let mut distinct: Vec<u64> = fingerprints.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let exact_copies = (fingerprints.len() - distinct.len()) as u64;
    let mut parent: Vec<usize> = (0..distinct.len()).collect();
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    let chunks = NEAR_DUPLICATE_DISTANCE as usize + 1;
    let mut joined = 0u64;
    for chunk in 0..chunks {
        // Bits [start, end) of 64, the chunks as even as can be.
        let (start, end) = (chunk * 64 / chunks, (chunk + 1) * 64 / chunks);
        let mask = (1u64 << (end - start)) - 1;
        let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
        for (idx, &fingerprint) in distinct.iter().enumerate() {
            buckets
                .entry(fingerprint >> start & mask)
                .or_default()
                .push(idx);
        }
        for members in buckets.values() {
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    if is_near(distinct[a], distinct[b]) {
                        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                        if ra != rb {
                            parent[ra.max(rb)] = ra.min(rb);
                            joined += 1;
                        }
                    }
                }
            }
        }
    }
    exact_copies + joined
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "LONDON, March 3 - The Bank of England said it provided the money \
        market with 215 mln stg in assistance this afternoon, after forecasting a shortage of \
        around 450 mln stg earlier in the day. The central bank bought bills outright in band \
        two at 10 7/8 pct and in band three at 10 13/16 pct. Dealers said the market was \
        expecting further help later as the shortage was larger than first thought, and \
        sterling traded slightly firmer against the dollar in quiet trading on the foreign \
        exchanges. The bank revised its forecast of the shortage to around 500 mln stg.";

    fn fingerprint(text: &str) -> u64 {
        text_fingerprint(text).expect("words")
    }

    #[test]
    fn identical_text_has_equal_fingerprints() {
        assert_eq!(fingerprint(STORY), fingerprint(STORY));
        // Case and punctuation are not words.
        assert_eq!(
            fingerprint(STORY),
            fingerprint(&STORY.to_uppercase().replace(',', ""))
        );
    }

    #[test]
    fn a_lightly_edited_copy_is_near() {
        let edited = STORY
            .replace("LONDON, March 3", "NEW YORK, March 4")
            .replace("quiet trading", "thin trading");
        let d = distance(fingerprint(STORY), fingerprint(&edited));
        assert!(
            d <= NEAR_DUPLICATE_DISTANCE,
            "an edited copy is {d} bits away"
        );
    }

    #[test]
    fn another_story_on_the_same_topic_is_far() {
        let other = "LONDON, March 4 - The Bank of England said it did not intervene in the \
            money market this morning, forecasting a surplus of around 300 mln stg. Dealers \
            said sterling fell against the dollar on the foreign exchanges after weaker \
            trade figures, and band two bills were offered at 10 3/4 pct. The central bank \
            is expected to take out the surplus later in the day, dealers said, while money \
            market rates eased on hopes of a cut in bank base lending rates next week.";
        let d = distance(fingerprint(STORY), fingerprint(other));
        assert!(
            d > NEAR_DUPLICATE_DISTANCE * 3,
            "two stories on one topic are {d} bits apart"
        );
    }

    #[test]
    fn short_briefs_collapse_only_when_their_words_are_the_same() {
        let brief = "Acme Corp said it raised its quarterly dividend to 12 cts a share \
            from 10 cts, payable April 1 to holders of record March 15.";
        let other = "Zenith Inc said it raised its quarterly dividend to 15 cts a share \
            from 12 cts, payable April 10 to holders of record March 20.";
        assert_eq!(fingerprint(brief), fingerprint(&brief.to_lowercase()));
        let d = distance(fingerprint(brief), fingerprint(other));
        assert!(d > NEAR_DUPLICATE_DISTANCE, "two briefs are {d} bits apart");
        // One word changed in a brief: not collapsed either (exact only).
        let edited = brief.replace("quarterly", "annual");
        assert!(!is_near(fingerprint(brief), fingerprint(&edited)));
    }

    #[test]
    fn datelines_are_left_out() {
        assert_eq!(
            strip_dateline("LONDON, March 3 - The bank said"),
            "The bank said"
        );
        assert_eq!(
            strip_dateline("NEW YORK (AP) -- Stocks fell"),
            "Stocks fell"
        );
        assert_eq!(
            strip_dateline("The bank - a lender - said"),
            "The bank - a lender - said"
        );
    }

    #[test]
    fn an_article_of_a_title_alone_has_no_fingerprint() {
        let title_alone = |id: &str| Article {
            id: id.into(),
            title: "U.S. TREASURY BALANCE".into(),
            lead: "U.S. TREASURY BALANCE".into(),
            title_repeats_text: true,
            ..Article::default()
        };
        assert_eq!(article_fingerprint(&title_alone("a")), None);
        let with_text = Article {
            lead: STORY.into(),
            ..title_alone("b")
        };
        assert_eq!(article_fingerprint(&with_text), text_fingerprint(STORY));
    }

    #[test]
    fn an_articles_texts_keep_their_analysis_until_the_next_article() {
        let analysed = |text: &str| {
            let mut out = String::new();
            analyse_english_on_thread(text, &mut out);
            out
        };
        let taken = |text: &str| {
            let mut out = String::from("left over");
            analysed_passage(text, &mut out).then_some(out)
        };
        let paragraph = "Dealers said the market expected further help.";
        let article = Article {
            id: "a".into(),
            lead: STORY.into(),
            sections: vec![crate::model::Section {
                heading: None,
                paragraphs: vec![format!(" {paragraph} ")],
            }],
            ..Article::default()
        };
        article_fingerprint(&article);
        // A text of the article, trimmed: its analysis.
        assert_eq!(taken(paragraph), Some(analysed(paragraph)));
        // The lead was analysed without its dateline: not the lead as written.
        assert_eq!(taken(STORY), None);
        assert_eq!(
            taken(strip_dateline(STORY)),
            Some(analysed(strip_dateline(STORY)))
        );
        assert_eq!(taken("Another text altogether."), None);
        // The next article's texts replace them.
        let next = Article {
            id: "b".into(),
            lead: "The bank revised its forecast.".into(),
            ..Article::default()
        };
        article_fingerprint(&next);
        assert_eq!(taken(paragraph), None);
        assert_eq!(
            taken("The bank revised its forecast."),
            Some(analysed("The bank revised its forecast."))
        );
    }

    #[test]
    fn no_words_no_fingerprint() {
        assert_eq!(text_fingerprint(""), None);
        assert_eq!(text_fingerprint("the of and"), None);
    }

    #[test]
    fn near_copies_are_counted_by_group() {
        let k = NEAR_DUPLICATE_DISTANCE;
        let a = 0xdead_beef_0000_0000_u64;
        // k bits, one in each of k chunks apart from the first: near.
        let near_a = (0..k).fold(a, |bits, i| bits ^ 1 << (63 - 9 * i));
        let far = !a;
        // a twice (one exact copy), near_a (one near copy), far alone.
        assert_eq!(count_near_copies(&[a, a, near_a, far]), 2);
        assert_eq!(count_near_copies(&[a, far]), 0);
        // A chain within k each step joins into one group although its ends are not near.
        let step = (1u64 << k) - 1;
        let chain = [a, a ^ step, a ^ step ^ step << k];
        assert_eq!(count_near_copies(&chain), 2);
        // k + 1 bits apart, one in each chunk: not near.
        let spread = (0..=k).fold(a, |bits, i| bits ^ 1 << (i * 64 / (k + 1)));
        assert_eq!(distance(a, spread), k + 1);
        assert_eq!(count_near_copies(&[a, spread]), 0);
        // The band search finds what comparing every pair finds.
        let mut state = 7u64;
        let mut values: Vec<u64> = Vec::new();
        for _ in 0..300 {
            state = mix(state);
            let base = values.last().copied().unwrap_or(state);
            // Some values a few bits from the one before, the others random.
            values.push(if state.is_multiple_of(3) {
                base ^ (1 << (state % 64)) ^ (1 << (state >> 58))
            } else {
                state
            });
        }
        let mut groups: Vec<usize> = (0..values.len()).collect();
        for i in 0..values.len() {
            for j in 0..i {
                if is_near(values[i], values[j]) {
                    let (gi, gj) = (groups[i], groups[j]);
                    for g in groups.iter_mut() {
                        if *g == gi {
                            *g = gj;
                        }
                    }
                }
            }
        }
        let mut distinct_groups = groups.clone();
        distinct_groups.sort_unstable();
        distinct_groups.dedup();
        assert!(distinct_groups.len() < values.len());
        assert_eq!(
            count_near_copies(&values),
            (values.len() - distinct_groups.len()) as u64
        );
    }
}
