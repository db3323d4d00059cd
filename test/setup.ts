// The suite runs on Node: measure with node:crypto as the Node entry points do.
import '../src/hash/node-suite.js';
