// The investigators' page: sign in with an API key, then browse clusters, findings and hub values.
//
// Every value shown comes from the /v1 routes as returned, and they mask personal data by the caller's
// role. The page keeps customer data in memory only. The API key is stored in sessionStorage only.

import { drawGraph, legendSwatch, NODE_TYPES } from "./graph.js";
import { browserLanguage, RELATIONSHIP_TERMS, text } from "./i18n.js";

const KEY_STORAGE = "kycgraph.apiKey";
const LANG_STORAGE = "kycgraph.lang";
// Items per request; `?page_size=N` in the page's address overrides it (1 to 1000, the API's largest limit).
const PAGE_SIZE = Math.min(Math.max(Number.parseInt(new URLSearchParams(location.search).get("page_size"), 10) || 50, 1), 1000);
const LINK_KINDS = ["phone", "bank_account", "address", "email"];
// Roles are listed as a proposal form lists them; the API sorts them by code.
const ROLE_ORDER = ["policyholder", "insured", "beneficiary"];

const state = {
  lang: sessionStorage.getItem(LANG_STORAGE) || browserLanguage(),
  key: sessionStorage.getItem(KEY_STORAGE),
  vocabulary: { rules: [], terms: {} },
  tab: "clusters",
  clusters: { items: [], nextCursor: null, loaded: false, selected: null },
  detail: null,
  findings: { items: [], nextCursor: null, loaded: false },
  hubs: { items: [], loaded: false },
  // {textKey, fields} for an error in the page's words, or {detail, status, request: {path, key}} for a
  // problem the API returned.
  error: null,
};

const $ = (selector) => document.querySelector(selector);

/** An error response of the API (RFC 9457 problem details) with its `detail` text. */
class ApiProblem extends Error {
  constructor(detail, code, status) {
    super(detail);
    this.code = code;
    this.status = status;
  }
}

/** A failure that the page describes in its own words: no connection, or a response that is not JSON. */
class PageError extends Error {
  constructor(textKey, fields = {}) {
    super(textKey);
    this.textKey = textKey;
    this.fields = fields;
  }
}

const t = (key, fields) => text(state.lang, key, fields);

function term(prefix, value) {
  return state.vocabulary.terms[prefix]?.[value]?.[state.lang] ?? value;
}

function ruleName(code) {
  const rule = state.vocabulary.rules.find((candidate) => candidate.code === code);
  return rule ? rule[state.lang] : code;
}

function roleWords(roles) {
  const rank = (role) => (ROLE_ORDER.includes(role) ? ROLE_ORDER.indexOf(role) : ROLE_ORDER.length);
  return [...roles].sort((a, b) => rank(a) - rank(b)).map((role) => term("role", role));
}

function joinWords(words) {
  return words.length ? words.join(t("listSeparator")) : t("none");
}

/** Return an ISO timestamp in UTC as `YYYY-MM-DD HH:MM UTC`; other text is returned as it is. */
function formatTimestamp(value) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|\+00:00)$/.exec(value ?? "");
  return match ? `${match[1]} ${match[2]} UTC` : (value ?? "");
}

function element(name, attributes = {}, children = []) {
  const node = document.createElement(name);
  for (const [attribute, value] of Object.entries(attributes)) {
    if (attribute === "text") {
      node.textContent = value;
    } else {
      node.setAttribute(attribute, value);
    }
  }
  node.append(...children);
  return node;
}

// --- API ---------------------------------------------------------------------------------------

/**
 * GET a /v1 path with `key` and the page's language.
 *
 * Throws ApiProblem with the server's `detail` for an error response, and PageError when the server
 * cannot be reached or responds with something other than JSON.
 */
async function apiGet(path, key = state.key) {
  let response;
  try {
    response = await fetch(path, {
      headers: { "X-API-Key": key ?? "", "Accept-Language": state.lang === "zh" ? "zh-CN" : "en" },
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new PageError("networkError");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new PageError("unexpectedResponse", { status: response.status });
  }
  if (!response.ok) {
    if (body && typeof body.detail === "string") {
      throw new ApiProblem(body.detail, body.code, response.status);
    }
    throw new PageError("unexpectedResponse", { status: response.status });
  }
  return body;
}

async function loadVocabulary() {
  try {
    const response = await fetch("vocabulary.json", { cache: "no-store" });
    if (response.ok) {
      state.vocabulary = await response.json();
    }
  } catch {
    // Without the vocabulary the page shows API codes (phone, agency) in place of their names.
  }
}

// --- Errors ------------------------------------------------------------------------------------

function showError(error, request = null) {
  if (error instanceof ApiProblem) {
    state.error = { detail: error.message, status: error.status, request };
  } else if (error instanceof PageError) {
    state.error = { textKey: error.textKey, fields: error.fields };
  } else {
    console.error(error);
    state.error = { textKey: "unexpectedResponse", fields: { status: "?" } };
  }
  renderError();
  if (error instanceof ApiProblem && error.status === 401 && request?.key === state.key) {
    // The stored key was revoked or is unknown: ask for a new one.
    signOut({ keepError: true });
  }
}

function clearError() {
  state.error = null;
  renderError();
}

function renderError() {
  const box = $("#error");
  if (!state.error) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = state.error.detail ?? t(state.error.textKey, state.error.fields);
  box.hidden = false;
}

/** Ask the API again for a shown problem, so that its detail follows a change of language. */
async function refreshErrorLanguage() {
  const request = state.error?.request;
  if (!request) {
    renderError();
    return;
  }
  try {
    await apiGet(request.path, request.key);
    clearError();
  } catch (error) {
    if (error instanceof ApiProblem) {
      state.error = { ...state.error, detail: error.message };
      renderError();
    }
  }
}

// --- Sign-in -----------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    showError(new PageError("keyMissing"));
    $("#api-key").focus();
    return;
  }
  const path = clusterPath(null);
  try {
    const page = await apiGet(path, key);
    state.key = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    $("#api-key").value = "";
    clearError();
    showWorkspace();
    receivePage(state.clusters, page, false);
    renderClusters();
  } catch (error) {
    showError(error, { path, key });
  }
}

function signOut({ keepError = false } = {}) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  state.clusters = { items: [], nextCursor: null, loaded: false, selected: null };
  state.detail = null;
  state.findings = { items: [], nextCursor: null, loaded: false };
  state.hubs = { items: [], loaded: false };
  if (!keepError) {
    clearError();
  }
  $("#workspace").hidden = true;
  $("#sign-out").hidden = true;
  $("#sign-in").hidden = false;
  renderAll();
  $("#api-key").focus();
}

function showWorkspace() {
  $("#sign-in").hidden = true;
  $("#workspace").hidden = false;
  $("#sign-out").hidden = false;
  selectTab(state.tab, false);
}

// --- Tabs --------------------------------------------------------------------------------------

const TABS = ["clusters", "findings", "hubs"];

function selectTab(name, focus = true) {
  state.tab = name;
  for (const tab of TABS) {
    const button = $(`#tab-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
  }
  if (focus) {
    $(`#tab-${name}`).focus();
  }
  if (name === "findings" && !state.findings.loaded) {
    loadFindings(false);
  }
  if (name === "hubs" && !state.hubs.loaded) {
    loadHubs();
  }
}

function onTabKey(event) {
  const index = TABS.indexOf(state.tab);
  const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: TABS.length - 1 - index };
  if (event.key in moves) {
    event.preventDefault();
    selectTab(TABS[(index + moves[event.key] + TABS.length) % TABS.length]);
  }
}

// --- Clusters ----------------------------------------------------------------------------------

/** Return the path of one page of a list route: the filters that are set, the page size and the cursor. */
function listPath(route, filters, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [name, value] of Object.entries(filters)) {
    if (value) {
      query.set(name, value);
    }
  }
  if (cursor) {
    query.set("cursor", cursor);
  }
  return `${route}?${query}`;
}

/** Store a page of a list route in `list` ({items, nextCursor, loaded}): the first page, or one more. */
function receivePage(list, page, append) {
  list.items = append ? [...list.items, ...page.items] : page.items;
  list.nextCursor = page.has_more ? page.next_cursor : null;
  list.loaded = true;
}

/** Fetch a page into `list` and render it; an error is shown and the list is left as it was. */
async function loadPage(list, path, append, render, status) {
  $(status).textContent = t("loading");
  try {
    receivePage(list, await apiGet(path), append);
    clearError();
  } catch (error) {
    showError(error, { path, key: state.key });
  }
  render();
}

/** Return the line above a list: nothing before it loads, "no records", or how many are shown and whether more exist. */
function listStatus(list, shownKey) {
  if (!list.loaded) {
    return "";
  }
  if (list.items.length === 0) {
    return t("noRecords");
  }
  return t(shownKey, { count: list.items.length }) + (list.nextCursor ? t("moreAvailable") : "");
}

function clusterPath(cursor) {
  const filters = { link_kind: $("#filter-link-kind").value, min_size: $("#filter-min-size").value.trim() };
  return listPath("/v1/clusters", filters, cursor);
}

function loadClusters(append) {
  const path = clusterPath(append ? state.clusters.nextCursor : null);
  return loadPage(state.clusters, path, append, renderClusters, "#cluster-status");
}

function renderClusters() {
  const body = $("#cluster-table tbody");
  body.replaceChildren();
  for (const cluster of state.clusters.items) {
    const open = element("button", { type: "button", class: "link", text: cluster.cluster_id });
    open.addEventListener("click", () => openCluster(cluster.cluster_id));
    const row = element("tr", { "data-cluster-id": cluster.cluster_id }, [
      element("th", { scope: "row" }, [open]),
      element("td", { class: "number", text: String(cluster.size) }),
      element("td", { text: joinWords(cluster.link_kinds.map((kind) => term("kind", kind))) }),
      element("td", { text: joinWords(cluster.channels.map((channel) => term("channel", channel))) }),
      element("td", { text: formatTimestamp(cluster.first_seen) }),
    ]);
    if (cluster.cluster_id === state.clusters.selected) {
      row.setAttribute("aria-current", "true");
    }
    row.addEventListener("click", (event) => {
      if (event.target === row || event.target.tagName === "TD") {
        openCluster(cluster.cluster_id);
      }
    });
    body.append(row);
  }
  $("#cluster-status").textContent = listStatus(state.clusters, "clustersShown");
  $("#clusters-more").hidden = !state.clusters.nextCursor;
}

async function openCluster(clusterId) {
  const path = `/v1/clusters/${encodeURIComponent(clusterId)}`;
  state.clusters.selected = clusterId;
  renderClusters();
  try {
    state.detail = await apiGet(path);
    clearError();
  } catch (error) {
    state.detail = null;
    showError(error, { path, key: state.key });
  }
  renderDetail();
  if (state.detail) {
    $("#cluster-detail").scrollIntoView({ block: "start" });
    $("#detail-heading").focus({ preventScroll: true });
  }
}

function resetDetail() {
  state.detail = null;
  state.clusters.selected = null;
  renderDetail();
  renderClusters();
}

function closeCluster() {
  const selected = state.clusters.selected;
  resetDetail();
  document.querySelector(`#cluster-table tr[data-cluster-id="${CSS.escape(selected ?? "")}"] button`)?.focus();
}

/** Group a member's policy rows (one per role) by policy number. */
function memberPolicies(member) {
  const byNumber = new Map();
  for (const policy of member.policies) {
    const entry = byNumber.get(policy.policy_no) ?? { ...policy, roles: [] };
    entry.roles.push(policy.role);
    byNumber.set(policy.policy_no, entry);
  }
  return [...byNumber.values()];
}

function renderDetail() {
  const detail = state.detail;
  const section = $("#cluster-detail");
  section.hidden = !detail;
  if (!detail) {
    return;
  }
  $("#detail-heading").textContent = t("detailHeading", { id: detail.cluster_id });
  $("#detail-summary").textContent = t("detailSummary", {
    size: detail.size,
    kinds: joinWords(detail.link_kinds.map((kind) => term("kind", kind))),
    channels: joinWords(detail.channels.map((channel) => term("channel", channel))),
    agents: joinWords(detail.agent_ids),
  });
  renderGraph(detail.graph);

  const members = $("#member-table tbody");
  members.replaceChildren();
  for (const member of detail.members) {
    const policies = element("ul", { class: "plain" }, memberPolicies(member).map((policy) => element("li", {}, [
      element("span", { class: "mono", text: policy.policy_no }),
      ` ${policy.product_name ?? ""} · ${joinWords(roleWords(policy.roles))}`,
      policy.agent_id ? ` · ${t("agent")} ${policy.agent_id}` : "",
      policy.channel ? ` · ${term("channel", policy.channel)}` : "",
    ])));
    const identifiers = element("ul", { class: "plain identifiers" }, member.identifiers.map((identifier) => {
      const value = element("span", {}, [element("span", { class: "mono", text: identifier.value })]);
      if (identifier.shared) {
        value.append(" ", element("span", { class: "badge shared", text: t("shared") }));
      }
      return element("li", { "data-kind": identifier.kind }, [
        element("span", { class: "kind", text: term("kind", identifier.kind) }), value,
      ]);
    }));
    members.append(element("tr", { "data-customer-id": member.customer_id }, [
      element("th", { scope: "row", class: "mono", text: member.customer_id }),
      element("td", { text: member.name ?? "" }),
      element("td", { class: "roles", text: joinWords(roleWords(member.roles)) }),
      element("td", {}, [policies]),
      element("td", {}, [identifiers]),
    ]));
  }

  const evidence = $("#evidence-table tbody");
  evidence.replaceChildren();
  for (const item of detail.evidence) {
    const carriers = element("ul", { class: "plain" }, item.customer_ids.map((customerId, index) => element("li", {}, [
      element("span", { class: "mono", text: customerId }),
      ": ",
      element("span", { class: "mono", text: item.values[index] ?? "" }),
    ])));
    evidence.append(element("tr", { "data-kind": item.kind }, [
      element("td", { text: term("kind", item.kind) }),
      element("td", { class: "mono evidence-key", text: item.key }),
      element("td", {}, [carriers]),
    ]));
  }
}

const NODE_TEXT = { Customer: "nodeCustomer", Identifier: "nodeIdentifier", Policy: "nodePolicy", Agent: "nodeAgent" };

function edgeLabel(edge) {
  const vocabulary = RELATIONSHIP_TERMS[edge.type];
  if (vocabulary) {
    return term(...vocabulary);
  }
  return edge.type === "SOLD" ? t("edgeSold") : t("edgeIdentifier");
}

function nodeLines(node) {
  const properties = node.properties ?? {};
  switch (node.type) {
    case "Customer":
      return node.label === properties.customer_id ? [node.label] : [node.label, properties.customer_id ?? ""];
    case "Identifier":
      return [node.label, term("kind", properties.kind ?? "")];
    case "Policy":
      return properties.channel ? [node.label, term("channel", properties.channel)] : [node.label];
    default:
      return [node.label];
  }
}

function nodeTitle(node) {
  const properties = node.properties ?? {};
  const details = [properties.product_name, properties.channel && term("channel", properties.channel)]
    .filter(Boolean);
  return [`${t(NODE_TEXT[node.type] ?? "nodeIdentifier")}: ${node.label}`, ...details].join("\n");
}

function renderGraph(graph) {
  const legend = $("#graph-legend");
  legend.replaceChildren(...NODE_TYPES.map((type) => element("span", { class: "legend-item" }, [
    legendSwatch(type), t(NODE_TEXT[type]),
  ])));
  const container = $("#graph");
  const width = Math.max(Math.round(container.clientWidth) || 960, 640);
  // Taller for more nodes: 460 pixels up to 8 nodes, then 36 more a node, up to 820.
  const height = Math.min(Math.max(172 + 36 * graph.nodes.length, 460), 820);
  const description = t("graphDescription", { nodes: graph.nodes.length, edges: graph.edges.length });
  container.replaceChildren(drawGraph(graph, width, height, {
    title: t("graphHeading"), description, edgeLabel, nodeLines, nodeTitle,
  }));
}

// --- Findings ----------------------------------------------------------------------------------

function loadFindings(append) {
  const path = listPath("/v1/findings", { rule: $("#filter-rule").value }, append ? state.findings.nextCursor : null);
  return loadPage(state.findings, path, append, renderFindings, "#finding-status");
}

function renderFindings() {
  const body = $("#finding-table tbody");
  body.replaceChildren();
  for (const finding of state.findings.items) {
    const message = state.lang === "zh" ? finding.message_zh : finding.message_en;
    const evidence = element("details", {}, [
      element("summary", { text: `${t("findingEvidence")} · ${finding.finding_id}` }),
      element("pre", { text: JSON.stringify(finding.evidence, null, 2) }),
    ]);
    body.append(element("tr", { "data-finding-id": finding.finding_id, "data-rule": finding.rule }, [
      element("td", { text: ruleName(finding.rule) }),
      element("td", {}, [element("span", {
        class: `badge severity-${finding.severity}`, text: term("severity", finding.severity),
      })]),
      element("td", { class: "mono", text: finding.customer_id ?? "" }),
      element("td", { class: "mono", text: finding.policy_no ?? "" }),
      element("td", { class: "mono", text: finding.agent_id ?? "" }),
      element("td", { class: "message" }, [element("p", { text: message ?? finding.message }), evidence]),
    ]));
  }
  $("#finding-status").textContent = listStatus(state.findings, "findingsShown");
  $("#findings-more").hidden = !state.findings.nextCursor;
}

// --- Hub values --------------------------------------------------------------------------------

async function loadHubs() {
  const path = "/v1/hub-values";
  $("#hub-status").textContent = t("loading");
  try {
    state.hubs.items = (await apiGet(path)).items;
    state.hubs.loaded = true;
    clearError();
  } catch (error) {
    showError(error, { path, key: state.key });
  }
  renderHubs();
}

function renderHubs() {
  const body = $("#hub-table tbody");
  body.replaceChildren(...state.hubs.items.map((hub) => element("tr", {}, [
    element("td", { text: term("kind", hub.kind) }),
    element("td", { class: "mono", text: hub.key }),
    element("td", { class: "number", text: String(hub.customer_count) }),
    element("td", {
      text: hub.reason === "over_threshold" ? t("reasonOverThreshold") : term("reason", hub.reason),
    }),
    element("td", { text: formatTimestamp(hub.published_at) }),
  ])));
  $("#hub-status").textContent = listStatus(state.hubs, "hubsShown");
}

// --- Language ----------------------------------------------------------------------------------

function renderFilterOptions() {
  const kind = $("#filter-link-kind");
  const chosenKind = kind.value;
  kind.replaceChildren(
    element("option", { value: "", text: t("anyKind") }),
    ...LINK_KINDS.map((value) => element("option", { value, text: term("kind", value) })),
  );
  kind.value = chosenKind;
  const rule = $("#filter-rule");
  const chosenRule = rule.value;
  rule.replaceChildren(
    element("option", { value: "", text: t("allRules") }),
    ...state.vocabulary.rules
      .filter((candidate) => candidate.code !== "shared_contact_cluster")
      .map((candidate) => element("option", { value: candidate.code, text: candidate[state.lang] })),
  );
  rule.value = chosenRule;
}

function renderStaticText() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
}

function renderAll() {
  renderStaticText();
  renderFilterOptions();
  renderError();
  renderClusters();
  renderDetail();
  renderFindings();
  renderHubs();
}

function setLanguage(lang) {
  if (lang === state.lang) {
    return;
  }
  state.lang = lang;
  sessionStorage.setItem(LANG_STORAGE, lang);
  renderAll();
  refreshErrorLanguage();
}

// --- Start -------------------------------------------------------------------------------------

async function start() {
  for (const button of document.querySelectorAll(".lang-switch button")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  $("#key-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => signOut());
  for (const tab of TABS) {
    $(`#tab-${tab}`).addEventListener("click", () => selectTab(tab));
    $(`#tab-${tab}`).addEventListener("keydown", onTabKey);
  }
  $("#cluster-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    resetDetail();
    loadClusters(false);
  });
  $("#clusters-more").addEventListener("click", () => loadClusters(true));
  $("#detail-close").addEventListener("click", closeCluster);
  $("#finding-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadFindings(false);
  });
  $("#findings-more").addEventListener("click", () => loadFindings(true));

  await loadVocabulary();
  renderAll();
  document.body.dataset.ready = "true";
  if (state.key) {
    showWorkspace();
    await loadClusters(false);
  } else {
    $("#api-key").focus();
  }
}

start();
