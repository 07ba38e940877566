// The query page of `kg serve`: an editor, the standard questions, a result table and downloads.
// Plain JavaScript, no library, nothing from the network: the page talks to its own server only
// (POST /sparql for results, GET /examples for the standard questions).
"use strict";

(function () {
  const ENDPOINT = "sparql";
  const SHOWN_ROWS = 1000;          // rows drawn in the table; downloads carry every row
  const MAX_LINK = 60000;           // longest download link the server reads (its request line limit is 64 KiB)
  const RESULT_DOWNLOADS = [["JSON", "json", "json"], ["XML", "xml", "srx"], ["CSV", "csv", "csv"], ["TSV", "tsv", "tsv"]];
  const GRAPH_DOWNLOADS = [["Turtle", "turtle", "ttl"], ["N-Triples", "ntriples", "nt"], ["JSON-LD", "jsonld", "jsonld"],
                           ["N-Quads", "nquads", "nq"], ["RDF/XML", "rdfxml", "rdf"]];
  const NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger)$/;
  const XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";

  const $ = (id) => document.getElementById(id);
  const editor = $("query");
  let prefixes = {};                // prefix -> namespace, the project's, from /examples
  let running = null;               // the AbortController of the query in flight

  function endpointUrl() {
    return new URL(ENDPOINT, window.location.href).href;
  }

  // -- examples ---------------------------------------------------------------

  async function loadExamples() {
    const list = $("example-list");
    try {
      const response = await fetch("examples", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      prefixes = data.prefixes || {};
      list.replaceChildren();
      for (const q of data.queries) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "example";
        button.dataset.name = q.name;
        button.setAttribute("aria-pressed", "false");
        button.title = q.description;
        const title = document.createElement("span");
        title.className = "title";
        title.textContent = q.title;
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = q.name + ".rq";
        button.append(title, name);
        button.addEventListener("click", () => {
          for (const b of list.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === button));
          editor.value = q.query;
          run();
        });
        li.append(button);
        list.append(li);
      }
    } catch (e) {
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = `The standard questions could not be loaded (${e.message}).`;
      list.replaceChildren(li);
    }
  }

  // -- running ----------------------------------------------------------------

  function clearResults() {
    for (const id of ["error", "boolean", "table", "truncated", "downloads"]) $(id).hidden = true;
    $("table").tHead.replaceChildren();
    $("table").tBodies[0].replaceChildren();
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  async function run() {
    const text = editor.value;
    if (!text.trim()) {
      setStatus("Write a query first.");
      return;
    }
    if (running) running.abort();
    const controller = new AbortController();
    running = controller;
    clearResults();
    $("run").disabled = true;
    setStatus("Running\u2026");
    const started = performance.now();
    try {
      history.replaceState(null, "", "#query=" + encodeURIComponent(text));
    } catch (e) { /* a very long query does not fit in the address bar: fine */ }
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
          Accept: "application/sparql-results+json, application/n-triples;q=0.9",
        },
        body: new URLSearchParams({ query: text }),
        signal: controller.signal,
      });
      const body = await response.text();
      const ms = Math.round(performance.now() - started);
      if (!response.ok) {
        showError(`HTTP ${response.status} ${response.statusText}\n${body}`);
        setStatus(`Failed after ${ms} ms.`);
        return;
      }
      const type = (response.headers.get("Content-Type") || "").split(";")[0].trim();
      if (type === "application/n-triples") {
        const triples = parseNTriples(body);
        renderTable(["subject", "predicate", "object"], triples.map((t) => ({ subject: t[0], predicate: t[1], object: t[2] })));
        setStatus(`${triples.length} triple${triples.length === 1 ? "" : "s"} in ${ms} ms.`);
        showDownloads(text, GRAPH_DOWNLOADS);
        return;
      }
      const data = JSON.parse(body);
      if (typeof data.boolean === "boolean") {
        const p = $("boolean");
        p.textContent = data.boolean ? "true" : "false";
        p.hidden = false;
        setStatus(`ASK answered in ${ms} ms.`);
      } else {
        const rows = data.results.bindings;
        renderTable(data.head.vars, rows);
        setStatus(`${rows.length} row${rows.length === 1 ? "" : "s"} in ${ms} ms.`);
      }
      showDownloads(text, RESULT_DOWNLOADS);
    } catch (e) {
      if (e.name === "AbortError") return;
      showError(`The query could not be sent or its answer read: ${e.message}`);
      setStatus("");
    } finally {
      if (running === controller) {
        running = null;
        $("run").disabled = false;
      }
    }
  }

  function showError(text) {
    const pre = $("error");
    pre.textContent = text;
    pre.hidden = false;
  }

  function showDownloads(text, formats) {
    const div = $("downloads");
    div.replaceChildren();
    const label = document.createElement("span");
    label.textContent = "Download: ";
    div.append(label);
    const base = ENDPOINT + "?query=" + encodeURIComponent(text);
    if (base.length > MAX_LINK) {
      const note = document.createElement("span");
      note.className = "hint";
      note.textContent = "the query is too long for a download link; POST it to the endpoint instead.";
      div.append(note);
    } else {
      for (const [name, format, ext] of formats) {
        const a = document.createElement("a");
        a.href = base + "&format=" + format;
        a.download = "results." + ext;
        a.textContent = name;
        a.dataset.format = format;
        div.append(a);
      }
    }
    div.hidden = false;
  }

  // -- rendering --------------------------------------------------------------

  function queryPrefixes(text) {
    const map = Object.assign({}, prefixes);
    const re = /^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>/gim;
    let m;
    while ((m = re.exec(text)) !== null) map[m[1] || ""] = m[2];
    return map;
  }

  function shorten(iri, map) {
    let best = null;
    for (const [prefix, ns] of Object.entries(map)) {
      if (ns && iri.startsWith(ns) && (best === null || ns.length > map[best].length)) {
        const local = iri.slice(ns.length);
        if (/^[\w.\/-]*$/.test(local)) best = prefix;     // for reading, not Turtle: slashes kept
      }
    }
    return best === null ? `<${iri}>` : `${best}:${iri.slice(map[best].length)}`;
  }

  function renderTerm(td, term, map) {
    if (!term) {
      td.className = "unbound";
      return;
    }
    if (term.type === "uri") {
      const span = document.createElement("span");
      span.className = "iri";
      span.title = term.value;
      span.textContent = shorten(term.value, map);
      td.append(span);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else if (term.type === "literal" || term.type === "typed-literal") {
      td.append(document.createTextNode(term.value));
      const lang = term["xml:lang"];
      const datatype = term.datatype;
      if (datatype && NUMERIC.test(datatype)) {
        td.className = "num";                         // numbers right-aligned, their type on hover
        td.title = shorten(datatype, map);
      } else if (lang || (datatype && datatype !== XSD_STRING)) {
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = lang ? "@" + lang : "^^" + shorten(datatype, map);
        td.append(meta);
      }
    } else if (term.type === "triple") {
      const v = term.value;
      td.textContent = "<< " + ["subject", "predicate", "object"].map((k) => plain(v[k], map)).join(" ") + " >>";
    } else {
      td.textContent = String(term.value);
    }
  }

  function plain(term, map) {
    if (!term) return "";
    if (term.type === "uri") return shorten(term.value, map);
    if (term.type === "bnode") return "_:" + term.value;
    return JSON.stringify(term.value);
  }

  function renderTable(vars, rows) {
    const map = queryPrefixes(editor.value);
    const table = $("table");
    const head = document.createElement("tr");
    for (const v of vars) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = v;
      head.append(th);
    }
    table.tHead.replaceChildren(head);
    const body = document.createDocumentFragment();
    for (const row of rows.slice(0, SHOWN_ROWS)) {
      const tr = document.createElement("tr");
      for (const v of vars) {
        const td = document.createElement("td");
        renderTerm(td, row[v], map);
        tr.append(td);
      }
      body.append(tr);
    }
    table.tBodies[0].replaceChildren(body);
    table.hidden = false;
    const note = $("truncated");
    note.hidden = rows.length <= SHOWN_ROWS;
    note.textContent = `Showing the first ${SHOWN_ROWS} of ${rows.length} rows; the downloads hold all of them.`;
  }

  // -- N-Triples (the page asks for it for CONSTRUCT and DESCRIBE) ------------

  function unescape(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, (all, u4, u8, c) => {
      if (u4 || u8) return String.fromCodePoint(parseInt(u4 || u8, 16));
      return { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f", '"': '"', "'": "'", "\\": "\\" }[c] ?? c;
    });
  }

  const TERM = /\s*(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)/y;

  function parseNTriples(text) {
    const triples = [];
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith("#")) continue;
      TERM.lastIndex = 0;
      const terms = [];
      let m;
      while (terms.length < 3 && (m = TERM.exec(line)) !== null) {
        if (m[1] !== undefined) terms.push({ type: "uri", value: unescape(m[1]) });
        else if (m[2] !== undefined) terms.push({ type: "bnode", value: m[2] });
        else {
          const t = { type: "literal", value: unescape(m[3]) };
          if (m[4]) t["xml:lang"] = m[4];
          if (m[5]) t.datatype = unescape(m[5]);
          terms.push(t);
        }
      }
      if (terms.length === 3) triples.push(terms);
      else triples.push([{ type: "literal", value: trimmed }, null, null]);   // RDF-star or other: show the line
    }
    return triples;
  }

  // -- start ------------------------------------------------------------------

  function start() {
    $("endpoint").textContent = endpointUrl();
    $("run").addEventListener("click", run);
    editor.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
      }
    });
    loadExamples();
    const hash = new URLSearchParams(window.location.hash.slice(1));
    if (hash.get("query")) {
      editor.value = hash.get("query");
      run();
    }
  }

  start();
})();
