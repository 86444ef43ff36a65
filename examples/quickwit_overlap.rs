//! Top-10 overlap of newsdex's two backends on one corpus: the local index against Quickwit's
//! BM25 ranking of the passages `index build --backend quickwit` sends, for the query string
//! a ranked Quickwit search sends. No Quickwit binary runs on these machines, so Quickwit's
//! ranking is reproduced with tantivy, the engine Quickwit 0.9 searches with: the NDJSON lines
//! newsdex sends (`upload::encode_corpus`), indexed with the tokenizers, record options and
//! field norms of newsdex's generated mapping into one segment (one Quickwit split), searched
//! with the query string of `translate::elastic_body`, best first and equal scores by article
//! id then ordinal, as the backend orders them. With `--session`, the reproduction is first
//! checked against the real server: the score it gives the top passage of the recorded scored
//! search (`newsdex-session/065`, `text_stems:oil`) is printed beside the recorded one.
//!
//! ```text
//! head -n 3000 ../shared/corpora/reuters21578/reuters21578.jsonl > /tmp/r3k/r.jsonl
//! cargo run --release --example quickwit_overlap -- --corpus /tmp/r3k \
//!     --index /tmp/r3k-index --session ../shared/quickwit/newsdex-session
//! ```

newsdex::use_mimalloc!();

use std::collections::HashSet;
use std::path::PathBuf;

use clap::Parser;
use newsdex::backend::quickwit::mapping::{self, field};
use newsdex::backend::quickwit::translate::elastic_body;
use newsdex::backend::quickwit::upload::{corpus_field_map, encode_corpus};
use newsdex::build::build_index;
use newsdex::build::{BuildOptions, Silent};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::{index_exists, open_index};
use newsdex::ingest::{WalkOptions, walk_corpus};
use newsdex::search::{SearchRequest, Searcher};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    RawTokenizer, RemoveLongFilter, TextAnalyzer, TokenizerManager, WhitespaceTokenizer,
};
use tantivy::{Index, IndexWriter, TantivyDocument};

/// Everyday news queries: commodities, markets, companies, places, one or a few words.
const EVERYDAY_QUERIES: [&str; 30] = [
    "oil prices",
    "crude oil",
    "coffee",
    "cocoa",
    "sugar exports",
    "wheat",
    "grain harvest",
    "interest rates",
    "dollar yen",
    "gold",
    "trade deficit",
    "japan trade",
    "bank loans",
    "debt crisis",
    "brazil debt",
    "opec output",
    "merger",
    "takeover bid",
    "quarterly earnings",
    "dividend",
    "stock market",
    "inflation",
    "unemployment",
    "federal reserve",
    "money supply",
    "tin",
    "copper",
    "soybean",
    "shipping strike",
    "tax reform",
];

#[derive(Debug, Parser)]
struct Args {
    /// The corpus, as given to `newsdex index build`.
    #[arg(long)]
    corpus: PathBuf,
    /// The local index (built from the corpus when absent).
    #[arg(long)]
    index: PathBuf,
    /// Queries, one a line (default: 30 everyday news queries).
    #[arg(long)]
    queries: Option<PathBuf>,
    /// The recorded session (`newsdex-session/`), to check the reproduction against it.
    #[arg(long)]
    session: Option<PathBuf>,
    /// Passages compared per query.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Quickwit's index for newsdex's mapping: the indexed fields with Quickwit's tokenizers
/// (`raw`, `whitespace`: both drop tokens over 255 bytes) and record options, and the passage
/// id stored.
struct QuickwitLike {
    index: Index,
    fields: Vec<(&'static str, Field)>,
    passage_id: Field,
}

fn quickwit_like() -> QuickwitLike {
    let mut builder = Schema::builder();
    let mut fields = Vec::new();
    for mapping in mapping::index_config("overlap").doc_mapping.field_mappings {
        if !mapping.kind.contains("text") || mapping.indexed == Some(false) {
            continue;
        }
        let record = match mapping.record {
            Some("position") => IndexRecordOption::WithFreqsAndPositions,
            Some("freq") => IndexRecordOption::WithFreqs,
            // Quickwit's default for a raw field.
            _ => IndexRecordOption::Basic,
        };
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(mapping.tokenizer.unwrap_or("default"))
            .set_index_option(record)
            .set_fieldnorms(mapping.fieldnorms.unwrap_or(false));
        let mut options = TextOptions::default().set_indexing_options(indexing);
        if mapping.name == field::PASSAGE_ID {
            options = options | STORED;
        }
        fields.push((mapping.name, builder.add_text_field(mapping.name, options)));
    }
    let mut index = Index::create_in_ram(builder.build());
    index.set_tokenizers(quickwit_tokenizers());
    let passage_id = fields
        .iter()
        .find(|(name, _)| *name == field::PASSAGE_ID)
        .map(|(_, field)| *field)
        .expect("the mapping has a passage id");
    QuickwitLike {
        index,
        fields,
        passage_id,
    }
}

fn quickwit_tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(
        "raw",
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(RemoveLongFilter::limit(255))
            .build(),
    );
    manager.register(
        "whitespace",
        TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(RemoveLongFilter::limit(255))
            .build(),
    );
    manager
}

impl QuickwitLike {
    /// Indexes the NDJSON lines newsdex sends for the corpus, as one split.
    fn ingest(&self, args: &Args, extractor: &EntityExtractor) -> anyhow::Result<usize> {
        let walk = walk_corpus(&args.corpus, &WalkOptions::default())?;
        let map = corpus_field_map(&args.corpus, &[], &[])?;
        let mut writer: IndexWriter = self.index.writer_with_num_threads(1, 200_000_000)?;
        let mut n_docs = 0;
        encode_corpus(walk, &map, extractor, &Silent, |line, _path| {
            let document: serde_json::Value = serde_json::from_str(&line)?;
            let mut doc = TantivyDocument::default();
            for (name, field) in &self.fields {
                match &document[*name] {
                    serde_json::Value::String(value) => doc.add_text(*field, value),
                    serde_json::Value::Array(values) => {
                        for value in values.iter().filter_map(|v| v.as_str()) {
                            doc.add_text(*field, value);
                        }
                    }
                    _ => {}
                }
            }
            writer.add_document(doc)?;
            n_docs += 1;
            Ok::<(), anyhow::Error>(())
        })?;
        writer.commit()?;
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
        }
        writer.wait_merging_threads()?;
        Ok(n_docs)
    }

    /// Passage ids and scores for a Quickwit query string, best first, equal scores by
    /// article id then ordinal (the passage id is `article_id-ordinal`).
    fn ranked(&self, query: &str, top: usize) -> anyhow::Result<Vec<(String, f32)>> {
        let reader = self.index.reader()?;
        let searcher = reader.searcher();
        let mut parser = QueryParser::new(
            self.index.schema(),
            vec![self.field(field::TEXT_STEMS)],
            quickwit_tokenizers(),
        );
        // Quickwit's default operator (newsdex never relies on it).
        parser.set_conjunction_by_default();
        let parsed = parser.parse_query(query)?;
        // Deeper than the page, so that ties at its edge are broken as the backend does.
        let found = searcher.search(&parsed, &TopDocs::with_limit(top * 5).order_by_score())?;
        let mut hits = Vec::new();
        for (score, address) in found {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc
                .get_first(self.passage_id)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
                .to_string();
            hits.push((id, score));
        }
        hits.sort_by(|(a, a_score), (b, b_score)| {
            b_score
                .total_cmp(a_score)
                .then_with(|| split_id(a).cmp(&split_id(b)))
        });
        hits.truncate(top);
        Ok(hits)
    }

    fn field(&self, name: &str) -> Field {
        self.fields
            .iter()
            .find(|(field_name, _)| *field_name == name)
            .map(|(_, field)| *field)
            .expect("a mapped field")
    }
}

/// `article_id-ordinal` -> (article id, ordinal).
fn split_id(passage_id: &str) -> (&str, u64) {
    match passage_id.rsplit_once('-') {
        Some((article, ordinal)) => (article, ordinal.parse().unwrap_or(0)),
        None => (passage_id, 0),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let extractor = EntityExtractor::builtin();
    if !index_exists(&args.index) {
        eprintln!("building the local index at `{}`", args.index.display());
        let options = BuildOptions {
            corpus: args.corpus.clone(),
            more_sources: Vec::new(),
            index: args.index.clone(),
            walk: WalkOptions::default(),
            memory_mb: newsdex::index::DEFAULT_MEMORY_MB,
            rebuild: true,
            fields: Vec::new(),
            extras: Vec::new(),
        };
        build_index(&options, &extractor, &Silent)?;
    }
    let searcher = Searcher::new(open_index(&args.index)?, extractor.clone())?;
    searcher.reload()?;
    let quickwit = quickwit_like();
    let n_docs = quickwit.ingest(&args, &extractor)?;
    println!("Quickwit reproduction: {n_docs} passages in one split");

    if let Some(session) = &args.session {
        let path = session.join("065-POST-api_v1__elastic_reuters3k__search.json");
        let exchange: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let request: serde_json::Value =
            serde_json::from_str(exchange["request_body"]["text"].as_str().unwrap_or("{}"))?;
        let response: serde_json::Value =
            serde_json::from_str(exchange["response_body"]["text"].as_str().unwrap_or("{}"))?;
        let query = request["query"]["query_string"]["query"]
            .as_str()
            .unwrap_or_default();
        let recorded = &response["hits"]["hits"][0];
        let recorded_id = recorded["_source"]["passage_id"].as_str().unwrap_or("");
        let reproduced = quickwit.ranked(query, 3)?;
        println!(
            "check against the real server ({query}): recorded top {recorded_id} score {}; reproduced top {} score {:.6}",
            recorded["sort"][0],
            reproduced.first().map_or("-", |(id, _)| id.as_str()),
            reproduced.first().map_or(0.0, |(_, score)| *score),
        );
    }

    let queries: Vec<String> = match &args.queries {
        Some(path) => std::fs::read_to_string(path)?
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
            .collect(),
        None => EVERYDAY_QUERIES.iter().map(|q| q.to_string()).collect(),
    };
    let mut overlaps = Vec::new();
    for query in &queries {
        let mut request = SearchRequest::new(query.as_str());
        request.limit = args.top;
        request.per_article = 0;
        let local: Vec<String> = searcher
            .search(&request)?
            .hits
            .iter()
            .map(|hit| format!("{}-{}", hit.article_id, hit.ordinal))
            .collect();
        let (body, _) = elastic_body(&request, &extractor, args.top)?;
        let remote: HashSet<String> = quickwit
            .ranked(&body.query.query_string.query, args.top)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let denominator = local.len().max(remote.len()).max(1);
        let shared = local.iter().filter(|id| remote.contains(*id)).count();
        let overlap = shared as f64 / denominator as f64;
        println!("{overlap:.2}\t{shared}/{denominator}\t{query}");
        overlaps.push(overlap);
    }
    let mean = overlaps.iter().sum::<f64>() / overlaps.len().max(1) as f64;
    println!(
        "mean top-{} overlap over {} queries: {mean:.3}",
        args.top,
        overlaps.len()
    );
    Ok(())
}
