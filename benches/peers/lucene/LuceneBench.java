// The Lucene peer of newsdex's latency comparison (issue 25): the same passages, the same query
// file, top-10 by BM25 without a total count, single-threaded, timed query by query.
//
//   java -cp FATJAR:CLASSES LuceneBench index PASSAGES.tsv INDEX_DIR
//   java -cp FATJAR:CLASSES LuceneBench search INDEX_DIR QUERIES.tsv ROUNDS [PER_QUERY_OUT]
//
// PASSAGES.tsv is `title<TAB>section<TAB>text` a line (`compare --write-passages`): one Lucene
// document per passage, one field `all` holding the title twice (as newsdex's `all` does,
// unless the title is empty), the section and the text, analysed by EnglishAnalyzer (standard
// tokenizer, possessives, lower case, English stop words, Porter stemming); merged into one
// segment, as newsdex's build merges. QUERIES.tsv is `class<TAB>query` a line as newsdex writes
// them (`compare --write-queries`): `word`, `+a +b`, `a OR b`, `"a b"`, each word analysed by
// the same analyser into term, boolean (MUST / SHOULD) or phrase queries. Each round runs every
// query once; the first `-Dwarmup=N` rounds (20) warm up and are not counted. Percentiles are
// nearest-rank, as newsdex's.
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public class LuceneBench {
    static final String FIELD = "all";

    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("index")) {
            index(Paths.get(args[1]), Paths.get(args[2]));
        } else if (args.length >= 4 && args[0].equals("search")) {
            search(Paths.get(args[1]), Paths.get(args[2]), Integer.parseInt(args[3]),
                    args.length > 4 ? Paths.get(args[4]) : null);
        } else {
            System.err.println("usage: LuceneBench index PASSAGES.tsv INDEX_DIR"
                    + " | search INDEX_DIR QUERIES.tsv ROUNDS [PER_QUERY_OUT]");
            System.exit(2);
        }
    }

    static void index(Path passages, Path dir) throws Exception {
        long started = System.nanoTime();
        IndexWriterConfig config = new IndexWriterConfig(new EnglishAnalyzer());
        config.setRAMBufferSizeMB(256);
        config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        long n = 0;
        try (IndexWriter writer = new IndexWriter(FSDirectory.open(dir), config);
                BufferedReader in = Files.newBufferedReader(passages, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] parts = line.split("\t", 3);
                Document doc = new Document();
                if (!parts[0].isEmpty()) {
                    doc.add(new TextField(FIELD, parts[0], Field.Store.NO));
                    doc.add(new TextField(FIELD, parts[0], Field.Store.NO));
                }
                if (parts.length > 1 && !parts[1].isEmpty()) {
                    doc.add(new TextField(FIELD, parts[1], Field.Store.NO));
                }
                if (parts.length > 2) {
                    doc.add(new TextField(FIELD, parts[2], Field.Store.NO));
                }
                writer.addDocument(doc);
                n++;
            }
            writer.forceMerge(1);
        }
        System.err.printf("Lucene %s: indexed %d passages in %.1f s%n", Version.LATEST, n,
                (System.nanoTime() - started) / 1e9);
    }

    /** One query of the file: its class, its text and the Lucene query it becomes. */
    record Bench(String klass, String text, Query query) {}

    static void search(Path dir, Path queryFile, int rounds, Path perQuery) throws Exception {
        Analyzer analyzer = new EnglishAnalyzer();
        List<Bench> queries = new ArrayList<>();
        for (String line : Files.readAllLines(queryFile, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\t", 2);
            String klass = parts.length == 2 ? parts[0] : "other";
            String text = parts[parts.length - 1].trim();
            queries.add(new Bench(klass, text, null));
        }
        try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(dir))) {
            IndexSearcher searcher = new IndexSearcher(reader);
            System.err.printf("Lucene %s: %d passages, %d segment(s), %d queries, %d rounds%n",
                    Version.LATEST, reader.numDocs(), reader.leaves().size(), queries.size(), rounds);
            long[][] samples = new long[queries.size()][rounds];
            long sink = 0;
            // Warm-up rounds (the JIT compiles the hot loops), not counted.
            int warmup = Integer.getInteger("warmup", 20);
            for (int round = 1 - warmup; round <= rounds; round++) {
                for (int idx = 0; idx < queries.size(); idx++) {
                    Bench bench = queries.get(idx);
                    long started = System.nanoTime();
                    Query query = toQuery(analyzer, bench.klass(), bench.text());
                    // Top 10, counting no further than 10 hits: block-max pruning stays on.
                    TopDocs top = searcher.search(query, new TopScoreDocCollectorManager(10, null, 10));
                    long elapsed = System.nanoTime() - started;
                    sink += top.scoreDocs.length;
                    if (round > 0) {
                        samples[idx][round - 1] = elapsed;
                    }
                }
            }
            report(queries, samples, perQuery);
            System.err.println("(hits returned: " + sink + ")");
        }
    }

    static List<String> analyse(Analyzer analyzer, String word, List<Integer> positions)
            throws Exception {
        List<String> terms = new ArrayList<>();
        try (TokenStream stream = analyzer.tokenStream(FIELD, word)) {
            CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
            PositionIncrementAttribute increment = stream.addAttribute(PositionIncrementAttribute.class);
            stream.reset();
            int position = -1;
            while (stream.incrementToken()) {
                position += increment.getPositionIncrement();
                terms.add(term.toString());
                if (positions != null) {
                    positions.add(position);
                }
            }
            stream.end();
        }
        return terms;
    }

    static Query toQuery(Analyzer analyzer, String klass, String text) throws Exception {
        if (text.startsWith("\"") && text.endsWith("\"") && text.length() > 1) {
            List<Integer> positions = new ArrayList<>();
            List<String> terms = analyse(analyzer, text.substring(1, text.length() - 1), positions);
            if (terms.isEmpty()) {
                return new MatchNoDocsQuery();
            }
            if (terms.size() == 1) {
                return new TermQuery(new Term(FIELD, terms.get(0)));
            }
            PhraseQuery.Builder phrase = new PhraseQuery.Builder();
            for (int i = 0; i < terms.size(); i++) {
                phrase.add(new Term(FIELD, terms.get(i)), positions.get(i));
            }
            return phrase.build();
        }
        BooleanQuery.Builder bool = new BooleanQuery.Builder();
        int clauses = 0;
        for (String word : text.split("\\s+")) {
            if (word.equals("OR") || word.equals("AND") || word.isEmpty()) {
                continue;
            }
            boolean must = word.startsWith("+");
            for (String term : analyse(analyzer, must ? word.substring(1) : word, null)) {
                bool.add(new TermQuery(new Term(FIELD, term)),
                        must ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD);
                clauses++;
            }
        }
        if (clauses == 0) {
            return new MatchNoDocsQuery();
        }
        Query built = bool.build();
        return clauses == 1 ? ((BooleanQuery) built).clauses().get(0).query() : built;
    }

    static double percentile(long[] sorted, double percent) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(rank, 1) - 1] / 1000.0;
    }

    static void report(List<Bench> queries, long[][] samples, Path perQuery) throws Exception {
        Map<String, List<Long>> byClass = new TreeMap<>();
        List<Long> all = new ArrayList<>();
        for (int idx = 0; idx < queries.size(); idx++) {
            for (long sample : samples[idx]) {
                byClass.computeIfAbsent(queries.get(idx).klass(), k -> new ArrayList<>()).add(sample);
                all.add(sample);
            }
        }
        byClass.put("all", all);
        System.out.printf("%-10s %7s %11s %11s%n", "lucene", "runs", "p50 µs", "p99 µs");
        for (Map.Entry<String, List<Long>> entry : byClass.entrySet()) {
            long[] sorted = entry.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("%-10s %7d %11.1f %11.1f%n", entry.getKey(), sorted.length,
                    percentile(sorted, 50), percentile(sorted, 99));
        }
        if (perQuery != null) {
            List<String> lines = new ArrayList<>();
            Integer[] order = new Integer[queries.size()];
            double[] max = new double[queries.size()];
            double[] median = new double[queries.size()];
            for (int idx = 0; idx < queries.size(); idx++) {
                long[] sorted = samples[idx].clone();
                Arrays.sort(sorted);
                max[idx] = percentile(sorted, 100);
                median[idx] = percentile(sorted, 50);
                order[idx] = idx;
            }
            Arrays.sort(order, (a, b) -> Double.compare(max[b], max[a]));
            for (int idx : order) {
                lines.add(String.format("%.1f\t%.1f\t%s\t%s", max[idx], median[idx],
                        queries.get(idx).klass(), queries.get(idx).text()));
            }
            Files.write(perQuery, lines, StandardCharsets.UTF_8);
        }
    }
}
