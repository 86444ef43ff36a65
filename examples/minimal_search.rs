//! The peer a one-shot `newsdex search` process is measured against: the least a tantivy
//! program does to answer the same query on the same index. It opens the index, parses the query
//! with tantivy's own `QueryParser` over the field a plain newsdex word searches (`all`, its
//! words analysed as newsdex analyses them), takes the best 10 passages and prints their stored
//! documents as JSON, one a line. Nothing else: no entity expansion, no snippets, no footer.
//!
//! cargo build --release --example minimal_search
//! target/release/examples/minimal_search INDEX_DIR "grain prices"

use std::io::Write;

use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::{Document, Index, TantivyDocument};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(query)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: minimal_search INDEX_DIR QUERY");
    };
    let index = Index::open_in_dir(dir)?;
    let schema = index.schema();
    let all = schema.get_field("all")?;
    let parser = QueryParser::new(
        schema.clone(),
        vec![all],
        newsdex::schema::query_tokenizers(),
    );
    let query = parser.parse_query(&query)?;
    let searcher = index.reader()?.searcher();
    let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
    let mut out = std::io::stdout().lock();
    for (score, address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
        writeln!(out, "{score}\t{}", doc.to_json(&schema))?;
    }
    out.flush()?;
    Ok(())
}
