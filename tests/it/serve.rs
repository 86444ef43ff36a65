//! `newsdex serve` end to end: the real binary on a free loopback port, plain HTTP/1.1 over a
//! socket; checks the endpoints, the JSON errors, the limits and that article text stays text.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::TestEnv;

/// A running server, stopped when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
    env: TestEnv,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    serve_with(|_| {})
}

/// `serve`, with `prepare` adding to the corpus before it is indexed.
fn serve_with(prepare: impl FnOnce(&TestEnv)) -> Served {
    serve_with_args(prepare, &[])
}

/// `serve_with`, with more arguments to `serve`.
fn serve_with_args(prepare: impl FnOnce(&TestEnv), extra: &[&str]) -> Served {
    let env = TestEnv::with_fixture("serve");
    prepare(&env);
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let mut args = vec![
        "serve",
        "--index",
        "index",
        "--addr",
        "127.0.0.1:0",
        "--header-timeout",
        "1",
    ];
    args.extend_from_slice(extra);
    let mut child = env
        .command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start newsdex serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Served { child, addr, env }
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    /// The JSON error message of a refusal, checking the status and content type.
    fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/json")
        );
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {}", self.body))
            .to_string()
    }
}

fn raw_request(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read reply");
    let text = String::from_utf8(bytes).expect("UTF-8 reply");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status");
    Reply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn get(addr: SocketAddr, target: &str) -> Reply {
    raw_request(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

#[test]
fn search_answers_hits_like_the_cli_with_total_and_facets() {
    let served = serve();
    let reply = get(
        served.addr,
        "/api/search?q=ammunition+Serbia&limit=5&per_article=0",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let hits = body["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    let total = body["total"].as_u64().unwrap();
    assert!(total > 5);
    assert_eq!(body["more"], true);
    assert_eq!(body["facets"]["total"].as_u64(), Some(total));
    assert!(body["took_ms"].as_f64().unwrap() >= 0.0);
    let serbia = body["facets"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Serbia")
        .expect("Serbia among the entity facets");
    assert!(serbia["count"].as_u64().unwrap() >= 1);
    assert!(!body["facets"]["months"].as_array().unwrap().is_empty());

    // The same objects as `search --json`, in the same order.
    let output = served.env.run(&[
        "search",
        "ammunition Serbia",
        "--index",
        "index",
        "--json",
        "-n",
        "5",
        "--per-article",
        "0",
    ]);
    let cli: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(hits.len(), cli.len());
    for (api_hit, cli_hit) in hits.iter().zip(&cli) {
        assert_eq!(api_hit, cli_hit);
    }
    assert!(body.get("did_you_mean").is_none(), "{body}");

    // A word no passage holds: the answer suggests the query with the closest index word.
    let reply = get(served.addr, "/api/search?q=amunition+Serbia");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["did_you_mean"], "ammunition Serbia", "{body}");
    assert_eq!(body["suggestions"][0]["word"], "amunition");
}

#[test]
fn search_filters_and_paging_cut_the_results() {
    let served = serve();
    let all = get(served.addr, "/api/search?q=Serbia&limit=100&per_article=0").json();
    let total = all["total"].as_u64().unwrap();
    let recent = get(
        served.addr,
        "/api/search?q=Serbia&limit=100&per_article=0&since=2024-01-01",
    )
    .json();
    let older = get(
        served.addr,
        "/api/search?q=Serbia&limit=100&per_article=0&until=2023-12-31",
    )
    .json();
    assert_eq!(
        recent["total"].as_u64().unwrap() + older["total"].as_u64().unwrap(),
        total
    );
    for hit in recent["hits"].as_array().unwrap() {
        assert!(hit["date"].as_str().unwrap() >= "2024-01-01");
    }
    let second = get(
        served.addr,
        "/api/search?q=Serbia&limit=1&offset=1&per_article=0",
    )
    .json();
    assert_eq!(second["hits"][0], {
        let mut hit = all["hits"][1].clone();
        hit["rank"] = 2.into();
        hit
    });
    let by_entity = get(
        served.addr,
        "/api/search?q=ammunition&entity=Russia&per_article=0&limit=100",
    )
    .json();
    assert!(
        by_entity["total"].as_u64().unwrap()
            < get(served.addr, "/api/search?q=ammunition&per_article=0").json()["total"]
                .as_u64()
                .unwrap()
    );
    for hit in by_entity["hits"].as_array().unwrap() {
        assert!(
            hit["entities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == "Russia"),
            "{hit}"
        );
    }
    let by_category = get(served.addr, "/api/search?q=gas&category=energy&limit=100").json();
    assert!(!by_category["hits"].as_array().unwrap().is_empty());
    for hit in by_category["hits"].as_array().unwrap() {
        let categories = hit["categories"].as_array().unwrap();
        assert!(
            categories
                .iter()
                .any(|c| c.as_str().unwrap().to_lowercase() == "energy"),
            "{hit}"
        );
    }
    let newest_first = get(
        served.addr,
        "/api/search?q=Serbia&sort=date&limit=100&per_article=0",
    )
    .json();
    let dates: Vec<&str> = newest_first["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["date"].as_str())
        .collect();
    assert!(dates.windows(2).all(|pair| pair[0] >= pair[1]), "{dates:?}");
}

#[test]
fn stats_entities_and_articles() {
    let served = serve();
    let stats = get(served.addr, "/api/stats").json();
    assert_eq!(stats["articles"], 5);
    assert!(stats["passages"].as_u64().unwrap() > 5);
    assert_eq!(stats["first_date"], "2022-09-12T00:00:00Z");
    assert!(stats["undated_passages"].as_u64().unwrap() >= 1);
    assert!(
        stats["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"] == "energy")
    );

    let everything = get(served.addr, "/api/entities?top=100").json();
    assert_eq!(everything["total"], stats["passages"]);
    let places = get(served.addr, "/api/entities?kind=place&top=100").json();
    assert!(
        places["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "place")
    );
    assert!(!places["entities"].as_array().unwrap().is_empty());
    // `newsdex entities --json` answers the same objects, field for field.
    let cli = served
        .env
        .run(&["entities", "--index", "index", "--json", "--top", "100"]);
    assert_eq!(cli.status.code(), Some(0), "{}", crate::stderr(&cli));
    let cli: Vec<serde_json::Value> = String::from_utf8(cli.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(&cli, everything["entities"].as_array().unwrap());
    let matching = get(served.addr, "/api/entities?q=gas&top=100").json();
    assert!(matching["total"].as_u64().unwrap() < everything["total"].as_u64().unwrap());

    let article = get(served.addr, "/api/articles/defence/shells.txt");
    assert_eq!(article.status, 200, "{}", article.body);
    let article = article.json();
    assert_eq!(article["article_id"], "defence/shells.txt");
    assert_eq!(article["date"], "2024-03-28T00:00:00Z");
    let ordinals: Vec<u64> = article["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ordinal"].as_u64().unwrap())
        .collect();
    assert_eq!(ordinals, (0..ordinals.len() as u64).collect::<Vec<_>>());
    assert!(
        article["passages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["section"] == "Political Dynamics")
    );
    // A hit's passage is in its article at its ordinal.
    let hit = &get(served.addr, "/api/search?q=Vucic").json()["hits"][0];
    let same = get(
        served.addr,
        &format!("/api/articles/{}", hit["article_id"].as_str().unwrap()),
    )
    .json();
    assert_eq!(
        same["passages"][hit["ordinal"].as_u64().unwrap() as usize]["text"],
        hit["passage"]
    );
    // Percent-encoded ids work too.
    assert_eq!(
        get(served.addr, "/api/articles/defence%2Fshells.txt").status,
        200
    );
    assert!(
        get(served.addr, "/api/articles/defence/missing.txt")
            .error(404)
            .contains("missing.txt")
    );
}

#[test]
fn article_text_with_markup_comes_back_as_text_and_the_page_never_parses_data_as_html() {
    let served = serve();
    let reply = get(served.addr, "/api/articles/hostile/script.txt");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    let article = reply.json();
    assert!(
        article["title"]
            .as_str()
            .unwrap()
            .contains("<script>window.__xss = 1; alert(1)</script>")
    );
    let hits = get(served.addr, "/api/search?q=ampersands").json();
    assert!(
        hits["hits"][0]["passage"]
            .as_str()
            .unwrap()
            .contains("<img src=x onerror=")
    );

    let page = get(served.addr, "/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"));
    let script = get(served.addr, "/app.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("textContent"));
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ] {
        assert!(!script.body.contains(sink), "app.js uses {sink}");
    }
    assert_eq!(get(served.addr, "/style.css").status, 200);
    let openapi = get(served.addr, "/api/openapi.json").json();
    assert!(openapi["paths"]["/api/search"].is_object());
}

#[test]
fn bad_requests_get_json_errors_and_the_server_keeps_serving() {
    let served = serve();
    let addr = served.addr;
    assert!(get(addr, "/api/search").error(400).contains("`q`"));
    // A query that does not parse says where.
    let unparsed = get(addr, "/api/search?q=gas+date:2024-13");
    assert_eq!(unparsed.status, 400, "{}", unparsed.body);
    let body = unparsed.json();
    assert_eq!(body["column"], 5, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("is not a year, month or day")
    );
    assert!(
        get(addr, "/api/search?q=gas&limit=100000")
            .error(400)
            .contains("between 1 and 100")
    );
    assert!(
        get(addr, "/api/search?q=gas&limit=ten")
            .error(400)
            .contains("whole number")
    );
    assert!(
        get(addr, "/api/search?q=gas&offset=99999999999999999999999")
            .error(400)
            .contains("whole number")
    );
    assert!(
        get(addr, "/api/search?q=gas&since=yesterday-ish")
            .error(400)
            .contains("not a date")
    );
    assert!(
        get(addr, "/api/search?q=gas&since=2024-01-01&until=2023-01-01")
            .error(400)
            .contains("after")
    );
    assert!(
        get(addr, "/api/search?q=%28gas")
            .error(400)
            .contains("never closed")
    );
    assert!(
        get(addr, "/api/search?q=gas&sort=sideways")
            .error(400)
            .contains("relevance")
    );
    assert!(
        get(addr, "/api/search?q=gas&colour=red")
            .error(400)
            .contains("unknown parameter")
    );
    assert!(
        get(addr, "/api/entities?kind=animal")
            .error(400)
            .contains("person")
    );
    assert!(
        get(addr, "/api/stats?x=1")
            .error(400)
            .contains("unknown parameter")
    );
    assert!(
        get(addr, &format!("/api/search?q={}", "a".repeat(2000)))
            .error(400)
            .contains("bytes long")
    );
    assert!(
        get(
            addr,
            &format!("/api/search?q=gas&entity={}", "x".repeat(9000))
        )
        .error(414)
        .contains("8192")
    );
    // Invalid percent-encoding and UTF-8 are decoded leniently, never a panic.
    assert_eq!(get(addr, "/api/search?q=%ZZgas%FF").status, 200);
    get(addr, "/no/such/page").error(404);
    raw_request(addr, format!("POST /api/search?q=gas HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}").as_bytes()).error(405);
    raw_request(addr, format!("GET /api/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 1000000\r\n\r\n").as_bytes()).error(413);
    // Garbage instead of HTTP closes that connection only.
    let mut garbage = TcpStream::connect(addr).unwrap();
    let _ = garbage.write_all(b"\x00\x01 not http at all\r\n\r\n");
    drop(garbage);
    assert_eq!(get(addr, "/api/stats").status, 200);
}

#[test]
fn a_request_that_never_finishes_sending_is_cut_off() {
    let served = serve();
    let mut stream = TcpStream::connect(served.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
        .write_all(b"GET /api/stats HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut bytes = Vec::new();
    // The server closes the connection (with or without a 408) after the header timeout.
    let closed = stream.read_to_end(&mut bytes);
    assert!(closed.is_ok(), "the connection was not closed: {closed:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let reply = String::from_utf8_lossy(&bytes);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 408"),
        "{reply}"
    );
    assert_eq!(get(served.addr, "/api/stats").status, 200);
}

#[test]
fn repeated_searches_take_facets_from_the_cache_until_the_index_changes() {
    let served = serve();
    let first = get(served.addr, "/api/search?q=ammunition+Serbia&limit=2");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.header("x-newsdex-cache").as_deref(), Some("miss"));
    let first = first.json();
    let total = first["total"].as_u64().unwrap();

    // The same set of passages: other spacing, another page, another order.
    let again = get(
        served.addr,
        "/api/search?q=ammunition%20%20Serbia&limit=2&offset=1&sort=date",
    );
    assert_eq!(again.header("x-newsdex-cache").as_deref(), Some("hit"));
    let again = again.json();
    assert_eq!(again["total"], first["total"]);
    assert_eq!(again["facets"], first["facets"]);
    // The page itself is searched for, not cached.
    let repeat = get(served.addr, "/api/search?q=ammunition+Serbia&limit=2").json();
    assert_eq!(repeat["hits"], first["hits"]);
    assert_eq!(repeat["facets"], first["facets"]);

    // A filter makes another set.
    let filtered = get(
        served.addr,
        "/api/search?q=ammunition+Serbia&limit=2&since=2024-01-01",
    );
    assert_eq!(filtered.header("x-newsdex-cache").as_deref(), Some("miss"));

    // A rebuilt index is counted afresh.
    std::fs::write(
        served.env.corpus().join("defence/more.txt"),
        " date 2024-05-02 Serbian ammunition keeps reaching Ukraine, officials in Serbia said.\n",
    )
    .unwrap();
    let output = served.env.build();
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = get(served.addr, "/api/search?q=ammunition+Serbia&limit=2");
        let body = reply.json();
        if body["total"].as_u64().unwrap() > total {
            assert_eq!(reply.header("x-newsdex-cache").as_deref(), Some("miss"));
            assert_eq!(body["facets"]["total"], body["total"]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rebuilt index was not picked up"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Pages of `limit` passages through `offset`, as the page asks for them (`per_article=3`),
/// until the API says there is no more; every page's `rank`s follow the previous page's.
fn all_pages(addr: SocketAddr, query: &str, limit: usize) -> Vec<serde_json::Value> {
    let mut hits = Vec::new();
    for page in 0..50 {
        let body = get(
            addr,
            &format!(
                "/api/search?q={query}&per_article=3&limit={limit}&offset={}",
                page * limit
            ),
        )
        .json();
        let page_hits = body["hits"].as_array().unwrap().clone();
        assert!(page_hits.len() <= limit);
        hits.extend(page_hits.iter().cloned());
        if body["more"] == false || page_hits.len() < limit {
            return hits;
        }
    }
    panic!("more than 50 pages of {query}")
}

#[test]
fn the_pages_of_a_search_through_offset_are_the_whole_ranking_without_gaps_or_repeats() {
    let served = serve();
    let whole = get(served.addr, "/api/search?q=Serbia&per_article=3&limit=100").json();
    let whole = whole["hits"].as_array().unwrap();
    assert!(whole.len() > 4, "enough to page: {}", whole.len());
    // `more_in_article` counts what the ranking of one page saw, which depends on its depth.
    let without_more = |hits: &[serde_json::Value]| -> Vec<serde_json::Value> {
        hits.iter()
            .map(|hit| {
                let mut hit = hit.clone();
                hit.as_object_mut().unwrap().remove("more_in_article");
                hit
            })
            .collect()
    };
    for limit in [1, 2, 3] {
        let paged = all_pages(served.addr, "Serbia", limit);
        assert_eq!(
            without_more(&paged),
            without_more(whole),
            "pages of {limit}"
        );
    }
    // Past the last passage a page is empty and says there is no more.
    let past = get(
        served.addr,
        &format!(
            "/api/search?q=Serbia&per_article=3&limit=30&offset={}",
            whole.len()
        ),
    )
    .json();
    assert_eq!(past["hits"].as_array().unwrap().len(), 0);
    assert_eq!(past["more"], false);
    // The page asks for pages of 30 with `offset`, kept in its URL, and links a hit's URL as
    // text with no opener.
    let script = get(served.addr, "/app.js").body;
    for wiring in [
        "params.set('offset', String(state.offset))",
        "params.get('offset')",
        "rel: 'noopener noreferrer'",
        "parsed.protocol === 'https:'",
    ] {
        assert!(script.contains(wiring), "app.js lacks {wiring}");
    }
}

#[test]
fn a_hit_carries_its_records_url_and_the_page_links_only_web_addresses() {
    let served = serve_with(|env| {
        std::fs::write(
            env.corpus().join("energy/links.jsonl"),
            concat!(
                r#"{"title": "Pipeline deal", "body": "The Baltic pipeline deal was signed.", "date": "2024-02-01", "url": "https://example.com/pipeline?id=1&x=2"}"#,
                "\n",
                r#"{"title": "Odd link", "body": "A zebra crossing opened.", "date": "2024-02-02", "url": "javascript:alert(1)"}"#,
                "\n",
                r#"{"title": "No link", "body": "A pipeline without an address.", "date": "2024-02-03"}"#,
                "\n",
            ),
        )
        .unwrap();
    });
    let body = get(served.addr, "/api/search?q=pipeline&per_article=3&limit=30").json();
    let hits = body["hits"].as_array().unwrap();
    let url_of = |id: &str| {
        hits.iter()
            .find(|hit| hit["article_id"] == id)
            .unwrap_or_else(|| panic!("no hit of {id}: {hits:?}"))
            .get("url")
            .cloned()
    };
    assert_eq!(
        url_of("energy/links.jsonl#1"),
        Some(serde_json::Value::from(
            "https://example.com/pipeline?id=1&x=2"
        ))
    );
    assert_eq!(url_of("energy/links.jsonl#3"), None, "no url, no field");
    // The API gives the data as it is; the page makes a link of http(s) addresses only.
    let zebra = get(served.addr, "/api/search?q=zebra").json();
    assert_eq!(zebra["hits"][0]["url"], "javascript:alert(1)");
}

/// Articles whose passages are made of 1,024 words, 64 for each letter from `a` to `p`: each of
/// `a*` ... `p*` expands to 64 index terms, and the 16 of them to the whole budget.
fn write_prefix_corpus(env: &TestEnv) {
    let syllables = ["ra", "to", "mi", "ke", "lo", "san", "der", "vin"];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: usize| {
        // A fixed linear congruential generator: the same corpus on every run.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % bound
    };
    let mut lines = String::new();
    for article in 0..800 {
        let paragraphs: Vec<String> = (0..3)
            .map(|_| {
                let words: Vec<String> = (0..50)
                    .map(|_| {
                        let letter = char::from(b'a' + next(16) as u8);
                        format!("{letter}{}{}", syllables[next(8)], syllables[next(8)])
                    })
                    .collect();
                format!("{}.", words.join(" "))
            })
            .collect();
        let record = serde_json::json!({
            "id": format!("prefix-{article}"),
            "title": "Gas prices",
            "text": paragraphs.join("\n\n"),
        });
        lines.push_str(&format!("{record}\n"));
    }
    std::fs::write(env.corpus().join("prefixes.jsonl"), lines).expect("write the corpus");
}

#[test]
fn expensive_queries_stop_at_the_request_timeout_and_ordinary_searches_keep_answering() {
    let served = serve_with_args(
        write_prefix_corpus,
        &["--request-timeout", "1", "--cache-mb", "0"],
    );
    let addr = served.addr;
    // Within the budget of expanded terms: 16 prefixes of 64 terms each, over every passage.
    let within: Vec<String> = ('a'..='p').map(|letter| format!("{letter}*")).collect();
    let within = within.join("+");
    // The issue's request: `a* b* ... z*` ten times, 779 bytes; refused by the budget.
    let issue: Vec<String> = ('a'..='z').map(|letter| format!("{letter}*")).collect();
    let issue = vec![issue.join("+"); 10].join("+");
    let refused = get(addr, &format!("/api/search?q={issue}"));
    assert!(refused.error(400).contains("expand to more than"));
    // More expensive searches at once than there are search threads on most machines, each
    // asking for a deep page of 100 and for every match to be counted (the page's facets).
    let attack: Vec<_> = (0..12)
        .map(|n| {
            let target = if n % 4 == 3 {
                format!("/api/search?q={issue}")
            } else {
                format!("/api/search?q={within}&limit=100&offset={}", 100 + n)
            };
            std::thread::spawn(move || {
                let reply = get(addr, &target);
                (reply.status, reply.body)
            })
        })
        .collect();
    let replies: Vec<(u16, String)> = attack
        .into_iter()
        .map(|attacker| attacker.join().expect("attacker thread"))
        .collect();
    for (status, body) in &replies {
        // Answered in time, refused, or stopped at the deadline: never a failure.
        assert!([200, 400, 503].contains(status), "{status}: {body}");
        let error: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        if *status == 503 {
            let message = error["error"].as_str().unwrap_or_default();
            assert!(message.contains("stopped"), "{body}");
        }
    }
    // Right after the attack's answers, an ordinary search answers: the searches of requests
    // that timed out have stopped. (Without that, they would keep every search thread busy
    // for seconds after their 503, and this search would wait past its own timeout.)
    for _ in 0..3 {
        let reply = get(addr, "/api/search?q=gas&limit=3");
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!reply.json()["hits"].as_array().unwrap().is_empty());
    }
}
