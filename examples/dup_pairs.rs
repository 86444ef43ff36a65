//! Near-duplicate pairs of a Reuters-21578 JSON Lines file by fingerprint distance: a count per
//! distance and a seeded sample of pairs at each, to judge the threshold
//! (`fingerprint::NEAR_DUPLICATE_DISTANCE`; docs/dedup.md).
//!
//! `cargo run --example dup_pairs -- reuters21578.jsonl [MAX_DISTANCE] [PER_DISTANCE]`

use newsdex::fingerprint::{distance, text_fingerprint};

newsdex::use_mimalloc!();

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("a Reuters JSON Lines file");
    let max: u32 = args.next().map_or(12, |v| v.parse().expect("a distance"));
    let per: usize = args.next().map_or(4, |v| v.parse().expect("a count"));
    let text = std::fs::read_to_string(&path).expect("readable");
    let mut articles: Vec<(u64, String, String)> = Vec::new();
    for line in text.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let body = record["body"].as_str().unwrap_or("");
        let dateline = record["dateline"].as_str().unwrap_or("");
        let id = record["newid"].to_string();
        let full = format!("{dateline} {body}");
        if let Some(fingerprint) = text_fingerprint(&full) {
            articles.push((fingerprint, id, full));
        }
    }
    let mut pairs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); max as usize + 1];
    for a in 0..articles.len() {
        for b in a + 1..articles.len() {
            let d = distance(articles[a].0, articles[b].0);
            if d <= max {
                pairs[d as usize].push((a, b));
            }
        }
    }
    let short = |text: &str| {
        text.chars()
            .take(300)
            .collect::<String>()
            .replace('\n', " ")
    };
    for (d, at) in pairs.iter().enumerate() {
        println!("== distance {d}: {} pairs", at.len());
    }
    for (d, at) in pairs.iter().enumerate() {
        // Evenly spaced through the list: a reproducible sample.
        let step = (at.len() / per.max(1)).max(1);
        for &(a, b) in at.iter().step_by(step).take(per) {
            println!("\n--- d={d} #{} / #{}", articles[a].1, articles[b].1);
            println!("A: {}", short(&articles[a].2));
            println!("B: {}", short(&articles[b].2));
        }
    }
}
