//! Article metadata beside the text, shared by the readers: the outlet (given, else the URL's
//! host) and the subtitle read as the first paragraph. Pure.

use crate::model::Section;

/// The outlet of an article: as its source names it, else the host of its URL without
/// `www.` (`https://www.reuters.com/x` -> `reuters.com`).
pub fn source_or_host(given: Option<String>, url: Option<&str>) -> Option<String> {
    given
        .filter(|source| !source.trim().is_empty())
        .or_else(|| {
            let parsed = url::Url::parse(url?.trim()).ok()?;
            let host = parsed.host_str()?;
            let host = host.strip_prefix("www.").unwrap_or(host);
            (!host.is_empty()).then(|| host.to_string())
        })
}

/// The lead and sections of an article with a subtitle (standfirst): the subtitle is its first
/// paragraph, searched and shown as the lead, and the lead it had follows it.
pub fn with_subtitle(
    subtitle: Option<String>,
    lead: String,
    mut sections: Vec<Section>,
) -> (String, Vec<Section>) {
    let Some(subtitle) = subtitle.filter(|s| !s.trim().is_empty()) else {
        return (lead, sections);
    };
    if !lead.is_empty() {
        match sections.first_mut() {
            Some(first) if first.heading.is_none() => first.paragraphs.insert(0, lead),
            _ => sections.insert(
                0,
                Section {
                    heading: None,
                    paragraphs: vec![lead],
                },
            ),
        }
    }
    (subtitle, sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outlet_is_the_source_given_else_the_host_of_the_url() {
        let host = |url: &str| source_or_host(None, Some(url));
        assert_eq!(
            host("https://www.reuters.com/world/x").as_deref(),
            Some("reuters.com")
        );
        assert_eq!(
            host("http://apnews.com:8080/a").as_deref(),
            Some("apnews.com")
        );
        assert_eq!(host("not a url"), None);
        assert_eq!(
            source_or_host(Some("Reuters".into()), Some("https://www.rt.com/x")).as_deref(),
            Some("Reuters")
        );
        assert_eq!(source_or_host(Some(" ".into()), None), None);
    }

    #[test]
    fn a_subtitle_is_the_lead_and_the_lead_it_replaces_comes_next() {
        let headed = vec![Section {
            heading: Some("Outlook".into()),
            paragraphs: vec!["More.".into()],
        }];
        let (lead, sections) = with_subtitle(
            Some("The EU acts.".into()),
            "Banks were hit.".into(),
            headed,
        );
        assert_eq!(lead, "The EU acts.");
        assert_eq!(sections[0].heading, None);
        assert_eq!(sections[0].paragraphs, ["Banks were hit."]);
        assert_eq!(sections[1].heading.as_deref(), Some("Outlook"));
        let (lead, sections) = with_subtitle(None, "Banks were hit.".into(), Vec::new());
        assert_eq!((lead.as_str(), sections.len()), ("Banks were hit.", 0));
    }
}
