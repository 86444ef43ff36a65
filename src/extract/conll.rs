//! CoNLL-2003 reader: an `eng.*` file, or any file in its format (IOB1 or IOB2 tags, any
//! columns between token and tag, as `../shared/corpora/ner/` has them) -> documents of
//! sentences with gold tags and gold entity names. Used by the tagger's training script and the
//! quality harness; indexing never uses it.

use std::path::Path;

use crate::error::IngestError;
use crate::extract::tagger::{Tag, TrainingSentence};

/// One `-DOCSTART-` document.
#[derive(Default)]
pub struct ConllDocument {
    pub sentences: Vec<TrainingSentence>,
}

impl ConllDocument {
    /// The document as text: words joined by spaces, one sentence a line.
    pub fn text(&self) -> String {
        self.sentences
            .iter()
            .map(|sentence| sentence.words.join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The gold names with their tags, as written (IOB1: `B-` starts a new name of the same
    /// kind right after another).
    pub fn gold_names(&self) -> Vec<(String, Tag)> {
        let mut names = Vec::new();
        for sentence in &self.sentences {
            let mut current: Option<(Vec<&str>, Tag)> = None;
            for (word, (tag, begins)) in sentence.words.iter().zip(
                sentence
                    .tags
                    .iter()
                    .copied()
                    .zip(sentence.begins.iter().copied()),
            ) {
                let continues = matches!(&current, Some((_, open)) if *open == tag && !begins);
                if !continues {
                    if let Some((words, open)) = current.take() {
                        names.push((words.join(" "), open));
                    }
                    if tag != Tag::None {
                        current = Some((vec![word.as_str()], tag));
                    }
                } else if let Some((words, _)) = current.as_mut() {
                    words.push(word);
                }
            }
            if let Some((words, open)) = current.take() {
                names.push((words.join(" "), open));
            }
        }
        names
    }
}

/// Reads a CoNLL-2003 file: `token POS chunk NER` a line, blank lines between sentences,
/// `-DOCSTART-` lines between documents. A file without document marks (GMB, BTC) is read as
/// one document a sentence, since which sentences belong together is unknown.
pub fn read_conll(path: &Path) -> Result<Vec<ConllDocument>, IngestError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| IngestError::new(path, format!("cannot read: {error}")))?;
    let documents = parse_conll(path, &text)?;
    if text.contains("-DOCSTART-") {
        return Ok(documents);
    }
    Ok(documents
        .into_iter()
        .flat_map(|document| document.sentences)
        .map(|sentence| ConllDocument {
            sentences: vec![sentence],
        })
        .collect())
}

fn parse_conll(path: &Path, text: &str) -> Result<Vec<ConllDocument>, IngestError> {
    let mut documents = Vec::new();
    let mut document = ConllDocument::default();
    let mut sentence = TrainingSentence::default();
    let flush_sentence = |sentence: &mut TrainingSentence, document: &mut ConllDocument| {
        if !sentence.words.is_empty() {
            document.sentences.push(std::mem::take(sentence));
        }
    };
    for (line_idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            flush_sentence(&mut sentence, &mut document);
            continue;
        }
        if line.starts_with("-DOCSTART-") {
            flush_sentence(&mut sentence, &mut document);
            if !document.sentences.is_empty() {
                documents.push(std::mem::take(&mut document));
            }
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        let (Some(word), Some(tag)) = (cells.first(), cells.last()) else {
            continue;
        };
        if cells.len() < 2 {
            return Err(IngestError::at_line(
                path,
                line_idx + 1,
                "expected `token POS chunk NER`",
            ));
        }
        sentence.words.push(word.to_string());
        sentence.tags.push(Tag::from_conll(tag));
        sentence.begins.push(tag.starts_with("B-"));
    }
    flush_sentence(&mut sentence, &mut document);
    if !document.sentences.is_empty() {
        documents.push(document);
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_documents_sentences_and_iob1_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eng.sample");
        std::fs::write(
            &path,
            "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n\
             Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\nJohn NNP I-NP B-PER\n\n\
             -DOCSTART- -X- -X- O\n\nParis NNP I-NP I-LOC\n",
        )
        .unwrap();
        let documents = read_conll(&path).unwrap();
        assert_eq!(documents.len(), 2);
        assert_eq!(
            documents[0].text(),
            "EU rejects German\nPeter Blackburn John"
        );
        assert_eq!(
            documents[0].gold_names(),
            [
                ("EU".to_string(), Tag::Organisation),
                ("German".to_string(), Tag::Other),
                ("Peter Blackburn".to_string(), Tag::Person),
                ("John".to_string(), Tag::Person),
            ]
        );
    }

    #[test]
    fn reads_iob2_without_document_marks_one_document_a_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gmb.sample");
        std::fs::write(
            &path,
            "Peter NNP _ B-PER\nBlackburn NNP _ I-PER\nJohn NNP _ B-PER\nsaw VBD _ O\n\n\
             New _ _ B-LOC\nYork _ _ I-LOC\n\n",
        )
        .unwrap();
        let documents = read_conll(&path).unwrap();
        assert_eq!(documents.len(), 2);
        assert_eq!(
            documents[0].gold_names(),
            [
                ("Peter Blackburn".to_string(), Tag::Person),
                ("John".to_string(), Tag::Person),
            ]
        );
        assert_eq!(
            documents[1].gold_names(),
            [("New York".to_string(), Tag::Place)]
        );
    }
}
