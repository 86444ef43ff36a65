// newsdex search page: query string state -> /api calls -> DOM. Every piece of article text is
// inserted as a text node (textContent or document.createTextNode), never parsed as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const LIST_KEYS = ['section', 'category', 'source', 'author', 'entity'];
const DEBOUNCE_MS = 150;
const PAGE_SIZE = 30;
// The API's deepest offset (`MAX_OFFSET` in src/serve/api.rs).
const MAX_OFFSET = 10000;
// A change to any of these is a new search: it starts again at the first page.
const SEARCH_KEYS = ['q', 'since', 'until', 'sort', ...LIST_KEYS];

// Creates an element; string children become text nodes, so no data is ever parsed as markup.
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    // An absent attribute (`disabled: null`) is left out, not set to the text "null".
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

// ---- state <-> URL ------------------------------------------------------------------------

function emptyState() {
  return { q: '', since: '', until: '', sort: 'relevance', section: [], category: [], source: [], author: [], entity: [], offset: 0, article: '', p: '' };
}

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const state = emptyState();
  for (const key of ['q', 'since', 'until', 'sort', 'article', 'p']) state[key] = params.get(key) || state[key];
  for (const key of LIST_KEYS) state[key] = params.getAll(key).filter(Boolean);
  state.offset = offsetOf(params.get('offset'));
  return state;
}

// A page's offset from the URL: a whole number from 0 to the API's deepest offset.
function offsetOf(text) {
  const offset = Number.parseInt(text || '0', 10);
  return Number.isFinite(offset) && offset > 0 ? Math.min(offset, MAX_OFFSET) : 0;
}

function urlOf(state) {
  const params = new URLSearchParams();
  for (const key of ['q', 'since', 'until']) if (state[key]) params.set(key, state[key]);
  if (state.sort && state.sort !== 'relevance') params.set('sort', state.sort);
  for (const key of LIST_KEYS) for (const value of state[key]) params.append(key, value);
  if (state.offset > 0) params.set('offset', String(state.offset));
  if (state.article) { params.set('article', state.article); if (state.p !== '') params.set('p', state.p); }
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

let state = stateFromUrl();

// Push a new history entry for deliberate steps (a filter, an article), replace it while typing.
function commit(change, { push = true } = {}) {
  const newSearch = !('offset' in change) && SEARCH_KEYS.some((key) => key in change);
  state = { ...state, ...change };
  if (newSearch) state.offset = 0;
  const url = urlOf(state);
  if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
  render();
}

// ---- API ----------------------------------------------------------------------------------

let inFlight = null;

async function api(path, params, { cancelPrevious = false } = {}) {
  let controller = null;
  if (cancelPrevious) {
    if (inFlight) inFlight.abort();
    controller = inFlight = new AbortController();
  }
  const query = params ? `?${params}` : '';
  const response = await fetch(`${path}${query}`, { signal: controller ? controller.signal : undefined });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function filterParams() {
  const params = new URLSearchParams();
  if (state.since) params.set('since', state.since);
  if (state.until) params.set('until', state.until);
  for (const key of LIST_KEYS) for (const value of state[key]) params.append(key, value);
  return params;
}

// ---- highlighting -------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// `highlights` are UTF-8 byte ranges into `snippet`: cut the bytes, decode each piece.
function highlighted(snippet, highlights) {
  const bytes = encoder.encode(snippet);
  const nodes = [];
  let at = 0;
  const ranges = [...(highlights || [])].sort((a, b) => a.start - b.start);
  for (const { start, end } of ranges) {
    if (start < at || end > bytes.length || end <= start) continue;
    if (start > at) nodes.push(document.createTextNode(decoder.decode(bytes.subarray(at, start))));
    nodes.push(el('mark', {}, decoder.decode(bytes.subarray(start, end))));
    at = end;
  }
  if (at < bytes.length) nodes.push(document.createTextNode(decoder.decode(bytes.subarray(at))));
  return nodes;
}

// The address of a source link: only http(s) URLs become links (never `javascript:` and the like).
function linkable(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

function formatDate(iso) {
  return iso ? iso.slice(0, 10) : 'undated';
}

// ---- rendering ----------------------------------------------------------------------------

function setStatus(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function renderChips() {
  const chips = $('chips');
  chips.replaceChildren();
  for (const key of LIST_KEYS) {
    for (const value of state[key]) {
      chips.append(el('button', {
        type: 'button', class: 'chip', 'aria-label': `Remove filter ${key} ${value}`,
        onclick: () => commit({ [key]: state[key].filter((v) => v !== value) }),
      }, `${key}: ${value} ×`));
    }
  }
  if (state.since || state.until) {
    chips.append(el('button', {
      type: 'button', class: 'chip', 'aria-label': 'Remove the date range',
      onclick: () => commit({ since: '', until: '' }),
    }, `dates: ${state.since || '…'} – ${state.until || '…'} ×`));
  }
}

function addFilter(key, value) {
  if (!state[key].includes(value)) commit({ [key]: [...state[key], value] });
}

function renderResults(body) {
  const results = $('results');
  results.replaceChildren();
  const groups = new Map();
  for (const hit of body.hits) {
    if (!groups.has(hit.article_id)) groups.set(hit.article_id, []);
    groups.get(hit.article_id).push(hit);
  }
  for (const [articleId, hits] of groups) {
    const first = hits[0];
    const meta = el('div', { class: 'meta' }, formatDate(first.date));
    const filterLinks = [
      ['category', 'Only this category', first.categories || []],
      ['source', 'Only this outlet', first.source ? [first.source] : []],
      ['author', 'Only this author', first.authors || []],
    ];
    for (const [key, title, values] of filterLinks) {
      for (const value of values) {
        meta.append(' · ', el('button', {
          type: 'button', class: 'linkish', title, onclick: () => addFilter(key, value),
        }, key === 'author' ? `by ${value}` : value));
      }
    }
    meta.append(` · ${first.path}`);
    if (first.url) {
      // The record's address: a link (in a new tab, which gets no handle on this page) when it
      // is http(s), its text otherwise.
      const href = linkable(first.url);
      meta.append(' · ', href
        ? el('a', { class: 'source', href, target: '_blank', rel: 'noopener noreferrer' }, first.url)
        : el('span', { class: 'source' }, first.url));
    }
    const group = el('article', { class: 'article-group' },
      el('h3', { class: 'article-title' },
        el('button', { type: 'button', onclick: () => openArticle(articleId, first.ordinal) }, first.title || articleId)),
      meta);
    let more = 0;
    const copies = new Map();
    for (const hit of hits) {
      for (const copy of hit.duplicates || []) copies.set(copy.article_id, copy);
      const passage = el('div', {
        class: 'passage result', tabindex: '0', role: 'link',
        dataset: { article: articleId, ordinal: String(hit.ordinal) },
        onclick: (event) => {
          if (event.target.closest('button')) return;
          openArticle(articleId, hit.ordinal);
        },
      });
      if (hit.section) {
        passage.append(el('div', { class: 'section' },
          el('button', { type: 'button', class: 'linkish', title: 'Only this section', onclick: () => addFilter('section', hit.section) }, hit.section)));
      }
      passage.append(el('div', { class: 'snippet' }, ...highlighted(hit.snippet, hit.highlights)));
      group.append(passage);
      more = Math.max(more, hit.more_in_article || 0);
    }
    if (more > 0) group.append(el('div', { class: 'more' }, `${more} more matching passage${more === 1 ? '' : 's'} in this article`));
    if (copies.size > 0) group.append(el('div', { class: 'more duplicates' }, duplicatesLine([...copies.keys()])));
    results.append(group);
  }
  if (body.hits.length === 0) {
    results.append(el('p', { class: 'muted' }, state.offset > 0 ? 'No more passages.' : 'No passage matches.'));
  }
  renderPager(body);
}

// Near-copies folded into a hit (the API's `duplicates`), as the terminal says them:
// `+4 copies: a.txt, b.txt, c.txt, …`. Text only.
function duplicatesLine(ids) {
  const shown = ids.slice(0, 3).join(', ');
  return `+${ids.length} cop${ids.length === 1 ? 'y' : 'ies'}: ${shown}${ids.length > 3 ? ', …' : ''}`;
}

// Previous and next pages of PAGE_SIZE passages, through the API's offset; the offset is in the
// page's URL, so a page can be shared, reloaded and reached with the browser's back button.
function renderPager(body) {
  const hasPrevious = state.offset > 0;
  const hasNext = body.more && body.hits.length === PAGE_SIZE && state.offset + PAGE_SIZE <= MAX_OFFSET;
  if (!hasPrevious && !hasNext) return;
  const first = state.offset + 1;
  const last = state.offset + body.hits.length;
  const pager = el('nav', { id: 'pager', class: 'pager', 'aria-label': 'Result pages' },
    el('button', {
      type: 'button', id: 'page-previous', disabled: hasPrevious ? null : 'disabled',
      onclick: () => commit({ offset: Math.max(0, state.offset - PAGE_SIZE) }),
    }, '← Previous'),
    el('span', { class: 'muted' }, body.hits.length ? `passages ${first}–${last}` : ''),
    el('button', {
      type: 'button', id: 'page-next', disabled: hasNext ? null : 'disabled',
      onclick: () => commit({ offset: state.offset + PAGE_SIZE }),
    }, 'Next →'));
  $('results').append(pager);
}

function monthEnd(month) {
  const [year, mon] = month.split('-').map(Number);
  const last = new Date(Date.UTC(year, mon, 0)).getUTCDate();
  return `${month}-${String(last).padStart(2, '0')}`;
}

// Every month from the first to the last with a count, gaps filled with zeros.
function fillMonths(months) {
  if (!months || months.length === 0) return [];
  const counts = new Map(months.map((m) => [m.value, m.count]));
  const [firstYear, firstMonth] = months[0].value.split('-').map(Number);
  const [lastYear, lastMonth] = months[months.length - 1].value.split('-').map(Number);
  const filled = [];
  for (let idx = firstYear * 12 + firstMonth - 1; idx <= lastYear * 12 + lastMonth - 1; idx++) {
    const value = `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
    filled.push({ value, count: counts.get(value) || 0 });
    if (filled.length > 1200) break;
  }
  return filled;
}

function renderHistogram(months) {
  const histogram = $('histogram');
  histogram.replaceChildren();
  const filled = fillMonths(months);
  const max = Math.max(1, ...filled.map((m) => m.count));
  for (const month of filled) {
    const selected = state.since === `${month.value}-01` && state.until === monthEnd(month.value);
    const bar = el('button', {
      type: 'button', class: `bar${month.count ? '' : ' empty'}${selected ? ' active' : ''}`,
      title: `${month.value}: ${month.count} passage${month.count === 1 ? '' : 's'}`,
      'aria-label': `${month.value}: ${month.count} passages`,
      dataset: { month: month.value },
      onclick: () => { if (month.count) commit({ since: `${month.value}-01`, until: monthEnd(month.value) }); },
    });
    bar.style.height = `${Math.max(2, Math.round((month.count / max) * 100))}%`;
    histogram.append(bar);
  }
  $('histogram-range').textContent = filled.length
    ? `${filled[0].value} – ${filled[filled.length - 1].value}; select a month to narrow the dates`
    : 'No dated passages.';
}

// Outlets and authors: a list each, shown only when the index knows some.
function renderKeywordFacets(facets) {
  for (const [listId, key] of [['sources', 'source'], ['authors', 'author']]) {
    const items = facets ? facets[listId] || [] : [];
    $(`${listId}-section`).hidden = items.length === 0;
    renderFacetList(listId, items, key, (c) => c.value);
  }
  renderExtraFacets(facets ? facets.extra || {} : {});
}

// The index's declared keyword fields (`[fields.extra]`): a list each; a value adds
// `+name:"value"` to the query.
function renderExtraFacets(extra) {
  const box = $('extra-facets');
  box.replaceChildren();
  for (const [name, items] of Object.entries(extra)) {
    if (items.length === 0) continue;
    const list = el('ul', { class: 'facet-list', dataset: { field: name } });
    for (const item of items) {
      const clause = `+${name}:"${item.value.replaceAll('"', ' ')}"`;
      const button = el('button', {
        type: 'button',
        dataset: { facet: name, value: item.value },
        onclick: () => { if (!state.q.includes(clause)) commit({ q: `${state.q} ${clause}`.trim() }); },
      }, item.value);
      list.append(el('li', {}, el('span', {}, button), el('span', { class: 'muted' }, String(item.count))));
    }
    box.append(el('section', {}, el('h2', {}, name), list));
  }
}

function renderFacetList(listId, items, key, labelOf) {
  const list = $(listId);
  list.replaceChildren();
  for (const item of items || []) {
    const name = labelOf(item);
    // An entity facet filters on that entity alone (`=NAME`), never on wider names it is part of.
    const value = key === 'entity' ? `=${name}` : name;
    const button = el('button', { type: 'button', dataset: { facet: key, value }, onclick: () => addFilter(key, value) }, name);
    const label = el('span', {}, button);
    if (item.kind) label.append(el('span', { class: 'kind' }, item.kind));
    list.append(el('li', {}, label, el('span', { class: 'muted' }, String(item.count))));
  }
  if (!items || items.length === 0) list.append(el('li', { class: 'muted' }, 'None.'));
}

let lastSearchKey = null;
let lastOffset = null;

async function runSearch() {
  const params = filterParams();
  params.set('q', state.q);
  params.set('limit', String(PAGE_SIZE));
  params.set('per_article', '3');
  params.set('group', 'article');
  if (state.offset > 0) params.set('offset', String(state.offset));
  if (state.sort !== 'relevance') params.set('sort', state.sort);
  const key = params.toString();
  if (key === lastSearchKey) return;
  lastSearchKey = key;
  setStatus('Searching…');
  try {
    const body = await api('/api/search', params, { cancelPrevious: true });
    const newPage = lastOffset !== null && lastOffset !== state.offset;
    lastOffset = state.offset;
    renderResults(body);
    if (newPage) window.scrollTo(0, 0);
    renderHistogram(body.facets ? body.facets.months : []);
    renderFacetList('entities', body.facets ? body.facets.entities : [], 'entity', (e) => e.name);
    renderFacetList('categories', body.facets ? body.facets.categories : [], 'category', (c) => c.value);
    renderKeywordFacets(body.facets);
    renderSuggestion(body.did_you_mean, body.notices);
    const total = body.total === null ? `${body.hits.length}+` : String(body.total);
    setStatus(`${total} matching passage${body.total === 1 ? '' : 's'} · ${body.took_ms.toFixed(1)} ms`);
    selectResult(-1);
  } catch (error) {
    if (error.name === 'AbortError') return;
    lastSearchKey = null;
    $('results').replaceChildren();
    setStatus(error.message, true);
  }
}

// "Did you mean": the query with suggestions for words few or no passages hold, one click away.
// and the notes on how the query was run (a prefix word's expansions cut).
function renderSuggestion(corrected, notices) {
  const line = $('suggestion');
  const notes = (notices || []).join(' · ');
  line.hidden = !corrected && !notes;
  line.replaceChildren();
  if (corrected) {
    line.append('Did you mean ', el('button', {
      type: 'button', class: 'link', onclick: () => commit({ q: corrected }),
    }, corrected), '? ');
  }
  if (notes) line.append(el('span', { class: 'note' }, notes));
}

async function showOverview() {
  renderSuggestion(null);
  lastSearchKey = null;
  if (inFlight) inFlight.abort();
  $('results').replaceChildren(el('p', { class: 'muted' }, 'Type to search the archive. Words are optional and ranked; use "quotes" for phrases, +word to require, -word to exclude.'));
  try {
    const [stats, entities] = await Promise.all([api('/api/stats'), api('/api/entities', 'top=20')]);
    setStatus(`${stats.passages} passages in ${stats.articles} articles, ${formatDate(stats.first_date)} to ${formatDate(stats.last_date)}`);
    renderHistogram(stats.months);
    renderFacetList('entities', entities.entities, 'entity', (e) => e.name);
    renderFacetList('categories', stats.categories, 'category', (c) => c.value);
    renderKeywordFacets(stats);
  } catch (error) {
    setStatus(error.message, true);
  }
}

// ---- the article view ---------------------------------------------------------------------

let articleKey = null;
let returnFocus = null;

function openArticle(articleId, ordinal) {
  returnFocus = document.activeElement;
  commit({ article: articleId, p: ordinal === undefined ? '' : String(ordinal) });
}

function closeArticle() {
  if (!state.article) return;
  commit({ article: '', p: '' });
  if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus();
}

async function renderArticle() {
  const view = $('article-view');
  if (!state.article) {
    view.hidden = true;
    articleKey = null;
    return;
  }
  const key = `${state.article}#${state.p}`;
  if (key === articleKey) return;
  articleKey = key;
  view.hidden = false;
  $('article-title').textContent = 'Loading…';
  $('article-meta').textContent = '';
  $('article-body').replaceChildren();
  try {
    const path = state.article.split('/').map(encodeURIComponent).join('/');
    const article = await api(`/api/articles/${path}`);
    if (articleKey !== key) return;
    $('article-title').textContent = article.title || article.article_id;
    $('article-meta').textContent = [formatDate(article.date), (article.categories || []).join(', '), article.path].filter(Boolean).join(' · ');
    const body = $('article-body');
    let section = null;
    let target = null;
    for (const passage of article.passages) {
      if (passage.section && passage.section !== section) body.append(el('h3', {}, passage.section));
      section = passage.section;
      const paragraph = el('p', { dataset: { ordinal: String(passage.ordinal) } }, passage.text);
      if (String(passage.ordinal) === state.p) {
        paragraph.classList.add('hit');
        paragraph.setAttribute('aria-current', 'true');
        target = paragraph;
      }
      body.append(paragraph);
    }
    $('article-close').focus();
    if (target) target.scrollIntoView({ block: 'center' });
  } catch (error) {
    $('article-title').textContent = 'Cannot open the article';
    $('article-meta').textContent = error.message;
  }
}

// ---- keyboard -----------------------------------------------------------------------------

let selected = -1;

function results() {
  return [...document.querySelectorAll('#results .result')];
}

function selectResult(idx) {
  const items = results();
  items.forEach((item) => item.classList.remove('selected'));
  selected = Math.max(-1, Math.min(idx, items.length - 1));
  if (selected >= 0) {
    items[selected].classList.add('selected');
    items[selected].focus();
    items[selected].scrollIntoView({ block: 'nearest' });
  }
}

document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
  if (event.key === 'Escape') {
    if (state.article) { event.preventDefault(); closeArticle(); } else if (typing) event.target.blur();
    return;
  }
  if (state.article) return;
  if (event.key === '/' && !typing) {
    event.preventDefault();
    $('q').focus();
    $('q').select();
  } else if (event.key === 'ArrowDown' && (event.target === $('q') || !typing)) {
    event.preventDefault();
    selectResult(selected + 1);
  } else if (event.key === 'ArrowUp' && !typing) {
    event.preventDefault();
    if (selected <= 0) { selectResult(-1); $('q').focus(); } else selectResult(selected - 1);
  } else if (event.key === 'Enter' && event.target.classList && event.target.classList.contains('result')) {
    event.preventDefault();
    openArticle(event.target.dataset.article, Number(event.target.dataset.ordinal));
  }
});

// ---- wiring -------------------------------------------------------------------------------

function render() {
  if ($('q').value.trim() !== state.q.trim()) $('q').value = state.q;
  $('since').value = state.since;
  $('until').value = state.until;
  $('sort').value = state.sort;
  renderChips();
  if (state.q.trim()) runSearch(); else showOverview();
  renderArticle();
}

let typingTimer = null;
$('q').addEventListener('input', () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => commit({ q: $('q').value }, { push: false }), DEBOUNCE_MS);
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  commit({ q: $('q').value });
});
$('since').addEventListener('change', () => commit({ since: $('since').value }));
$('until').addEventListener('change', () => commit({ until: $('until').value }));
$('sort').addEventListener('change', () => commit({ sort: $('sort').value }));
$('article-close').addEventListener('click', closeArticle);
$('article-view').addEventListener('click', (event) => { if (event.target === $('article-view')) closeArticle(); });
$('home').addEventListener('click', (event) => { event.preventDefault(); commit(emptyState()); });
window.addEventListener('popstate', () => { state = stateFromUrl(); render(); });

render();
