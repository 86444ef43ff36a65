//! `search --group article`: one result per article, its passages under it, best article first.

use crate::{TestEnv, stderr};

fn built() -> TestEnv {
    let env = TestEnv::empty();
    let corpus = env.corpus();
    std::fs::create_dir_all(corpus.join("energy")).unwrap();
    std::fs::write(
        corpus.join("energy/turbines.md"),
        "---\ntitle: Wind farms\ndate: 2024-05-01\n---\n\n\
         Turbine makers said turbine orders doubled.\n\n\
         ## Supply\n\n\
         A new turbine plant opened as turbine blades ran short.\n\n\
         ## Prices\n\n\
         Electricity prices fell through the spring.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("energy/grid.md"),
        "---\ntitle: Grid upgrade\ndate: 2024-05-02\n---\n\n\
         The operator will spend more on cables, substations, storage and one turbine test \
         site over the next five years, it said on Tuesday.\n",
    )
    .unwrap();
    let output = env.build();
    assert!(output.status.success(), "build failed: {}", stderr(&output));
    env
}

#[test]
fn articles_are_one_line_each_with_their_passages_best_article_first() {
    let env = built();
    let passages = env.search_json("turbine", &[]);
    assert_eq!(passages.len(), 3, "{passages:?}");
    let articles = env.search_json("turbine", &["--group", "article"]);
    assert_eq!(articles.len(), 2, "{articles:?}");
    let counts: Vec<usize> = articles
        .iter()
        .map(|article| article["passages"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, [2, 1], "{articles:?}");
    assert_eq!(articles[0]["article_id"], "energy/turbines.md");
    assert_eq!(articles[0]["title"], "Wind farms");
    assert_eq!(articles[0]["rank"], 1);
    assert_eq!(articles[1]["article_id"], "energy/grid.md");
    assert_eq!(articles[1]["rank"], 2);
    // An article's score is its best passage's, the first under it, and the best article's
    // best passage is the best passage of all.
    assert_eq!(articles[0]["score"], passages[0]["score"]);
    assert_eq!(articles[0]["passages"][0], passages[0]);
    assert!(articles[0]["score"].as_f64() > articles[1]["score"].as_f64());
    // `--per-article` still limits the passages, and the rest are counted.
    let one = env.search_json("turbine", &["--group", "article", "--per-article", "1"]);
    assert_eq!(one[0]["passages"].as_array().unwrap().len(), 1);
    assert_eq!(one[0]["more_in_article"], 1);
}

#[test]
fn text_shows_an_article_header_once_with_its_passages_under_it() {
    let env = built();
    let output = env.run(&[
        "search", "turbine", "--index", "index", "--group", "article",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.matches("Wind farms").count(), 1, "{text}");
    assert_eq!(text.matches("energy/turbines.md").count(), 1, "{text}");
    assert!(text.contains("       › Supply ["), "{text}");
    assert!(
        text.find("Wind farms").unwrap() < text.find("Grid upgrade").unwrap(),
        "{text}"
    );
}
