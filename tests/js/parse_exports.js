#!/usr/bin/env node
// Parse kg's exports the way a web front end would, and print what graphology saw.
//
//   node parse_exports.js gexf FILE.gexf   -> graphology-gexf's parser
//   node parse_exports.js json FILE.json   -> graphology's own import (the serialisation format)
//
// Prints one JSON object: {type, multi, order, size, nodes: {key: attributes}, edges: [...]}.
// Any parse error exits non-zero with the message on stderr.
'use strict';

const fs = require('fs');
const Graph = require('graphology');
const gexf = require('graphology-gexf');

function summary(graph) {
  const nodes = {};
  graph.forEachNode((key, attributes) => {
    nodes[key] = attributes;
  });
  const edges = [];
  graph.forEachEdge((key, attributes, source, target, sa, ta, undirected) => {
    edges.push({key, source, target, undirected, attributes});
  });
  return {type: graph.type, multi: graph.multi, order: graph.order, size: graph.size, nodes, edges};
}

const [kind, file] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
let graph;
if (kind === 'gexf') {
  graph = gexf.parse(Graph, text);
} else if (kind === 'json') {
  graph = Graph.from(JSON.parse(text));
} else {
  console.error('usage: parse_exports.js gexf|json FILE');
  process.exit(2);
}
process.stdout.write(JSON.stringify(summary(graph)));
