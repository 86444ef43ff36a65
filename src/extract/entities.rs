//! Entity extraction: passage text -> canonical named entities. The tagger finds and types name
//! spans; the gazetteer maps every known form (name, alias, adjective, demonym) to one canonical
//! entity; within an article, acronyms defined in the text and surnames after a full name
//! resolve to the full form. Pure: knowledge is loaded once and shared read-only; nothing here
//! reads article files or touches the index.

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;

use crate::extract::acronyms::{
    AcronymPair, AcronymTable, ArticleAcronyms, CorpusAcronyms, is_acronym, spells_acronym,
};
use crate::extract::gazetteer::{FormKind, Gazetteer, Lists, push_entity_key, strip_possessive};
pub use crate::extract::gazetteer::{GazetteerError, entity_key};
use crate::extract::names;
use crate::extract::tagger::{
    Affixed, KnownMatches, Tag, TagScratch, Tagger, Token, affixed_name, builtin_tagger, recycle,
    tokenize_into,
};
use crate::model::{Article, Entity, EntityKind, Passage};

/// One name found in a text: where it is, how it is written and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    /// The kind of the words as written: an adjective or demonym ("Serbian") is `Other`,
    /// as in CoNLL-2003, although its entity is the place.
    pub written_kind: EntityKind,
    pub entity: Entity,
}

/// What one article has taught the extractor so far: acronyms it defined and the people it
/// named in full, by folded key.
#[derive(Debug, Default)]
struct ArticleContext {
    aliases: FxHashMap<String, Entity>,
    /// The first spelling of every name met, so that "VUCIC" later reads as "Vucic".
    spellings: FxHashMap<String, Entity>,
    /// Acronyms defined in the text, in order (folded key, entity): for the corpus table.
    defined: Vec<(String, Entity)>,
}

/// The gazetteer and the tagger that turn text into canonical entities.
#[derive(Debug, Clone)]
pub struct EntityExtractor {
    gazetteer: Lists,
    /// Loaded on first use: searching resolves names with the gazetteer alone.
    tagger: fn() -> &'static Tagger,
    /// Known forms that the tagger did not mark still count as mentions.
    match_untagged_forms: bool,
    /// Acronyms defined in some article of the corpus (`with_acronyms`); empty by default.
    acronyms: CorpusAcronyms,
}

fn empty_tagger() -> &'static Tagger {
    static EMPTY: OnceLock<Tagger> = OnceLock::new();
    EMPTY.get_or_init(Tagger::empty)
}

impl EntityExtractor {
    /// The extractor with newsdex's built-in knowledge and tagger.
    pub fn builtin() -> EntityExtractor {
        EntityExtractor {
            gazetteer: Lists::Builtin,
            tagger: builtin_tagger,
            match_untagged_forms: true,
            acronyms: CorpusAcronyms::default(),
        }
    }

    /// The built-in extractor plus the entities of a user's file (`--entities FILE`), which
    /// win over built-in ones.
    pub fn with_user_file(path: &Path) -> Result<EntityExtractor, GazetteerError> {
        let mut extractor = EntityExtractor::builtin();
        let mut gazetteer = (*extractor.gazetteer).clone();
        gazetteer.load_file(path)?;
        extractor.gazetteer = Lists::Own(Arc::new(gazetteer));
        Ok(extractor)
    }

    /// The built-in extractor, or with a user file when one is given.
    pub fn from_option(path: Option<&Path>) -> Result<EntityExtractor, GazetteerError> {
        match path {
            Some(path) => EntityExtractor::with_user_file(path),
            None => Ok(EntityExtractor::builtin()),
        }
    }

    /// An extractor that finds nothing (and resolves every name to itself): the baseline of the
    /// entity-overhead benchmark.
    pub fn none() -> EntityExtractor {
        EntityExtractor {
            gazetteer: Lists::Own(Arc::new(Gazetteer::default())),
            tagger: empty_tagger,
            match_untagged_forms: false,
            acronyms: CorpusAcronyms::default(),
        }
    }

    /// The built-in lists without the tagger: no names that no list holds. What the
    /// entity-overhead benchmark and `extract_speed --lists-only` measure the tagger's cost by.
    pub fn lists_only() -> EntityExtractor {
        EntityExtractor::builtin().with_tagger(empty_tagger)
    }

    /// The same extractor with another tagger (a retrained one, measured before it ships).
    pub fn with_tagger(mut self, tagger: fn() -> &'static Tagger) -> EntityExtractor {
        self.tagger = tagger;
        self
    }

    /// Whether this extractor finds no entity in any text (`none`): it defines no acronym either.
    pub fn finds_nothing(&self) -> bool {
        (self.tagger)().is_empty() && self.gazetteer.is_empty()
    }

    /// Whether known forms the tagger missed count (on by default); the quality harness
    /// measures both ways.
    pub fn set_match_untagged_forms(&mut self, on: bool) {
        self.match_untagged_forms = on;
    }

    pub fn gazetteer(&self) -> &Gazetteer {
        &self.gazetteer
    }

    /// Whether some known form may have this folded key (`entity_key`): false only when none
    /// can. Cheaper than `gazetteer().form` while the built-in lists are not read yet.
    pub fn may_know(&self, key: &str) -> bool {
        self.gazetteer.may_know(key)
    }

    /// The canonical entity for a name as a user typed it; unknown names keep their spelling
    /// (without possessive) with kind `other`.
    pub fn resolve(&self, name: &str) -> Entity {
        match self.gazetteer.lookup(name) {
            Some(known) => known.entity.clone(),
            None if let Some(entity) = self.corpus_acronym(name) => entity.clone(),
            None => as_written(name, EntityKind::Other),
        }
    }

    /// The country a known city or region lies in, or the state a historical one became.
    pub fn within(&self, entity: &Entity) -> Option<Entity> {
        let known = self.gazetteer.lookup(&entity.name)?;
        let within = known.within.as_deref()?;
        Some(self.resolve(within))
    }

    /// Finds the entities of one text, deduplicated and sorted by kind and name.
    pub fn extract(&self, text: &str) -> Vec<Entity> {
        self.passage_entities(text, &mut ArticleContext::default())
    }

    /// The entities of one text in an article's context, deduplicated (before they are
    /// cloned) and sorted.
    fn passage_entities(&self, text: &str, context: &mut ArticleContext) -> Vec<Entity> {
        let mut found: Vec<Entity> = Vec::new();
        self.visit_mentions(text, context, &mut |_, _, _, entity| {
            if !found.contains(entity) {
                found.push(entity.clone());
            }
        });
        found.sort_unstable();
        found
    }

    /// Every mention in one text, in order, as if the text were a whole article.
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        self.find_mentions(text, &mut ArticleContext::default())
    }

    /// Fills in the entities of every passage of one article (acronyms and surnames resolve
    /// across its passages, in order), adding the article's own labels to the lead.
    pub fn annotate(&self, article: &Article, passages: &mut [Passage]) {
        self.annotate_article(article, passages);
    }

    /// `annotate`, also giving what the article defines and uses for the corpus table. An
    /// acronym the article uses without defining it resolves through the corpus table
    /// (`with_acronyms`); one it defines means its own long form in all its passages, also
    /// before the definition.
    pub fn annotate_article(&self, article: &Article, passages: &mut [Passage]) -> ArticleAcronyms {
        let acronyms = self.annotate_article_as_written(article, passages);
        if !acronyms.used.is_empty() {
            self.resolve_used_acronyms(
                &acronyms.used,
                passages.iter_mut().map(|passage| &mut passage.entities),
            );
        }
        acronyms
    }

    /// `annotate_article` without the corpus table: the acronyms the article uses without
    /// defining them (`ArticleAcronyms::used`) stay as written, for `resolve_used_acronyms` to
    /// resolve with whatever table is final. A build labels an article once this way and
    /// resolves its acronyms when the corpus table is known, without tagging it again.
    pub fn annotate_article_as_written(
        &self,
        article: &Article,
        passages: &mut [Passage],
    ) -> ArticleAcronyms {
        let mut context = ArticleContext::default();
        for passage in passages.iter_mut() {
            passage.entities = self.passage_entities(&passage.text, &mut context);
        }
        // A surname before the full name ("Blair" in the headline above "Tony Blair").
        let mut lists: Vec<&mut Vec<Entity>> = passages
            .iter_mut()
            .map(|passage| &mut passage.entities)
            .collect();
        names::resolve_short_names(&mut lists, |name| self.gazetteer.lookup(name).is_some());
        let mut acronyms = self.own_acronyms(context, passages);
        if let Some(first) = passages.first_mut() {
            for given in &article.given_entities {
                // A label no list knows keeps the kind its source gave it.
                let mut entity = match self.gazetteer.lookup(&given.name) {
                    Some(known) => known.entity.clone(),
                    None => as_written(&given.name, given.kind),
                };
                if entity.kind == EntityKind::Other {
                    entity.kind = given.kind;
                }
                // A label no list knows may be an acronym of the corpus, in any case ("icco").
                let key = entity_key(&entity.name);
                if self.gazetteer.form(&key).is_none() && !acronyms.used.contains(&key) {
                    acronyms.used.push(key);
                }
                if !first.entities.contains(&entity) {
                    first.entities.push(entity);
                }
            }
            first.entities.sort();
        }
        acronyms
    }

    /// The acronyms texts define (`ArticleAcronyms::defined`), read as passages of one
    /// article: those of an article's passages that may define one give what
    /// `annotate_article_as_written` of the article finds, but for a name the other passages
    /// resolve (a build's first guess at the corpus table, checked at its end).
    pub fn acronyms_defined<'t>(
        &self,
        texts: impl IntoIterator<Item = &'t str>,
    ) -> Vec<AcronymPair> {
        let mut context = ArticleContext::default();
        for text in texts {
            self.visit_mentions(text, &mut context, &mut |_, _, _, _| {});
        }
        self.own_acronyms(context, &mut []).defined
    }

    /// Resolves, in an article's entity lists (one a passage) labelled as written
    /// (`annotate_article_as_written`), the acronyms it uses without defining them (`used`,
    /// which also holds the keys of its own labels that no list knows), through this
    /// extractor's corpus table; each list stays sorted and without repeats.
    pub fn resolve_used_acronyms<'e>(
        &self,
        used: &[String],
        lists: impl Iterator<Item = &'e mut Vec<Entity>>,
    ) {
        if used.is_empty() || self.acronyms().is_empty() {
            return;
        }
        let mut key = String::new();
        for entities in lists {
            let mut replaced = false;
            for entity in entities.iter_mut() {
                key.clear();
                push_entity_key(&entity.name, &mut key);
                if !used.contains(&key) {
                    continue;
                }
                if let Some(corpus) = self.acronyms().get(&key) {
                    *entity = corpus.clone();
                    replaced = true;
                }
            }
            if replaced {
                entities.sort_unstable();
                entities.dedup();
            }
        }
    }

    /// The same extractor, resolving the acronyms that articles of the corpus defined.
    pub fn with_acronyms(self, table: Arc<AcronymTable>) -> EntityExtractor {
        self.with_corpus_acronyms(CorpusAcronyms::of(table))
    }

    /// `with_acronyms`, with a table that may be read on first use.
    pub fn with_corpus_acronyms(mut self, acronyms: CorpusAcronyms) -> EntityExtractor {
        self.acronyms = acronyms;
        self
    }

    /// The corpus acronym table this extractor resolves with.
    pub fn acronyms(&self) -> &Arc<AcronymTable> {
        self.acronyms.table()
    }

    /// The corpus acronyms, read or still to read.
    pub fn corpus_acronyms(&self) -> &CorpusAcronyms {
        &self.acronyms
    }

    /// The entity an article of the corpus defined the acronym `name` as (any case, as the
    /// lists' forms are looked up).
    pub fn corpus_acronym(&self, name: &str) -> Option<&Entity> {
        let acronyms = self.acronyms();
        if acronyms.is_empty() {
            return None;
        }
        acronyms.get(&entity_key(strip_possessive(name.trim())))
    }

    /// Settles an article's acronyms once its passages are extracted: the pairs it defined
    /// (unless a list knows the acronym) replace their acronym in every passage, and every
    /// other acronym-like name no list knows is left as written and noted as used.
    fn own_acronyms(&self, context: ArticleContext, passages: &mut [Passage]) -> ArticleAcronyms {
        let mut acronyms = ArticleAcronyms::default();
        for (key, entity) in context.defined {
            if self.gazetteer.form(&key).is_none()
                && spells_acronym(&entity.name, &key)
                && !acronyms.defined.iter().any(|(known, _)| *known == key)
            {
                acronyms.defined.push((key, entity));
            }
        }
        let mut key = String::new();
        for passage in passages.iter_mut() {
            let mut replaced = false;
            for entity in &mut passage.entities {
                if !is_acronym(&entity.name) {
                    continue;
                }
                key.clear();
                push_entity_key(&entity.name, &mut key);
                if self.gazetteer.form(&key).is_some() {
                    continue;
                }
                let own = acronyms.defined.iter().find(|(known, _)| *known == key);
                if let Some((_, own)) = own {
                    if own != entity {
                        *entity = own.clone();
                        replaced = true;
                    }
                    continue;
                }
                if !acronyms.used.contains(&key) {
                    acronyms.used.push(key.clone());
                }
            }
            if replaced {
                passage.entities.sort_unstable();
                passage.entities.dedup();
            }
        }
        acronyms
    }

    fn find_mentions(&self, text: &str, context: &mut ArticleContext) -> Vec<Mention> {
        let mut mentions = Vec::new();
        self.visit_mentions(text, context, &mut |start, end, written_kind, entity| {
            mentions.push(Mention {
                start,
                end,
                written_kind,
                entity: entity.clone(),
            });
        });
        mentions
    }

    /// Calls `visit` with the byte range, written kind and entity of every mention in `text`,
    /// in order. Its buffers are the thread's, reused from text to text.
    fn visit_mentions(
        &self,
        text: &str,
        context: &mut ArticleContext,
        visit: &mut dyn FnMut(usize, usize, EntityKind, &Entity),
    ) {
        let tagger = (self.tagger)();
        if tagger.is_empty() && self.gazetteer.is_empty() {
            return;
        }
        SCRATCH.with(|cell| {
            let mut fresh = None;
            let mut held = cell.try_borrow_mut();
            let scratch = match held.as_deref_mut() {
                Ok(scratch) => scratch,
                Err(_) => fresh.insert(Scratch::default()),
            };
            let mut tokens = recycle(std::mem::take(&mut scratch.tokens));
            tokenize_into(text, &mut tokens);
            tagger.tag_text_into(&tokens, &self.gazetteer, &mut scratch.tag);
            let mut spans = std::mem::take(&mut scratch.spans);
            self.spans_into(&tokens, &scratch.tag.tags, &scratch.tag.matches, &mut spans);
            let key = &mut scratch.key;
            for (span_idx, span) in spans.iter().enumerate() {
                let first = &tokens[span.first];
                let last = &tokens[span.last];
                let surface = &text[first.start..last.end];
                let (resolved, written_kind) =
                    self.resolve_span(surface, span, &tokens, context, key);
                let entity = self.resolved(resolved, context, key);
                visit(first.start, last.end, written_kind, entity);
                // "Stockholm International Peace Research Institute (SIPRI)": the acronym in
                // brackets names the same entity for the rest of the article.
                if let Some(next) = spans.get(span_idx + 1)
                    && next.first == next.last
                    && next.first == span.last + 2
                    && tokens
                        .get(span.last + 1)
                        .is_some_and(|token| token.text == "(")
                    && tokens
                        .get(next.last + 1)
                        .is_some_and(|token| token.text == ")")
                    && defines_acronym(surface, tokens[next.first].text)
                {
                    let entity = entity.clone();
                    let acronym = entity_key(tokens[next.first].text);
                    context.defined.push((acronym.clone(), entity.clone()));
                    context.aliases.insert(acronym, entity);
                }
            }
            scratch.spans = spans;
            scratch.tokens = recycle(tokens);
        });
    }

    /// Resolves one span: the gazetteer, then what the article taught, then the span itself.
    /// Leaves the span's key in `key`; `resolved` gives the entity.
    fn resolve_span(
        &self,
        surface: &str,
        span: &Span,
        tokens: &[Token<'_>],
        context: &mut ArticleContext,
        key: &mut String,
    ) -> (Resolved, EntityKind) {
        key.clear();
        push_entity_key(surface, key);
        let single_word = span.first == span.last;
        if single_word && let Some(entity) = context.aliases.get(key.as_str()) {
            return (Resolved::Alias, entity.kind);
        }
        if let Some(form) = self.gazetteer.form(key) {
            let known = &self.gazetteer.known(form.entity).entity;
            let written_kind = match form.kind {
                // As the tagger read the words here: "Chelsea" the club, not the place.
                FormKind::Name => span.tag.kind().unwrap_or(known.kind),
                FormKind::Adjective => EntityKind::Other,
            };
            if form.kind == FormKind::Name && !single_word {
                self.note_head_word(known, &tokens[span.first], context);
            }
            return (Resolved::Known(form.entity), written_kind);
        }
        let kind = span.tag.kind().unwrap_or(EntityKind::Other);
        if !context.spellings.contains_key(key.as_str()) {
            let entity = Entity {
                name: clean_name(surface),
                kind,
            };
            context.spellings.insert(key.clone(), entity);
        }
        let entity = &context.spellings[key.as_str()];
        if entity.kind == EntityKind::Person && !single_word {
            // "Aleksandar Vucic" makes a later "Vucic" mean him.
            let entity = entity.clone();
            // The surname is the last word but a suffix ("George Bush Jr", not "Elizabeth I").
            let mut last = span.last;
            while last > span.first + 1 && names::is_suffix(tokens[last].text) {
                last -= 1;
            }
            if !names::is_suffix(tokens[last].text) {
                context
                    .aliases
                    .insert(entity_key(tokens[last].text), entity);
            }
        } else if !single_word {
            let entity = entity.clone();
            self.note_head_word(&entity, &tokens[span.first], context);
        }
        (Resolved::Spelling, kind)
    }

    /// "The Bank of Finland ... the Bank said": an organisation's first word alone, later in
    /// the article, means the organisation, unless a list knows the word or the article
    /// already gave it a meaning.
    fn note_head_word(&self, entity: &Entity, first: &Token<'_>, context: &mut ArticleContext) {
        if entity.kind != EntityKind::Organisation {
            return;
        }
        let key = entity_key(first.text);
        if self.gazetteer.form(&key).is_none() && !context.aliases.contains_key(&key) {
            context.aliases.insert(key, entity.clone());
        }
    }

    /// The entity `resolve_span` found for the span whose key is `key`.
    fn resolved<'c>(
        &'c self,
        resolved: Resolved,
        context: &'c ArticleContext,
        key: &str,
    ) -> &'c Entity {
        match resolved {
            Resolved::Known(idx) => &self.gazetteer.known(idx).entity,
            Resolved::Alias => &context.aliases[key],
            Resolved::Spelling => &context.spellings[key],
        }
    }

    /// Spans of equal tags. A known form that starts where a span starts and covers all of
    /// it wins ("NEW YORK" when the tagger marked only "YORK" is still New York); when on,
    /// known forms the tagger left untagged count too.
    fn spans_into(
        &self,
        tokens: &[Token<'_>],
        tags: &[Tag],
        matches: &KnownMatches,
        spans: &mut Vec<Span>,
    ) {
        spans.clear();
        let mut idx = 0;
        while idx < tokens.len() {
            let tag = tags[idx];
            // A name never starts on a connector ("of" after "Bank", before "Finland").
            if tag != Tag::None && !tokens[idx].capitalised && matches[idx].is_none() {
                idx += 1;
                continue;
            }
            // The end (exclusive) of the run of equal tags that starts here.
            let mut run_end = idx;
            if tag != Tag::None {
                run_end = idx + 1;
                // A hyphenated adjective of a name ends the name ("Ontario-based" "Magna").
                while run_end < tokens.len()
                    && tags[run_end] == tag
                    && !tokens[run_end].starts_line
                    && affixed_name(tokens[run_end - 1].text) == Affixed::No
                {
                    run_end += 1;
                }
                if !tokens[run_end - 1].capitalised {
                    // The run ends on a connector the tagger put in the name ("Bank of" before
                    // "Finland", tagged a place): the name goes on through the capitalised
                    // words that follow, whatever their tags ("Bank of Finland").
                    let mut name_end = run_end;
                    while name_end < tokens.len()
                        && tags[name_end] != Tag::None
                        && tokens[name_end].capitalised
                        && !tokens[name_end].starts_line
                    {
                        name_end += 1;
                    }
                    if name_end > run_end {
                        run_end = name_end;
                    }
                }
                // A span does not end on a connector ("Bank of").
                while run_end > idx + 1 && !tokens[run_end - 1].capitalised {
                    run_end -= 1;
                }
                // "Elizabeth I", "Charles VI": a regnal number is of a person's name ("I" only
                // before punctuation or "of", not "Clinton I said"; "ENGLAND V AUSTRALIA" is no
                // person).
                if tag == Tag::Person
                    && let Some(next) = tokens.get(run_end)
                    && !next.starts_line
                    && tokens[run_end - 1].capitalised
                    && names::is_regnal_number(next.text)
                    && (next.text != "I"
                        || tokens.get(run_end + 1).is_none_or(|after| {
                            !after.text.chars().any(char::is_alphanumeric) || after.text == "of"
                        }))
                {
                    run_end += 1;
                }
            }
            // Known forms never run across lines (a headline into a dateline).
            let known = matches[idx];
            if let Some((form, n_words)) = known
                && idx + n_words >= run_end
                && (self.match_untagged_forms
                    || tags[idx..idx + n_words].iter().any(|tag| *tag != Tag::None))
            {
                let kind = self.gazetteer.known(form.entity).entity.kind;
                spans.push(Span {
                    first: idx,
                    last: idx + n_words - 1,
                    tag: if tag == Tag::None { tag_of(kind) } else { tag },
                });
                idx += n_words;
                continue;
            }
            if tag == Tag::None {
                idx += 1;
                continue;
            }
            // A company's legal form cut off its name ("Standard and Poor's Corp") names nothing.
            if run_end == idx + 1 && is_legal_form(tokens[idx].text) {
                idx = run_end;
                continue;
            }
            // "Federal Reserve Governor Lawrence Lindsey", "Chrysler Chairman Lee Iacocca": an
            // office inside the run ends the name of what holds it (an organisation, unless the
            // tagger said a place) and starts its holder's.
            if run_end - idx >= 3 {
                let words: Vec<(&str, bool)> = tokens[idx..run_end]
                    .iter()
                    .map(|token| (token.text, token.capitalised))
                    .collect();
                if let Some((office, name)) = names::office_holder(&words) {
                    spans.push(Span {
                        first: idx,
                        last: idx + office - 1,
                        tag: if tag == Tag::Person {
                            Tag::Organisation
                        } else {
                            tag
                        },
                    });
                    spans.push(Span {
                        first: idx + name,
                        last: run_end - 1,
                        tag: Tag::Person,
                    });
                    idx = run_end;
                    continue;
                }
            }
            // "Democrat Walter Mondale": a title inside a person's run starts the name.
            if tag == Tag::Person && run_end - idx >= 3 {
                let words: Vec<&str> = tokens[idx..run_end]
                    .iter()
                    .map(|token| token.text)
                    .collect();
                if let Some(name) = names::after_inner_title(&words) {
                    spans.push(Span {
                        first: idx + name,
                        last: run_end - 1,
                        tag,
                    });
                    idx = run_end;
                    continue;
                }
            }
            // "President Vučić", "Mr Blair": titles are not part of a person's name.
            let (mut first, mut tag) = (idx, tag);
            if names::may_start_with_title(tokens[idx].text) {
                let words: Vec<(&str, bool)> = tokens[idx..run_end]
                    .iter()
                    .map(|token| (token.text, token.capitalised))
                    .collect();
                match names::strip_titles(&words, tag == Tag::Person) {
                    None => {
                        idx = run_end;
                        continue;
                    }
                    Some((skip, person)) => {
                        first += skip;
                        if person {
                            tag = Tag::Person;
                        }
                    }
                }
            }
            spans.push(Span {
                first,
                last: run_end - 1,
                tag,
            });
            idx = run_end;
        }
    }
}

/// Legal forms of companies, which follow a name and are no name alone.
const LEGAL_FORMS: &[&str] = &[
    "corp",
    "corp.",
    "inc",
    "inc.",
    "ltd",
    "ltd.",
    "co",
    "co.",
    "cos",
    "plc",
    "llc",
    "ag",
    "nv",
    "gmbh",
    "lp",
    "llp",
    "corporation",
    "incorporated",
    "limited",
];

fn is_legal_form(word: &str) -> bool {
    LEGAL_FORMS
        .iter()
        .any(|form| word.eq_ignore_ascii_case(form))
}

/// Where the entity of a span is: the gazetteer's, or the article context's under the key.
#[derive(Debug, Clone, Copy)]
enum Resolved {
    Known(usize),
    Alias,
    Spelling,
}

/// One thread's extraction buffers, reused from text to text.
#[derive(Default)]
struct Scratch {
    /// Empty between texts.
    tokens: Vec<Token<'static>>,
    tag: TagScratch,
    spans: Vec<Span>,
    key: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Debug, Clone, Copy)]
struct Span {
    first: usize,
    /// Inclusive.
    last: usize,
    tag: Tag,
}

/// A name no list knows, as written (without a possessive).
fn as_written(name: &str, kind: EntityKind) -> Entity {
    Entity {
        name: strip_possessive(name.trim()).to_string(),
        kind,
    }
}

fn tag_of(kind: EntityKind) -> Tag {
    match kind {
        EntityKind::Person => Tag::Person,
        EntityKind::Place => Tag::Place,
        EntityKind::Organisation => Tag::Organisation,
        EntityKind::Other => Tag::Other,
    }
}

/// The name as stored: whitespace collapsed, possessive dropped.
fn clean_name(surface: &str) -> String {
    let collapsed = surface.split_whitespace().collect::<Vec<_>>().join(" ");
    strip_possessive(&collapsed).to_string()
}

/// Whether `acronym` (in capitals) can stand for `name`: its first letter is the first letter
/// of the name, and its letters appear in order among the name's capitalised words' initials
/// or letters.
fn defines_acronym(name: &str, acronym: &str) -> bool {
    let letters: Vec<char> = deunicode::deunicode(acronym)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    if letters.len() < 2 || !letters.iter().all(char::is_ascii_uppercase) {
        return false;
    }
    let name = deunicode::deunicode(name);
    let first = name.chars().find(char::is_ascii_alphabetic);
    first.is_some_and(|first| first.eq_ignore_ascii_case(&letters[0]))
}

#[cfg(test)]
mod tests;
