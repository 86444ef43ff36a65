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
    // An article's score is its best passage's, the first under it, and here the best
    // article's best passage is the best passage of all.
    assert_eq!(articles[0]["score"], passages[0]["score"]);
    let mut best = articles[0]["passages"][0].clone();
    assert!(best["story_score"].as_f64() > best["score"].as_f64());
    best.as_object_mut().unwrap().remove("story_score");
    assert_eq!(best, passages[0]);
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

#[test]
fn the_story_view_ranks_a_story_told_across_passages_above_one_better_passage() {
    let env = TestEnv::empty();
    let corpus = env.corpus();
    std::fs::create_dir_all(&corpus).unwrap();
    // `brief.md` has the best single passage (short, one mention); `report.md` mentions the
    // word in each of four longer passages.
    let filler: Vec<String> = (0..4)
        .map(|idx| format!("Council members met on day {idx} to review the harbour budget and its road repairs."))
        .collect();
    std::fs::write(
        corpus.join("brief.md"),
        format!(
            "---\ntitle: Brief\ndate: 2024-05-01\n---\n\nTurbine output rose.\n\n{}\n",
            filler.join("\n\n")
        ),
    )
    .unwrap();
    std::fs::write(
        corpus.join("report.md"),
        "---\ntitle: Report\ndate: 2024-05-02\n---\n\n\
         The turbine market grew in the northern region over the year.\n\n\
         Each turbine maker hired more staff during the spring season.\n\n\
         Analysts expect turbine demand to keep rising through next year.\n\n\
         Ports handled more turbine parts than they had the year before.\n",
    )
    .unwrap();
    let output = env.build();
    assert!(output.status.success(), "build failed: {}", stderr(&output));

    let passages = env.search_json("turbine", &["--per-article", "1"]);
    assert_eq!(passages[0]["article_id"], "brief.md", "{passages:?}");
    assert!(passages[0].get("story_score").is_none(), "{passages:?}");
    let articles = env.search_json("turbine", &["--group", "article", "--per-article", "1"]);
    let ids: Vec<&str> = articles
        .iter()
        .map(|article| article["article_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["report.md", "brief.md"], "{articles:?}");
    let story = |idx: usize| articles[idx]["story_score"].as_f64().unwrap();
    assert!(story(0) > story(1), "{articles:?}");
    // A story scores its best passage and more: the whole text's own BM25.
    for article in &articles {
        assert!(article["story_score"].as_f64() > article["score"].as_f64());
    }
    // Sorting by date is not the story view's business.
    let by_date = env.search_json("turbine", &["--group", "article", "--sort", "date"]);
    assert!(by_date[0].get("story_score").is_none(), "{by_date:?}");
}
